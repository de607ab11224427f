"""Typed sections of the stored reproduction report (``reproduction.json``), as the Experiments page reads them.

``from_dict`` is the only place that knows the stored layout: JSON keys become attributes, and what JSON made
of Python values is undone here (the timing table's batch sizes were ints and come back as strings). Every
section is optional, so a report stored by an older or newer ``report`` command shows what it holds instead
of raising ``KeyError`` on a page (sections stored by older ``report`` runs - the single-seed "paper", "moon" and
"lenet5" ones, replaced by the validation protocol's stored stages - are ignored). A stored file of the wrong
shape is one ``UserError``.
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
class ReportSections:
    """What the page draws; ``None`` where the stored report has no such section."""

    command: str
    created: str
    reference: Curve | None
    sensitivity: dict | None                          # drawn by ``figures.sensitivity`` as stored
    methods: dict | None                              # drawn by ``figures.methods`` as stored
    regularisation: Mapping[str, tuple[dict, ...]] | None
    timing: Mapping[int, Mapping[str, float]] | None  # batch size -> kind -> median seconds

    @classmethod
    def from_dict(cls, stored: Mapping) -> "ReportSections":
        try:
            s = stored["sections"]
            return cls(
                command=str(stored.get("command", "python -m pruning_core report")),
                created=str(stored.get("created", "?")),
                reference=Curve(tuple(s["reference"]["rows"]), s["reference"].get("baseline_accuracy"))
                if "reference" in s else None,
                sensitivity=s.get("sensitivity"),
                methods=s.get("methods"),
                regularisation={name: tuple(points) for name, points in s["regularisation"]["points"].items()}
                if "regularisation" in s else None,
                timing={int(batch): {kind: float(by_kind[kind]) for kind in TIMED_KINDS}
                        for batch, by_kind in s["timing"]["seconds"].items()} if "timing" in s else None)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            raise UserError(f"the stored reproduction report has an unexpected layout ({type(err).__name__}: "
                            f"{str(err)[:80]}); re-run `python -m pruning_core report`") from None
