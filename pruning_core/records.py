"""Typed records of what a prune step did, validated whenever one is made.

``lab.prune_step`` writes a ``StepRecord``; every reader uses its attributes. Plain dicts exist only at the
disk and JSON boundaries (``to_dict`` / ``from_dict``): a checkpoint file or an upload may hold anything, so
``from_dict`` checks every key, type, range and size and turns anything else into one-line ``UserError``.
Numbers keep the type they were made with (a percent of ``50`` stays an int), so stored files and the JSON
written from them are byte-identical to what the dict records produced.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from .errors import UserError
from .settings import MAX_EPOCHS, RECORD_SCOPES, check_float, check_int, quote

MAX_STEPS = 1000         # prune steps in one history (a schedule has 12; more is padding, not a history)
MAX_LAYERS = 16          # prunable layers (LeNet-300-100 has 3, LeNet-5 has 4)
MAX_NAME = 64            # characters of a layer name
MAX_COUNT = 2**40        # surviving weights in one layer
MAX_NEURONS = 4096       # neurons one hand-made step may name
# Fields added after the first files were written: absent from old files, and left out of a record's dict
# where they hold their default, so every file written before them reads and writes back the same.
OPTIONAL = {"mask_seed": None, "neurons": ()}


@dataclass(frozen=True)
class StepRecord:
    """One prune -> retrain step: the target, the cut-offs found, the three accuracies and what survives."""

    step: int                          # 1-based position in the history
    percent: float                     # the cumulative target, % of all prunable weights
    scope: str                         # a prune scope (settings.PRUNE_SCOPES), or "hand": neurons removed
    threshold: float | None            # global scope: the one |w| cut-off
    quality: float | None              # std scope: q in "q x layer std"
    thresholds: Mapping[str, float]    # per layer: the largest |w| pruned there
    accuracy_before: float
    accuracy_after_prune: float
    accuracy_after_retrain: float
    retrain_epochs: int
    retrain_lr: float
    retrain_curve: tuple[float, ...]   # test accuracy after each retraining epoch
    nonzero: Mapping[str, int]         # per layer: surviving weights after the step
    sparsity: float                    # fraction of prunable weights pruned, 0..1
    mask_seed: int | None = None       # random scope: the seed its mask was drawn with
    neurons: tuple[int, ...] = ()      # hand scope: the fc1 neurons whose connections were all removed

    def __post_init__(self) -> None:
        check_int("step", self.step, 1, MAX_STEPS)
        check_float("percent", self.percent, 0.0, 100.0, high_inclusive=False)
        if not isinstance(self.scope, str) or self.scope not in RECORD_SCOPES:
            raise UserError(f"scope must be one of {', '.join(RECORD_SCOPES)}, got {quote(self.scope)}")
        if self.mask_seed is not None:
            check_int("mask_seed", self.mask_seed, 0, 2**63 - 1)
        neurons = _sequence("neurons", self.neurons, MAX_NEURONS, "allowed")
        for neuron in neurons:
            check_int("neurons entry", neuron, 0, MAX_COUNT)
        for name in ("threshold", "quality"):
            if getattr(self, name) is not None:
                check_float(name, getattr(self, name), 0.0, math.inf)
        for name in ("accuracy_before", "accuracy_after_prune", "accuracy_after_retrain", "sparsity"):
            check_float(name, getattr(self, name), 0.0, 1.0)
        check_int("retrain_epochs", self.retrain_epochs, 0, MAX_EPOCHS)
        check_float("retrain_lr", self.retrain_lr, 0.0, 10.0, low_inclusive=False)
        curve = _sequence("retrain_curve", self.retrain_curve, self.retrain_epochs)
        for value in curve:
            check_float("retrain_curve entry", value, 0.0, 1.0)
        thresholds = _layer_map("thresholds", self.thresholds)
        for value in thresholds.values():
            check_float("thresholds entry", value, 0.0, math.inf)
        nonzero = _layer_map("nonzero", self.nonzero)
        for value in nonzero.values():
            check_int("nonzero entry", value, 0, MAX_COUNT)
        # Copies: the record owns its containers, so no caller can change a stored step afterwards.
        object.__setattr__(self, "retrain_curve", tuple(curve))
        object.__setattr__(self, "neurons", tuple(neurons))
        object.__setattr__(self, "thresholds", dict(thresholds))
        object.__setattr__(self, "nonzero", dict(nonzero))

    def to_dict(self) -> dict:
        """The plain dict stored in checkpoint files (the same keys, order and values as ever)."""
        plain = {f.name: getattr(self, f.name) for f in fields(self)}
        plain.update(thresholds=dict(self.thresholds), nonzero=dict(self.nonzero),
                     retrain_curve=list(self.retrain_curve), neurons=list(self.neurons))
        for name, default in OPTIONAL.items():
            if getattr(self, name) == default:
                del plain[name]
        return plain

    @classmethod
    def from_dict(cls, raw: object) -> "StepRecord":
        """A record from untrusted plain data: exactly the known keys, each valid, else a UserError."""
        if not isinstance(raw, dict):
            raise UserError(f"a step record must be a dictionary, got {type(raw).__name__}")
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in raw and n not in OPTIONAL]
        if missing:
            raise UserError(f"step record lacks the fields {', '.join(missing)}")
        unknown = [k for k in raw if k not in names]
        if unknown:
            raise UserError(f"step record has unknown fields {quote(unknown)}")
        return cls(**raw)


def history_from_dicts(raw: object) -> list[StepRecord]:
    """A checkpoint's ``history`` list -> records numbered 1, 2, ...; any problem names the step."""
    if not isinstance(raw, list):
        raise UserError(f"history must be a list of step records, got {type(raw).__name__}")
    if len(raw) > MAX_STEPS:
        raise UserError(f"history has {len(raw)} steps; at most {MAX_STEPS} are allowed")
    records = []
    for position, item in enumerate(raw, start=1):
        try:
            record = StepRecord.from_dict(item)
        except UserError as err:
            raise UserError(f"history step {position}: {err}") from None
        if record.step != position:
            raise UserError(f"history step {position} is numbered {record.step}")
        records.append(record)
    return records


def _sequence(name: str, value: object, most: int, unit: str = "epochs") -> Sequence:
    if not isinstance(value, (list, tuple)):
        raise UserError(f"{name} must be a list, got {type(value).__name__}")
    if len(value) > most:
        raise UserError(f"{name} has {len(value)} entries, more than its {most} {unit}")
    return value


def _layer_map(name: str, value: object) -> Mapping:
    if not isinstance(value, Mapping):
        raise UserError(f"{name} must map layer names to values, got {type(value).__name__}")
    if not 1 <= len(value) <= MAX_LAYERS:
        raise UserError(f"{name} must have 1..{MAX_LAYERS} layers, got {len(value)}")
    for key in value:
        if not isinstance(key, str) or not 0 < len(key) <= MAX_NAME:
            raise UserError(f"{name} has a malformed layer name {quote(key)}")
    return value
