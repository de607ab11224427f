"""Prune + retrain latency through the dashboard's own call: API call to result, as a student waits for it.

Times ``lab.prune_step(checkpoint.load("baseline"), PruneSettings(90), retrain_epochs=3)`` - loading the
shipped checkpoint included, MNIST already resident as it is in a running dashboard, at the server's thread
count (``cpus.burst_plan``'s threads per job) as the job queue runs it, and at every CPU (what a direct API or CLI call
uses) - next to the same call with no retraining, so the table shows how the wait splits between
pruning/evaluation and retraining.
"""
from __future__ import annotations

from bench.timing import goal_line, goals_table, interleaved, medians, seconds_table
from pruning_core import checkpoint, cpus, lab
from pruning_core.data import load_mnist
from pruning_core.settings import PruneSettings

RETRAIN_EPOCHS = 3
GOAL_SECONDS = 2.0  # the goal: API call to result on 2 CPUs


def prune(retrain_epochs: int, threads: int) -> None:
    with cpus.threads(threads):
        lab.prune_step(checkpoint.load("baseline"), PruneSettings(90), retrain_epochs=retrain_epochs)


def main(repeats: int) -> None:
    """Print the latency table and the goal."""
    load_mnist("cpu")  # the dashboard loads MNIST once per server, before any click
    server, every = cpus.burst_plan(cpus.AVAILABLE)[1], cpus.AVAILABLE
    counts = sorted({server, every})
    full = {n: f"prune 90 % + {RETRAIN_EPOCHS} retrain epochs (API call to result), {n} thread(s)" for n in counts}
    cases = {name: (lambda n=n: prune(RETRAIN_EPOCHS, n)) for n, name in full.items()}
    cases["prune 90 % only (load, prune, 2 evaluations)"] = lambda: prune(0, server)
    prune(0, server)  # warm-up: first checkpoint read and kernel selection
    samples = interleaved(cases, repeats)
    print(f"## interactive (dashboard prune step, seed baseline; the server runs each job on {server} thread(s), "
          f"a direct API/CLI call on {every})\n")
    print(seconds_table(samples))
    print()
    print(goals_table([goal_line(f"prune 90 % + 3 retrain epochs, {n} thread(s)", medians(samples)[name], GOAL_SECONDS,
                                 "s", why="three training epochs dominate; see the epoch table")
                       for n, name in full.items()]))
