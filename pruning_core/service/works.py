"""The dashboard's training work as executor works: top-level functions of picklable arguments, so the same
code runs in a thread of the server (tests, no executor), in a local worker process or on a Ray worker.

A start checkpoint travels as bytes and is decoded once per worker process (``decoded``: the shipped
baselines and a class's common starting points are decoded once, not per job); every finished model goes
back through ``ctx.keep``.
"""
from __future__ import annotations

import functools

from .. import checkpoint, lab
from ..checkpoint import Checkpoint
from ..settings import ModelSettings, TrainSettings
from .executors import Context


@functools.lru_cache(maxsize=8)
def decoded(data: bytes, origin: str = "") -> Checkpoint:
    """A checkpoint's bytes decoded once per process; callers never change it (the engine's verbs copy)."""
    return checkpoint.from_bytes(data, "cpu", origin=origin)


def schedule(ctx: Context, start: bytes, origin: str, percents: list[float], scope: str, epochs: int,
             lr: float | None) -> None:
    """Prune -> retrain over ``percents`` from ``start``; each finished step is kept as it lands."""
    for new in lab.schedule(decoded(start, origin), percents, scope, epochs, lr, [ctx.report], ctx.should_stop):
        ctx.keep(new)


def train(ctx: Context, recipe: TrainSettings, model_settings: ModelSettings) -> None:
    """A dense model trained from scratch with ``recipe``."""
    trained = lab.train_baseline(recipe, model_settings, "cpu", [ctx.report], ctx.should_stop)
    trained.origin = f"trained ({recipe.preset})"
    ctx.keep(trained)
