"""The engine's verbs, shared by the CLI and the dashboard: train a baseline, prune + retrain, run a schedule.

Each verb takes a ``Checkpoint`` (or settings) and returns a new one; the input is never modified, so a
cancelled or failed step leaves the caller's model exactly at its last completed step.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence

import torch

from .checkpoint import Checkpoint
from .data import Mnist, load_mnist, resolve_device
from .errors import UserError
from .masks import Masks
from .models import build_model
from . import prune, sensitivity
from .prune import compute_masks
from .records import StepRecord
from .settings import DEFAULT_MASK_SEED, REFERENCE_PERCENTS, ModelSettings, PruneSettings, TrainSettings
from .train import Callback, Progress, evaluate, train


def mnist_for(checkpoint: Checkpoint) -> Mnist:
    return load_mnist(next(checkpoint.model.parameters()).device)


def train_baseline(recipe: TrainSettings, model_settings: ModelSettings = ModelSettings(),
                   device: str | None = None, callbacks: Sequence[Callback] = (),
                   should_stop: Callable[[], bool] | None = None, data: Mnist | None = None) -> Checkpoint:
    """A dense model trained from scratch with ``recipe`` (deterministic under ``recipe.seed``). ``data``:
    other splits to train on and to measure with (a validation protocol); default MNIST's train and test."""
    dev = resolve_device(device)
    data = data or load_mnist(dev)
    model = build_model(model_settings, recipe.seed, dev)
    accuracies = train(model, data, recipe, callbacks=callbacks, should_stop=should_stop)
    accuracy = accuracies[-1] if accuracies else evaluate(model, data.test)
    return Checkpoint(model=model, masks=Masks.dense(model).to(dev), recipe=recipe, accuracy=accuracy)


def layer_counts(checkpoint: Checkpoint) -> dict[str, dict[str, int]]:
    """Per layer: nonzero weights and all weights (``{"fc1": {"nonzero": n, "total": n}, ...}``)."""
    weights = dict(checkpoint.model.named_parameters())
    return {name.rsplit(".", 1)[0]: {"nonzero": int(weights[name].count_nonzero()), "total": mask.numel()}
            for name, mask in checkpoint.masks.items()}


def summary(checkpoint: Checkpoint, accuracy: float | None = None) -> dict:
    """Accuracy and sparsity as plain data (the CLI's ``evaluate`` output, the sidebar's model card)."""
    layers = layer_counts(checkpoint)
    nonzero = sum(v["nonzero"] for v in layers.values())
    total = sum(v["total"] for v in layers.values())
    if accuracy is None:
        accuracy = evaluate(checkpoint.model, mnist_for(checkpoint).test)
    # Both conventions: weights only, and weights + biases (Han et al.'s 12x counts biases).
    biases = [p for name, p in checkpoint.model.named_parameters() if name not in checkpoint.masks]
    with_biases = (total + sum(b.numel() for b in biases), nonzero + sum(int(b.count_nonzero()) for b in biases))
    return {"accuracy": accuracy, "layers": layers, "nonzero": nonzero, "total": total,
            "compression": total / nonzero if nonzero else float("inf"),
            "compression_with_biases": with_biases[0] / with_biases[1] if with_biases[1] else float("inf")}


def adjust_dropout(checkpoint: Checkpoint) -> None:
    """Han et al.: pruning lowers capacity, so retraining drops less: D_r = D_o * sqrt(C_ir / C_io), with C_i
    the connections of the hidden layer whose output the dropout acts on."""
    model = checkpoint.model
    if getattr(model, "dropout", None) is None or not model.settings.dropout:
        return
    kept, sizes = checkpoint.masks.kept(), checkpoint.masks.sizes()
    model.dropout = [model.settings.dropout * (kept[layer] / sizes[layer]) ** 0.5 for layer in ("fc1", "fc2")]


def prune_step(checkpoint: Checkpoint, settings: PruneSettings, retrain_epochs: int = 1,
               lr: float | None = None, callbacks: Sequence[Callback] = (),
               should_stop: Callable[[], bool] | None = None, data: Mnist | None = None) -> Checkpoint:
    """Prune ``checkpoint`` to ``settings.percent`` % and retrain with the masks held. ``data``: the splits
    to retrain on and to measure with (default: ``mnist_for(checkpoint)``, i.e. train and test).

    Emits a ``Progress(kind="pruned")`` event with the accuracy right after pruning, then the retraining's
    events. Returns a new checkpoint whose history has one more record."""
    data = data or mnist_for(checkpoint)
    settings = sensitivity.with_rates(settings, checkpoint)
    result = checkpoint.copy()
    before = evaluate(result.model, data.test)
    weights = dict(result.model.named_parameters())
    pruned = compute_masks({n: weights[n] for n in result.masks}, result.masks, settings)
    result.masks = pruned.masks
    result.masks.apply_(result.model)
    adjust_dropout(result)
    after_prune = evaluate(result.model, data.test)
    retrain = result.recipe.for_retraining(retrain_epochs, lr)
    for callback in callbacks:
        callback(Progress("pruned", 0, retrain_epochs, 0, 0, float("nan"), retrain.lr, after_prune))
    accuracies = train(result.model, data, retrain, result.masks, callbacks, should_stop)
    after_retrain = accuracies[-1] if accuracies else after_prune
    result.accuracy = after_retrain
    counts = layer_counts(result)
    result.history.append(StepRecord(
        step=len(checkpoint.history) + 1, percent=settings.percent, scope=settings.scope,
        threshold=pruned.threshold, quality=pruned.quality, thresholds=pruned.thresholds,
        accuracy_before=before, accuracy_after_prune=after_prune, accuracy_after_retrain=after_retrain,
        retrain_epochs=retrain_epochs, retrain_lr=retrain.lr, retrain_curve=tuple(accuracies),
        nonzero={layer: c["nonzero"] for layer, c in counts.items()},
        sparsity=1.0 - sum(c["nonzero"] for c in counts.values()) / sum(c["total"] for c in counts.values()),
        mask_seed=settings.mask_seed if settings.scope == "random" else None))
    return result


def check_schedule(checkpoint: Checkpoint, percents: Sequence[float], scope: str = "global",
                   retrain_epochs: int = 1, lr: float | None = None,
                   mask_seed: int = DEFAULT_MASK_SEED) -> list[PruneSettings]:
    """The one rule for a schedule, checked before any work: at least one valid percent, never decreasing
    (pruned weights never come back), the first reachable from ``checkpoint``'s sparsity, and a valid
    retraining recipe. Returns the steps' settings (``mask_seed``: the random scope's); anything else is a
    UserError."""
    if not percents:
        raise UserError("a schedule needs at least one percent")
    steps = [PruneSettings(percent, scope, mask_seed=mask_seed) for percent in percents]
    if any(b.percent < a.percent for a, b in zip(steps, steps[1:])):
        raise UserError("percents must not decrease (pruned weights never come back)")
    prune.check_reachable(checkpoint.masks, steps[0].percent)
    checkpoint.recipe.for_retraining(retrain_epochs, lr)
    return steps


def schedule(checkpoint: Checkpoint, percents: Sequence[float] = REFERENCE_PERCENTS, scope: str = "global",
             retrain_epochs: int = 1, lr: float | None = None, callbacks: Sequence[Callback] = (),
             should_stop: Callable[[], bool] | None = None, data: Mnist | None = None,
             layer_rates: Mapping[str, float] | None = None,
             mask_seed: int = DEFAULT_MASK_SEED) -> Iterator[Checkpoint]:
    """Iterative prune -> retrain over ``percents``; yields the checkpoint after each step. Validated when
    called (``check_schedule``), not when the first step is asked for. ``data`` as in ``prune_step``. The
    sensitivity scope uses ``layer_rates`` if given, else measures them once on ``checkpoint``; the random
    scope draws every step with ``mask_seed`` (one random order, pruned further at each step)."""
    steps = check_schedule(checkpoint, percents, scope, retrain_epochs, lr, mask_seed)
    if layer_rates is not None and scope == "sensitivity":
        steps = [s.with_layer_rates(dict(layer_rates)) for s in steps]

    def run() -> Iterator[Checkpoint]:
        current = checkpoint
        rates = sensitivity.with_rates(steps[0], checkpoint).layer_rates
        for settings in steps:
            settings = dataclasses.replace(settings, layer_rates=rates)
            current = prune_step(current, settings, retrain_epochs, lr, callbacks, should_stop, data)
            yield current
    return run()


def step_table(history: Sequence[StepRecord]) -> list[dict]:
    """One flat row per step (percent, threshold, accuracies, nonzero per layer): for tables and CSV."""
    rows = []
    for step in history:
        row = {"step": step.step, "percent": step.percent, "scope": step.scope, "threshold": step.threshold,
               "accuracy_after_prune": step.accuracy_after_prune, "accuracy_after_retrain": step.accuracy_after_retrain}
        row.update({f"threshold_{layer}": t for layer, t in step.thresholds.items()})
        row.update({f"nonzero_{layer}": n for layer, n in step.nonzero.items()})
        row["nonzero"] = sum(step.nonzero.values())
        rows.append(row)
    return rows


def to_device(checkpoint: Checkpoint, device: str | torch.device | None) -> Checkpoint:
    """The same checkpoint on another device (a copy)."""
    dev = resolve_device(None if device is None else str(device))
    moved = checkpoint.copy()
    moved.model.to(dev)
    moved.masks = moved.masks.to(dev)
    return moved
