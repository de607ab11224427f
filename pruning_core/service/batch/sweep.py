"""Sweeps: many independent prune + retrain points of one checkpoint, run on an executor (local or Ray).

A point is (percent, scope, seed, width): prune the start checkpoint to ``percent`` % with ``scope``, then
retrain ``retrain_epochs`` epochs with the recipe's shuffle seed replaced by ``seed`` (the random scope's mask
is drawn with ``seed`` too). A ``width`` other than
the checkpoint's first hidden layer first trains a dense baseline of that width with the checkpoint's recipe
and the point's seed (one training per (width, seed), shared by its points; LeNet-300-100 only).

Every point runs on ``threads`` intra-op threads (1 by default), fixed whatever the executor: the thread count
decides the floating-point summation order, so the same points give bit-identical accuracies on ``local`` and
``ray``. Works are top-level functions of picklable arguments; the start checkpoint travels as bytes (shared
once: on Ray one object-store copy) and each worker process decodes it once (``executors.training.decoded``).
"""
from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ... import checkpoint, cpus, lab
from ...checkpoint import Checkpoint
from ...errors import UserError
from ...settings import ModelSettings, PruneSettings
from . import fanout
from ..executors import Context, Executor
from .fanout import OnProgress
from ..executors.training import decoded

ORIGIN = "sweep"


@dataclass(frozen=True)
class Point:
    percent: float
    scope: str
    seed: int
    width: int


def plan(start: Checkpoint, percents: Sequence[float], scopes: Sequence[str], seeds: Sequence[int] = (),
         widths: Sequence[int] = (), retrain_epochs: int = 1, lr: float | None = None) -> list[Point]:
    """Every point of the grid, validated before any work (a UserError names the first bad one)."""
    hidden = start.model.settings.hidden
    seeds = list(dict.fromkeys(seeds)) or [start.recipe.seed]
    widths = list(dict.fromkeys(widths)) or [hidden[0]]
    for width in widths:
        if width != hidden[0]:
            if start.model.settings.arch != "lenet-300-100":
                raise UserError("--widths needs a LeNet-300-100 checkpoint")
            ModelSettings(hidden=(width, *hidden[1:]))  # validates the width
    for percent, scope in itertools.product(percents, scopes):
        lab.check_schedule(start, [percent], scope, retrain_epochs, lr)
    return [Point(p, s, seed, w) for w, seed, s, p in itertools.product(widths, seeds, scopes, percents)]


def train_width(ctx: Context, data: bytes, width: int, seed: int, threads: int) -> bytes:
    """A work: the dense baseline of ``width`` trained with the start checkpoint's recipe and ``seed``."""
    start = decoded(data, ORIGIN)
    model_settings = dataclasses.replace(start.model.settings, hidden=(width, *start.model.settings.hidden[1:]))
    with cpus.threads(threads):
        trained = lab.train_baseline(dataclasses.replace(start.recipe, seed=seed), model_settings, "cpu",
                                     [ctx.report], ctx.should_stop)
    return checkpoint.to_bytes(trained)


def prune_point(ctx: Context, data: bytes, point: Point, retrain_epochs: int, lr: float | None,
                threads: int) -> dict:
    """A work: one point - prune, retrain, and the numbers the sweep reports."""
    start = decoded(data, ORIGIN)
    start = dataclasses.replace(start, recipe=dataclasses.replace(start.recipe, seed=point.seed))
    started = time.perf_counter()
    with cpus.threads(threads):
        settings = PruneSettings(point.percent, point.scope, mask_seed=point.seed)
        result = lab.prune_step(start, settings, retrain_epochs, lr,
                                [ctx.report], ctx.should_stop)
    step = result.history[-1]
    return {**dataclasses.asdict(point), "accuracy_after_prune": step.accuracy_after_prune,
            "accuracy_after_retrain": step.accuracy_after_retrain, "nonzero": sum(step.nonzero.values()),
            "seconds": round(time.perf_counter() - started, 3)}


def run(start_bytes: bytes, points: Sequence[Point], executor: Executor, retrain_epochs: int = 1,
        lr: float | None = None, threads: int = 1, on_progress: OnProgress | None = None) -> list[dict]:
    """Run every point on ``executor`` (``fanout.gather``); results in ``points`` order. The first failing
    point cancels the rest and raises its error (a ``UserError`` naming the point)."""
    own_width = decoded(start_bytes, ORIGIN).model.settings.hidden[0]
    shared = executor.share(start_bytes)
    pieces = []
    for point in points:
        label = (f"sweep point (percent {point.percent:g}, scope {point.scope}, seed {point.seed}, "
                 f"width {point.width})")
        rest = (point, retrain_epochs, lr, threads)
        if point.width == own_width:
            pieces.append(fanout.Piece(point, prune_point, (shared, *rest), label))
        else:  # after its (width, seed) baseline, trained once for all its points
            pieces.append(fanout.Piece(point, prune_point, rest, label, needs=(point.width, point.seed)))
    for width, seed in dict.fromkeys((p.width, p.seed) for p in points if p.width != own_width):
        pieces.append(fanout.Piece((width, seed), train_width, (shared, width, seed, threads),
                                   f"sweep point (baseline of width {width}, seed {seed})"))
    results = fanout.gather(executor, pieces, on_progress)
    return [results[point] for point in points]
