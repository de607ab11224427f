"""The dashboard's training work as executor works: top-level functions of picklable arguments, so the same
code runs in a thread of the server (tests, no executor), in a local worker process or on a Ray worker.

A start checkpoint travels as bytes and is decoded once per worker process (``decoded``: the shipped
baselines and a class's common starting points are decoded once, not per job); every finished model goes
back through ``ctx.keep``.
"""
from __future__ import annotations

import functools

from ... import checkpoint, lab, neurons
from ...checkpoint import Checkpoint
from ...settings import ModelSettings, PruneSettings, TrainSettings
from .base import Context


@functools.lru_cache(maxsize=8)
def decoded(data: bytes, origin: str = "") -> Checkpoint:
    """A checkpoint's bytes decoded once per process; callers never change it (the engine's verbs copy)."""
    return checkpoint.from_bytes(data, "cpu", origin=origin)


def schedule(ctx: Context, start: bytes, origin: str, steps: list[PruneSettings], epochs: int,
             lr: float | None) -> None:
    """Prune -> retrain through ``steps`` from ``start``, each finished step kept as it lands. The steps were
    checked once, when the job was queued (``lab.check_schedule``), and are not checked again here."""
    current = decoded(start, origin)
    for settings in steps:
        current = lab.prune_step(current, settings, epochs, lr, [ctx.report], ctx.should_stop)
        ctx.keep(current)


def train(ctx: Context, recipe: TrainSettings, model_settings: ModelSettings) -> None:
    """A dense model trained from scratch with ``recipe``."""
    ctx.keep(lab.train_baseline(recipe, model_settings, "cpu", [ctx.report], ctx.should_stop))


def remove_neurons(ctx: Context, start: bytes, origin: str, chosen: list[int]) -> None:
    """The fc1 neurons ``chosen`` removed from ``start`` (``neurons.remove``: no retraining), kept as one step."""
    current = decoded(start, origin)
    ctx.keep(neurons.remove(current, chosen, lab.mnist_for(current)))


def compare_criteria(ctx: Context, start: bytes, origin: str, scopes: list[str], percents: list[float],
                     epochs: int, lr: float | None) -> None:
    """The same schedule from ``start`` once per scope (checked when queued), each finished step sent back as
    a point ``{"scope", "percent", "sparsity", "accuracy_after_prune", "accuracy_after_retrain"}``; no model
    is kept."""
    current = decoded(start, origin)
    for scope in scopes:
        for model in lab.schedule(current, percents, scope, epochs, lr, [ctx.report], ctx.should_stop):
            record = model.history[-1]
            ctx.partial({"scope": scope, "percent": record.percent, "sparsity": 100 * record.sparsity,
                         "accuracy_after_prune": record.accuracy_after_prune,
                         "accuracy_after_retrain": record.accuracy_after_retrain})
