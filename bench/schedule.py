"""The dashboard's "Run the reference schedule" (12 prune steps, 1 retrain epoch each) against its floor.

* dashboard schedule - what the job's work does (``service/executors/training.schedule``): ``lab.schedule`` from
  the shipped baseline over the reference percents with one retraining epoch per step, every step saved as a run
  step (``Run.save_step``, in a temporary runs directory), at a dashboard job's thread count
  (``cpus.burst_plan``'s threads per job). Its parts are timed from inside by wrapping the engine calls it
  makes: retraining (``lab.train`` less its own evaluation), evaluation (three calls per step: before, after
  pruning, after retraining - the first is the previous step's last, which ``train.evaluate`` does not
  recompute), pruning (``lab.compute_masks``), checkpoint saving, and the rest (copies, counts, history records).
* floor - 12 x (sgemm-floor epoch + one evaluation + one pruning), each measured in this process at the same
  thread count: the work a schedule cannot avoid.

``python -m bench --schedule`` also runs the reference's full schedule (20 training epochs, then 12 steps of
20 retraining epochs) once and reports its time.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from unittest import mock

import torch

from bench.epoch import evaluate_case, floor_case
from bench.timing import Case, goal_line, goals_table, interleaved, medians, seconds_table
from pruning_core import checkpoint, cpus, lab, paths, prune, train as engine
from pruning_core.masks import Masks
from pruning_core.service.runs import store as runs
from pruning_core.settings import REFERENCE_PERCENTS, PruneSettings, preset

FULL_RETRAIN_EPOCHS = 20
GOAL_RATIO = 1.0  # the compressed retraining path has to pay for the evaluations and pruning the floor counts


def timed(parts: dict[str, float], name: str, function: Callable) -> Callable:
    """``function`` that also adds its wall time to ``parts[name]``."""
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            parts[name] += time.perf_counter() - started
    return wrapper


EVALUATION, RETRAIN, TOTAL = ("evaluation (3 calls per step; 'before' repeats the last 'after retrain')", "retrain epoch (1 per step, its evaluation excluded)",
                              "total (click to last step saved)")
INSIDE_TRAIN = "_evaluation inside train"


def dashboard_schedule(parts: dict[str, float]) -> None:
    """One reference schedule as the dashboard job runs it; ``parts`` collects the time of each kind of work."""
    start = checkpoint.load("baseline")
    run = runs.create("schedule", "bench", {})
    save = timed(parts, "checkpoint saving (1 per step)", run.save_step)
    evaluate = timed(parts, EVALUATION, engine.evaluate)
    with mock.patch.object(lab, "evaluate", evaluate), \
            mock.patch.object(engine, "evaluate", timed(parts, INSIDE_TRAIN, evaluate)), \
            mock.patch.object(lab, "train", timed(parts, RETRAIN, engine.train)), \
            mock.patch.object(lab, "compute_masks", timed(parts, "pruning (1 per step)", lab.compute_masks)):
        started = time.perf_counter()
        for step in lab.schedule(start, REFERENCE_PERCENTS, "global", retrain_epochs=1):
            save(step)
        parts[TOTAL] += time.perf_counter() - started


def main(repeats: int, full: bool = False) -> None:
    """Print the schedule's parts, its floor and the goal; with ``full``, also the reference's full schedule."""
    threads = cpus.burst_plan(cpus.AVAILABLE)[1]
    baseline = checkpoint.load("baseline")
    weights = {n: p.detach() for n, p in baseline.model.named_parameters() if n in baseline.masks}
    floor_epoch = floor_case(threads)
    parts: dict[str, float] = defaultdict(float)
    runs_root = tempfile.mkdtemp(prefix="prune-lab-bench-runs-")

    def schedule_case() -> float:
        before = parts[TOTAL]
        with mock.patch.dict(os.environ, {paths.ENV_RUNS: runs_root}), cpus.threads(threads):
            dashboard_schedule(parts)
        return parts[TOTAL] - before

    def pruning() -> None:
        with cpus.threads(threads):
            prune.compute_masks(weights, Masks.dense(baseline.model), PruneSettings(90.0))

    cases: dict[str, Case] = {"dashboard reference schedule (12 steps x 1 retrain epoch)": schedule_case,
                              f"sgemm floor epoch, {threads} thread(s)": lambda: floor_epoch(),
                              "evaluate 10k test images": evaluate_case(threads), "prune 90 % (compute_masks)": pruning}
    for name, case in cases.items():
        if name != next(iter(cases)):
            case()  # warm-up (the schedule's first run is its own warm-up: parts are averaged over all runs)
    samples = interleaved(cases, repeats)
    med = medians(samples)
    measured = med["dashboard reference schedule (12 steps x 1 retrain epoch)"]
    steps = len(REFERENCE_PERCENTS)
    floor = steps * (med[f"sgemm floor epoch, {threads} thread(s)"] + med["evaluate 10k test images"]
                     + med["prune 90 % (compute_masks)"])
    print(f"## dashboard reference schedule ({steps} steps {REFERENCE_PERCENTS[0]:g} ... {REFERENCE_PERCENTS[-1]:g} %, "
          f"1 retrain epoch each, {threads} thread(s) as in the server)\n")
    print(seconds_table(samples))
    print("\n| part of the schedule | seconds per schedule (mean of runs) |\n|---|---|")
    parts[RETRAIN] -= parts.pop(INSIDE_TRAIN)  # the retraining's end-of-epoch evaluation counts once
    accounted = 0.0
    for name, seconds in parts.items():
        if name != TOTAL:
            accounted += seconds
            print(f"| {name} | {seconds / repeats:.3f} |")
    total = parts[TOTAL] / repeats
    print(f"| the rest (checkpoint copies, counts, history records) | {total - accounted / repeats:.3f} |")
    print(f"| total (click to last step saved) | {total:.3f} |")
    print(f"\nfloor = {steps} x (sgemm-floor epoch + evaluation + pruning) = {floor:.3f} s")
    print()
    print(goals_table([goal_line("dashboard schedule / its floor", measured / floor, GOAL_RATIO, "x",
                                 why="see the parts: two evaluations per step where the floor counts one")]))
    if full:
        print()
        reference_schedule(FULL_RETRAIN_EPOCHS)


def reference_schedule(retrain_epochs: int) -> None:
    """The reference's full schedule once: 20 training epochs, then prune -> retrain over the 12 percents."""
    recipe = preset("seed")
    started = time.perf_counter()
    baseline = lab.train_baseline(recipe, device="cpu")
    trained = time.perf_counter() - started
    *_, last = lab.schedule(baseline, REFERENCE_PERCENTS, retrain_epochs=retrain_epochs)
    pruned = time.perf_counter() - started - trained
    print(f"## reference schedule (full: {recipe.epochs} + {len(REFERENCE_PERCENTS)} x {retrain_epochs} epochs, "
          f"{cpus.AVAILABLE} thread(s))\n")
    print("| part | seconds (one run) |\n|---|---|")
    print(f"| train baseline (seed preset, {recipe.epochs} epochs) | {trained:.1f} |")
    print(f"| prune + retrain, {len(REFERENCE_PERCENTS)} steps | {pruned:.1f} |")
    print(f"| total | {trained + pruned:.1f} |")
    print(f"\nfinal: {100 * last.masks.sparsity():.1f} % pruned, test accuracy {100 * last.accuracy:.2f} %")
    where = "a GPU is present, but this benchmark times the CPU" if torch.cuda.is_available() else "no GPU here"
    print(f"GPU goal (full schedule on one H200 <= 10 s): not measured ({where})")
