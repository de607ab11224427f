"""Typed sections of the stored reproduction report (``reproduction.json``), as the Experiments page reads them.

``from_dict`` is the only place that knows the stored layout: JSON keys become attributes, and what JSON made
of Python values is undone here (the timing table's batch sizes were ints and come back as strings). Every
section is optional, so a report stored by an older or newer ``report`` command shows what it holds instead
of raising ``KeyError`` on a page. A stored file of the wrong shape is one ``UserError``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import UserError

TIMED_KINDS = ("dense", "csr", "shrunk")


@dataclass(frozen=True)
class Curve:
    """Step rows (``lab.step_table``) from a start model of the given accuracy."""

    rows: tuple[dict, ...]
    baseline_accuracy: float | None


@dataclass(frozen=True)
class Storage:
    layers: Mapping[str, Mapping[str, int]]   # per layer: nonzero, total
    dense_bytes: int
    csr_bytes: int
    relative_index_bytes: int
    compression: float


@dataclass(frozen=True)
class PrunedModel:
    """One pruned model of the report: its test accuracy, storage and (for the moonshot) shrunk widths."""

    accuracy: float
    storage: Storage
    shrunk: Mapping[str, int] | None = None   # hidden units left after dead-neuron removal


@dataclass(frozen=True)
class LeNet5:
    dense_accuracy: float
    accuracy: float
    final_percent: float


@dataclass(frozen=True)
class ReportSections:
    """What the page draws; ``None`` where the stored report has no such section."""

    command: str
    created: str
    reference: Curve | None
    paper: Mapping[str, PrunedModel] | None           # threshold scope -> the 92 % model
    moon: PrunedModel | None
    sensitivity: dict | None                          # drawn by ``figures.sensitivity`` as stored
    methods: dict | None                              # drawn by ``figures.methods`` as stored
    regularisation: Mapping[str, tuple[dict, ...]] | None
    timing: Mapping[int, Mapping[str, float]] | None  # batch size -> kind -> median seconds
    lenet5: LeNet5 | None

    @classmethod
    def from_dict(cls, stored: Mapping) -> "ReportSections":
        try:
            s = stored["sections"]
            return cls(
                command=str(stored.get("command", "python -m pruning_core report")),
                created=str(stored.get("created", "?")),
                reference=Curve(tuple(s["reference"]["rows"]), s["reference"].get("baseline_accuracy"))
                if "reference" in s else None,
                paper={scope: _model(r) for scope, r in s["paper"]["scopes"].items()} if "paper" in s else None,
                moon=_model(s["moon"]) if "moon" in s else None,
                sensitivity=s.get("sensitivity"),
                methods=s.get("methods"),
                regularisation={name: tuple(points) for name, points in s["regularisation"]["points"].items()}
                if "regularisation" in s else None,
                timing={int(batch): {kind: float(by_kind[kind]) for kind in TIMED_KINDS}
                        for batch, by_kind in s["timing"]["seconds"].items()} if "timing" in s else None,
                lenet5=LeNet5(float(s["lenet5"]["dense_accuracy"]), float(s["lenet5"]["accuracy"]),
                              float(s["lenet5"]["rows"][-1]["percent"])) if "lenet5" in s else None)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            raise UserError(f"the stored reproduction report has an unexpected layout ({type(err).__name__}: "
                            f"{str(err)[:80]}); re-run `python -m pruning_core report`") from None


def _model(raw: Mapping) -> PrunedModel:
    store = raw["storage"]
    storage = Storage({k: {"nonzero": int(v["nonzero"]), "total": int(v["total"])} for k, v in store["layers"].items()},
                      int(store["dense_bytes"]), int(store["csr_bytes"]), int(store["relative_index_bytes"]),
                      float(store["compression"]))
    shrunk = {k: int(v) for k, v in raw["shrink"]["after"].items()} if "shrink" in raw else None
    return PrunedModel(float(raw["accuracy"]), storage, shrunk)
