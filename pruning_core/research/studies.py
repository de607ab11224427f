"""The paper's analysis tools and the alternatives users of other toolkits expect, built on the same engine.

* ``sensitivity``      - prune one layer at a time, no retraining: how fragile is each layer? (Han et al. Fig. 5)
* ``agp_percents``     - Zhu & Gupta's (2017) gradual, cubic sparsity schedule, to feed ``lab.schedule``.
* ``lottery_rewind``   - Frankle & Carbin's (2019) lottery ticket: keep the mask, reset the survivors to their
  initial values (recreated from the recipe's seed) and train again with the mask held.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from ..checkpoint import Checkpoint
from ..errors import UserError
from ..lab import mnist_for
from ..models import build_model
from ..sensitivity import curves as layer_curves
from ..settings import check_percent
from ..train import Callback, evaluate, train

def sensitivity(checkpoint: Checkpoint, percents: Sequence[float]) -> dict[str, list[float]]:
    """Test accuracy when only one layer is pruned to each percent (the others left as they are)."""
    return layer_curves(checkpoint, mnist_for(checkpoint).test, percents)

def agp_percents(final: float, steps: int, initial: float = 0.0) -> list[float]:
    """Sparsity targets s_t = s_f + (s_i - s_f)(1 - t/n)^3 for t = 1..n: prune fast early, gently late."""
    check_percent(final)
    check_percent(initial)
    if steps < 1:
        raise UserError("an AGP schedule needs at least one step")
    return [final + (initial - final) * (1 - t / steps) ** 3 for t in range(1, steps + 1)]

def lottery_rewind(pruned: Checkpoint, epochs: int | None = None, callbacks: Sequence[Callback] = (),
                   should_stop: Callable[[], bool] | None = None) -> Checkpoint:
    """Reset the surviving weights of ``pruned`` to their values at initialisation, then train them (mask
    held) with the original recipe for ``epochs`` (default: the recipe's)."""
    device = next(pruned.model.parameters()).device
    recipe = pruned.recipe if epochs is None else pruned.recipe.for_retraining(epochs, pruned.recipe.lr)
    model = build_model(pruned.model.settings, pruned.recipe.seed, device)  # the same init as the baseline
    data = mnist_for(pruned)
    accuracies = train(model, data, recipe, pruned.masks, callbacks, should_stop)
    # The history still describes how the mask was found; the origin says the weights were rewound.
    return Checkpoint(model=model, masks=pruned.masks, recipe=pruned.recipe, history=list(pruned.history),
                      accuracy=accuracies[-1] if accuracies else evaluate(model, data.test),
                      origin=f"{pruned.origin} (lottery rewind, {recipe.epochs} epochs)")
