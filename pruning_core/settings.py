"""Hyperparameters as small dataclasses, with named presets.

Every experiment in Prune Lab is described by plain dataclasses so that a checkpoint can carry its own
recipe (``dataclasses.asdict``) and a run can be repeated exactly.

Two training presets exist:

* ``seed``  - exactly the reference blog post's recipe (SGD lr 0.01, momentum 0.25, batch 128, 20 epochs,
  seed 53113, no weight decay). It reaches ~97-98 % test accuracy.
* ``paper`` - a stronger recipe in the spirit of the Caffe LeNet solver that Han et al. (2015) started from:
  momentum 0.9, L2 weight decay 5e-4 (the paper reports L2 beats L1 once retraining is used), batch 64 and
  Caffe's "inv" learning-rate decay lr = base * (1 + gamma * iter) ** -power. Its base lr (0.02) was chosen
  over 0.01 on a validation split (the last 5,000 training images), never on the test set; see README.
"""
from __future__ import annotations

import dataclasses
import math
import reprlib
from dataclasses import dataclass

from .errors import UserError

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

# random and largest are controls (random choice, largest |w| first) that show why magnitude is the criterion.
PRUNE_SCOPES = ("global", "layer", "std", "sensitivity", "random", "largest")
DEFAULT_MASK_SEED = 0  # the random scope's seed unless one is given
HAND_SCOPE = "hand"  # a step's record only: neurons removed by hand (neurons.py), not a ranking to choose
RECORD_SCOPES = (*PRUNE_SCOPES, HAND_SCOPE)
PRESET_NAMES = ("seed", "paper")
MAX_EPOCHS = 1000
# Error messages quote the offending value; a hostile one may be megabytes long or thousands of levels deep.
_QUOTE = reprlib.Repr()
_QUOTE.maxlevel, _QUOTE.maxstring, _QUOTE.maxother, _QUOTE.maxlist, _QUOTE.maxdict = 2, 40, 40, 4, 4
quote = _QUOTE.repr

# The reference blog's schedule: cumulative sparsity targets, in percent.
REFERENCE_PERCENTS = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 95.0, 98.0, 99.0)


def check_percent(percent: float) -> float:
    """A prune target must be a finite number in [0, 100)."""
    check_float("percent", percent, 0.0, 100.0, high_inclusive=False)
    return float(percent)


def check_float(name: str, value: float, low: float, high: float, *, low_inclusive: bool = True,
                high_inclusive: bool = True) -> None:
    """Raise a one-line UserError unless ``value`` is a finite float in the given range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(f"{name} must be a finite number, got {quote(value)}")
    too_low = value < low if low_inclusive else value <= low
    too_high = value > high if high_inclusive else value >= high
    if too_low or too_high:
        lo, hi = ("[" if low_inclusive else "("), ("]" if high_inclusive else ")")
        raise UserError(f"{name} must be in {lo}{low:g}, {high:g}{hi}, got {value:g}")


def check_int(name: str, value: int, low: int, high: int) -> None:
    """Raise a one-line UserError unless ``value`` is an int in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserError(f"{name} must be an integer in [{low}, {high}], got {quote(value)}")


ARCHITECTURES = ("lenet-300-100", "lenet-5")


@dataclass(frozen=True)
class ModelSettings:
    """Which network: LeNet-300-100 (784 -> hidden[0] -> hidden[1] -> 10) or the Caffe LeNet-5 (conv 20, conv
    50, fc 500, fc 10; ``hidden`` does not apply to it)."""

    hidden: tuple[int, ...] = (300, 100)
    arch: str = "lenet-300-100"
    # Dropout on each hidden layer's output while training (0 = none, as in the reference and the presets).
    dropout: float = 0.0

    def __post_init__(self) -> None:
        check_float("dropout", self.dropout, 0.0, 1.0, high_inclusive=False)
        if self.arch not in ARCHITECTURES:
            raise UserError(f"unknown architecture {quote(self.arch)}; choose one of {', '.join(ARCHITECTURES)}")
        if len(self.hidden) != 2 or any(not isinstance(h, (int, float)) or not math.isfinite(h) or int(h) != h
                                        or not 1 <= h <= 4096 for h in self.hidden):  # NaN/inf: int() raises
            raise UserError(f"hidden sizes must be two integers in 1..4096, got {quote(list(self.hidden))}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))


@dataclass(frozen=True)
class TrainSettings:
    """One training recipe. Defaults are the reference blog's recipe (the ``seed`` preset)."""

    preset: str = "seed"
    epochs: int = 20
    batch_size: int = 128
    lr: float = 0.01
    momentum: float = 0.25
    weight_decay: float = 0.0  # L2 regularisation (SGD weight decay), on every parameter
    l1: float = 0.0            # L1 regularisation on the weight matrices (Han et al. compare it with L2)
    # Caffe's "inv" policy: lr_t = lr * (1 + lr_gamma * t) ** -lr_power; gamma 0 means a constant lr.
    lr_gamma: float = 0.0
    lr_power: float = 0.0
    seed: int = 53113

    def __post_init__(self) -> None:
        if not isinstance(self.preset, str) or self.preset not in PRESET_NAMES:
            raise UserError(f"recipe preset must be one of {', '.join(PRESET_NAMES)}, got {quote(self.preset)}")
        check_int("epochs", self.epochs, 0, MAX_EPOCHS)
        check_int("batch size", self.batch_size, 1, 60000)
        check_float("learning rate", self.lr, 0.0, 10.0, low_inclusive=False)
        check_float("momentum", self.momentum, 0.0, 1.0, high_inclusive=False)
        check_float("weight decay", self.weight_decay, 0.0, 1.0)
        check_float("l1", self.l1, 0.0, 1.0)
        check_float("lr gamma", self.lr_gamma, 0.0, 1.0)
        check_float("lr power", self.lr_power, 0.0, 10.0)
        check_int("seed", self.seed, 0, 2**63 - 1)

    def lr_at(self, step: int) -> float:
        """Learning rate at optimizer step ``step`` (0-based), following Caffe's 'inv' policy."""
        return self.lr * (1.0 + self.lr_gamma * step) ** (-self.lr_power)

    def for_retraining(self, epochs: int, lr: float | None = None) -> "TrainSettings":
        """The recipe used after pruning: same problem, lr = 1/10 of the original unless given (Han et al.)."""
        return dataclasses.replace(self, epochs=epochs, lr=self.lr / 10 if lr is None else lr)


PRESETS: dict[str, TrainSettings] = {
    "seed": TrainSettings(),
    # 30 epochs of batch 64 = 28,140 steps; with inv decay the lr falls from 0.02 to ~0.0073 by the end.
    "paper": TrainSettings(preset="paper", epochs=30, batch_size=64, lr=0.02, momentum=0.9,
                           weight_decay=5e-4, lr_gamma=1e-4, lr_power=0.75, seed=53113),
}


def preset(name: str, **overrides) -> TrainSettings:
    """The named preset with some fields replaced (None values are ignored)."""
    if name not in PRESETS:
        raise UserError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    changes = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(PRESETS[name], **changes)


@dataclass(frozen=True)
class PruneSettings:
    """One pruning step: after it, ``percent`` % of all prunable weights are zero (a cumulative target)."""

    percent: float
    scope: str = "global"
    # ``sensitivity`` scope only (see sensitivity.py): the points of validation accuracy a layer may lose when
    # pruned alone, and the per-layer rates (layer, percent) the rule chose; empty until they are measured.
    budget: float = 1.0
    layer_rates: tuple[tuple[str, float], ...] = ()
    # ``random`` scope only: the seed of its random choice (one seed, one mask).
    mask_seed: int = DEFAULT_MASK_SEED

    def __post_init__(self) -> None:
        check_percent(self.percent)
        if self.scope not in PRUNE_SCOPES:
            raise UserError(f"unknown scope {quote(self.scope)}; choose one of {', '.join(PRUNE_SCOPES)}")
        check_float("sensitivity budget", self.budget, 0.0, 100.0)
        check_int("mask seed", self.mask_seed, 0, 2**63 - 1)
        if self.layer_rates and self.scope != "sensitivity":
            raise UserError("per-layer rates belong to the sensitivity scope only")
        for pair in self.layer_rates:
            if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
                raise UserError(f"a per-layer rate is a (layer, percent) pair, got {quote(pair)}")
            check_percent(pair[1])

    def with_layer_rates(self, rates: dict[str, float]) -> "PruneSettings":
        """The same step with the sensitivity rule's per-layer rates filled in."""
        return dataclasses.replace(self, layer_rates=tuple((layer, float(r)) for layer, r in rates.items()))
