"""Sweeps: many independent prune + retrain points of one checkpoint, run on an executor (local or Ray).

A point is (percent, scope, seed, width): prune the start checkpoint to ``percent`` % with ``scope``, then
retrain ``retrain_epochs`` epochs with the recipe's shuffle seed replaced by ``seed``. A ``width`` other than
the checkpoint's first hidden layer first trains a dense baseline of that width with the checkpoint's recipe
and the point's seed (one training per (width, seed), shared by its points; LeNet-300-100 only).

Every point runs on ``threads`` intra-op threads (1 by default), fixed whatever the executor: the thread count
decides the floating-point summation order, so the same points give bit-identical accuracies on ``local`` and
``ray``. Works are top-level functions of picklable arguments; the start checkpoint travels as bytes (shared
once: on Ray one object-store copy) and each worker process decodes it once (``works.decoded``).
"""
from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import checkpoint, cpus, lab
from ..checkpoint import Checkpoint
from ..errors import UserError
from ..settings import ModelSettings, PruneSettings
from .executors import Context, Executor, Handle
from .works import decoded

POLL_SECONDS = 0.1
ORIGIN = "sweep"


@dataclass(frozen=True)
class Point:
    percent: float
    scope: str
    seed: int
    width: int


OnProgress = Callable[[float, int, int], None]  # (fraction of all work done, points done, points in all)


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
        result = lab.prune_step(start, PruneSettings(point.percent, point.scope), retrain_epochs, lr,
                                [ctx.report], ctx.should_stop)
    step = result.history[-1]
    return {**dataclasses.asdict(point), "accuracy_after_prune": step.accuracy_after_prune,
            "accuracy_after_retrain": step.accuracy_after_retrain, "nonzero": sum(step.nonzero.values()),
            "seconds": round(time.perf_counter() - started, 3)}


def run(start_bytes: bytes, points: Sequence[Point], executor: Executor, retrain_epochs: int = 1,
        lr: float | None = None, threads: int = 1, on_progress: OnProgress | None = None) -> list[dict]:
    """Run every point on ``executor``; results in ``points`` order. The first failing point cancels the rest
    and raises its error (a ``UserError`` naming the point)."""
    start = decoded(start_bytes, ORIGIN)
    shared = executor.share(start_bytes)
    own_width = start.model.settings.hidden[0]
    results: dict[Point, dict] = {}
    running: dict[Handle, Any] = {}  # handle -> the Point it computes, or the (width, seed) it trains
    fractions: dict[Handle, float] = {}
    for point in points:
        if point.width == own_width:
            running[executor.submit(prune_point, shared, point, retrain_epochs, lr, threads)] = point
    for key in dict.fromkeys((p.width, p.seed) for p in points if p.width != own_width):
        running[executor.submit(train_width, shared, *key, threads)] = key
    units = len(points) + len([k for k in running.values() if isinstance(k, tuple)])
    try:
        while running:
            for handle in [h for h in running if h.done()]:
                what = running.pop(handle)
                fractions.pop(handle, None)
                value = _result(handle, what)
                if isinstance(what, Point):
                    results[what] = value
                    continue
                trained = executor.share(value)
                for point in points:
                    if (point.width, point.seed) == what:
                        running[executor.submit(prune_point, trained, point, retrain_epochs, lr, threads)] = point
            for handle in running:
                for update in handle.updates():
                    if update.kind == "event" and update.payload.get("total_steps"):
                        fractions[handle] = update.payload["step"] / update.payload["total_steps"]
            if on_progress:
                finished = units - len(running)
                on_progress((finished + sum(fractions.values())) / units, len(results), len(points))
            if running:
                time.sleep(POLL_SECONDS)
    finally:
        for handle in running:  # an error or Ctrl+C: nothing keeps computing for nobody
            handle.cancel()
    return [results[point] for point in points]


def _result(handle: Handle, what: Any) -> Any:
    try:
        return handle.result()
    except UserError as err:
        label = (f"percent {what.percent:g}, scope {what.scope}, seed {what.seed}, width {what.width}"
                 if isinstance(what, Point) else f"baseline of width {what[0]}, seed {what[1]}")
        raise UserError(f"sweep point ({label}) failed: {err}") from None


class ProgressLine:
    """``on_progress`` for a terminal: one redrawn line (a line per finished point when stderr is a file)."""

    WIDTH = 30

    def __init__(self, stream: Any) -> None:
        self.stream, self.interactive, self.shown = stream, stream.isatty(), -1

    def __call__(self, fraction: float, done: int, total: int) -> None:
        if not self.interactive and done == self.shown:
            return
        filled = int(self.WIDTH * min(1.0, fraction))
        text = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} points"
        end = "\n" if done == total or not self.interactive else ""
        self.stream.write(("\r\x1b[2K" if self.interactive else "") + text + end)
        self.stream.flush()
        self.shown = done
