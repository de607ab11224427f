"""The two classroom experiments on an executor: the report's and the ``experiments`` command's runs, and the
dashboard's quick experiment job.

* ``ExecutorRunner`` is a ``research.experiments.Runner``: an experiment's independent runs - one per
  (seed, scope) or (seed, width) - go out as works through ``fanout.gather`` (a local executor with two
  worker processes makes two at once on two CPUs). A seed's baseline for global_vs_layer is one work, and both
  scopes' runs start from its bytes once it is done, as the sequential runner trains it once for both.
* ``whole`` is one whole experiment as a single work: a dashboard job holds one slot of the queue, like a
  prune or a training, and its points come back one by one through ``ctx.partial``.

Each of ``ExecutorRunner``'s works runs on ``threads`` intra-op threads, fixed whatever the executor: a
sequential run on as many threads gives exactly the same numbers (``tests/engine/test_experiments.py`` compares them).
"""
from __future__ import annotations

from collections.abc import Sequence

from ... import checkpoint, cpus
from ...research import experiments
from ...research.experiments import ExperimentPlan, ExperimentSettings
from .. import executors
from . import fanout
from ..executors import Context, Executor
from ..executors.training import decoded

ORIGIN = "experiment"


def seed_baseline(ctx: Context, seed: int, epochs: int, threads: int) -> bytes:
    """A work: the seed's baseline (``experiments.seed_baseline``) as bytes."""
    with cpus.threads(threads):
        return checkpoint.to_bytes(experiments.seed_baseline(seed, epochs, [ctx.report], ctx.should_stop))


def scope_run(ctx: Context, base: bytes, s: ExperimentSettings, scope: str, seed: int, threads: int) -> dict:
    """A work: one global_vs_layer run from the seed's baseline."""
    with cpus.threads(threads):
        return experiments.scope_run(decoded(base, ORIGIN), s, scope, seed, [ctx.report], ctx.should_stop,
                                     ctx.partial)


def width_run(ctx: Context, s: ExperimentSettings, hidden: Sequence[int], seed: int, threads: int) -> dict:
    """A work: one width_300_vs_600 run (train, prune, measure)."""
    with cpus.threads(threads):
        return experiments.width_run(s, hidden, seed, [ctx.report], ctx.should_stop, ctx.partial)


def whole(ctx: Context, name: str, plan: ExperimentPlan) -> dict:
    """A work: experiment ``name`` with ``plan``, run after run, on the thread count of wherever it runs (as
    the dashboard's other works); its results dict."""
    return experiments.run_experiment(name, plan.quick, [ctx.report], ctx.should_stop, ctx.partial, plan)


def pieces(name: str, s: ExperimentSettings, threads: int) -> list[fanout.Piece]:
    """The experiment's runs as works, keyed as ``experiments.run_keys``; global_vs_layer's runs need their
    seed's baseline (keyed by the seed alone)."""
    found: list[fanout.Piece] = []
    for seed, kind in experiments.run_keys(name, s):
        label = f"experiment {name} (seed {seed}, {'scope' if name == 'global_vs_layer' else 'hidden'} {kind})"
        if name == "width_300_vs_600":
            found.append(fanout.Piece((seed, kind), width_run, (s, kind, seed, threads), label))
            continue
        if not any(piece.key == seed for piece in found):
            found.append(fanout.Piece(seed, seed_baseline, (seed, s.train_epochs, threads),
                                      f"experiment {name} (baseline of seed {seed})"))
        found.append(fanout.Piece((seed, kind), scope_run, (s, kind, seed, threads), label, needs=seed))
    return found


class ExecutorRunner:
    """A ``research.experiments.Runner`` on the executor ``name`` (None: ``$PRUNE_LAB_EXECUTOR`` or local),
    created at its first run - a report runs its other stages first - with ``slots`` works at once. ``close``
    releases it."""

    def __init__(self, name: str | None = None, slots: int = cpus.AVAILABLE, threads: int = 1,
                 on_progress: fanout.OnProgress | None = None) -> None:
        self.name = executors.check(name)  # bad input fails now, not after a report's other stages
        self.slots, self.threads, self.on_progress = slots, threads, on_progress
        self.executor: Executor | None = None

    def __call__(self, name: str, s: ExperimentSettings) -> list[dict]:
        if self.executor is None:
            self.executor = executors.create(self.name, slots=self.slots, threads=self.threads)
        results = fanout.gather(self.executor, pieces(name, s, self.threads), self.on_progress)
        return [results[key] for key in experiments.run_keys(name, s)]

    def close(self) -> None:
        if self.executor is not None:
            self.executor.close()
