"""Han et al.'s per-layer rates: sensitivity curves on the validation split, then a stated rule.

1. *Curves.* Each layer alone is pruned (smallest |w| in that layer) to every rate of ``GRID`` and the
   accuracy is measured on the validation split - the last ``VALIDATION_IMAGES`` MNIST *training* images,
   never the test set - with the other layers left as they are.
2. *Rule.* A layer's rate is the largest grid rate r such that every grid rate <= r costs at most
   ``budget`` points of validation accuracy against the unpruned model (0 if even the first one costs more).
3. *Scaling to the target.* The chosen rates give each layer a kept fraction 1 - r/100; the ``sensitivity``
   prune scope (``prune.compute_masks``) multiplies every layer's kept fraction by the one factor that leaves
   exactly the target's number of weights (largest-remainder rounding), so the layers keep their ratios.

The curves are measured once, on the model the schedule starts from (Han et al. analyse the trained dense
network), and the rates are then held through every prune -> retrain step.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from .checkpoint import Checkpoint
from .data import Split, load_mnist
from .masks import Masks, layer_of
from .prune import compute_masks
from .settings import PruneSettings, check_float
from .train import evaluate

VALIDATION_IMAGES = 5000   # the last 5,000 training images (the validation protocol's held-out split)
GRID = (10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 92.0, 94.0, 96.0, 98.0, 99.0)
DEFAULT_BUDGET = 1.0       # points of validation accuracy a layer may lose when pruned alone


def validation_split(device: torch.device | str = "cpu") -> Split:
    """The last ``VALIDATION_IMAGES`` MNIST training images: held out by the validation protocol (which trains
    on the first 55,000), and never test images."""
    train = load_mnist(device).train
    start = len(train) - VALIDATION_IMAGES
    return Split(train.images[start:], train.labels[start:], train.pixels[start:])


def curves(checkpoint: Checkpoint, split: Split, grid: Sequence[float] = GRID) -> dict[str, list[float]]:
    """Accuracy on ``split`` when only one layer is pruned to each rate in ``grid`` (the model is restored)."""
    params = dict(checkpoint.model.named_parameters())
    result: dict[str, list[float]] = {}
    for name in checkpoint.masks:
        original = params[name].detach().clone()
        curve = []
        for rate in grid:
            alone = Masks({name: checkpoint.masks[name]})
            compute_masks({name: params[name]}, alone, PruneSettings(rate, "layer")).masks.apply_(checkpoint.model)
            curve.append(evaluate(checkpoint.model, split))
            params[name].data.copy_(original)
        result[layer_of(name)] = curve
    return result


def choose_rates(layer_curves: Mapping[str, Sequence[float]], base_accuracy: float, budget: float,
                 grid: Sequence[float] = GRID) -> dict[str, float]:
    """The rule: per layer, the largest grid rate such that it and every smaller grid rate lose at most
    ``budget`` points (accuracies are fractions, the budget is in points); 0 if none qualifies."""
    check_float("sensitivity budget", budget, 0.0, 100.0)
    rates = {}
    for layer, curve in layer_curves.items():
        rate = 0.0
        for grid_rate, accuracy in zip(grid, curve):
            if 100 * (base_accuracy - accuracy) > budget + 1e-9:
                break
            rate = grid_rate
        rates[layer] = rate
    return rates


def measure_rates(checkpoint: Checkpoint, budget: float = DEFAULT_BUDGET) -> tuple[dict[str, float], dict]:
    """Curves on the validation split, then the rule: (rates per layer, what was measured)."""
    split = validation_split(next(checkpoint.model.parameters()).device)
    base = evaluate(checkpoint.model, split)
    measured = curves(checkpoint, split)
    return choose_rates(measured, base, budget), {"grid": list(GRID), "base": base, "curves": measured,
                                                  "budget": budget, "split": f"last {VALIDATION_IMAGES} training"}


def with_rates(settings: PruneSettings, checkpoint: Checkpoint) -> PruneSettings:
    """``settings`` with its per-layer rates measured on ``checkpoint`` if it is a sensitivity step without any."""
    if settings.scope != "sensitivity" or settings.layer_rates:
        return settings
    rates, _ = measure_rates(checkpoint, settings.budget)
    return settings.with_layer_rates(rates)

