"""L1 vs L2 over seeds, on the validation protocol: Han et al.'s claim that an L1-trained network loses less
right after pruning and an L2-trained one ends better after retraining.

The plan, fixed here before any of its runs (``PLAN``); the test set is never used:

* data: the validation protocol - train on the first 55,000 MNIST training images, measure on the last 5,000;
* per seed, two dense LeNet-300-100 models with the `paper` preset (30 epochs), identical except the
  regulariser: L2 is the preset's weight decay 5e-4; L1 is ``reproduce.L1_STRENGTH`` on the weight matrices
  and no weight decay. The seed sets the initial weights and the data order, the same for both;
* each percent of ``PLAN.percents`` is pruned once from the dense model (one global magnitude threshold) and
  retrained ``PLAN.retrain_epochs`` epochs with the same regulariser (lr 1/10 of the recipe's); the validation
  accuracy right after pruning and after retraining is kept;
* reading: the paired difference L1 - L2 (points, same seed) at each percent and phase - one Holm family of
  all eight comparisons (``stats.holm``: mean ± sd, the t interval at its Holm level, the verdict).

Seeds 1-5: with three seeds the t interval at Holm's smallest level (0.05 / 8, 2 degrees of freedom) is
±12.6 standard errors wide, which no difference of this size could leave; five seeds cut that to ±5.3.

Run one seed per process (two at once on the 2 CPUs): ``python -m pruning_core.research.regularisers SEED``
stores ``l1_vs_l2_SEED.json`` in the experiments folder with its run time, thread count and commit.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

from .. import cpus, lab
from ..data import Mnist
from ..settings import ModelSettings, PruneSettings, preset
from .markdown import mean_std, table
from .protocol import THREADS, load, store
from .protocol_runs import validation_data
from .report_questions import diff_cell
from .reproduce import L1_STRENGTH
from .stats import ALPHA, holm

PHASES = {"accuracy_after_prune": "after pruning", "accuracy_after_retrain": "after retraining"}


@dataclass(frozen=True)
class RegulariserPlan:
    """Every knob of the L1 vs L2 study."""

    seeds: tuple[int, ...] = (1, 2, 3, 4, 5)
    dense_epochs: int = 30
    percents: tuple[float, ...] = (50, 80, 90, 95)
    retrain_epochs: int = 2
    l1: float = L1_STRENGTH
    weight_decay: float = 5e-4


PLAN = RegulariserPlan()


def recipes(plan: RegulariserPlan, seed: int) -> dict:
    """The two dense recipes of one seed: the paper preset with L2, and the same with L1 instead."""
    return {"L2": preset("paper", epochs=plan.dense_epochs, seed=seed, weight_decay=plan.weight_decay),
            "L1": preset("paper", epochs=plan.dense_epochs, seed=seed, weight_decay=0.0, l1=plan.l1)}


def run(plan: RegulariserPlan, seed: int, data: Mnist | None = None) -> dict:
    """One seed: both dense models, each percent pruned once from each and retrained; validation accuracies."""
    data = data or validation_data()
    result: dict = {"seed": seed, "plan": {**plan.__dict__, "percents": list(plan.percents)},
                    "dense": {}, "points": {}}
    for name, recipe in recipes(plan, seed).items():
        dense = lab.train_baseline(recipe, ModelSettings(), "cpu", data=data)
        result["dense"][name] = dense.accuracy
        steps = [lab.prune_step(dense, PruneSettings(p), plan.retrain_epochs, data=data).history[-1]
                 for p in plan.percents]
        result["points"][name] = [{"percent": s.percent, **{k: getattr(s, k) for k in PHASES}} for s in steps]
        print(f"seed {seed} {name}: dense {dense.accuracy:.4f}, "
              + ", ".join(f"{s.percent:g} % {s.accuracy_after_prune:.4f} -> {s.accuracy_after_retrain:.4f}"
                          for s in steps), file=sys.stderr, flush=True)
    return result


def result_name(seed: int) -> str:
    """The stored file's name (without .json) of one seed's results."""
    return f"l1_vs_l2_{seed}"


def run_missing(log, plan: RegulariserPlan = PLAN) -> None:
    """Run and store every seed of ``plan`` that has no stored result (the report's run from scratch)."""
    for seed in plan.seeds:
        if load(result_name(seed)) is None:
            log(f"report: L1 vs L2, seed {seed} ...")
            store_seed(plan, seed)


def store_seed(plan: RegulariserPlan, seed: int) -> str:
    """Run one seed on ``THREADS`` threads and store it with its run time, thread count and commit."""
    started = time.time()
    with cpus.threads(THREADS):
        result = run(plan, seed)
    name = result_name(seed)
    store(name, result, time.time() - started)
    return name


def collect(plan: RegulariserPlan = PLAN) -> list[dict]:
    """The stored seeds' results (seeds not run yet are left out)."""
    return [r for r in (load(result_name(seed)) for seed in plan.seeds) if r]


def differences(runs: list[dict]) -> list[dict]:
    """Per (phase, percent): the paired L1 - L2 differences in points over the runs' seeds, Holm-corrected as
    one family; each dict also carries ``phase`` and ``percent``."""
    keys = [(phase, i) for phase in PHASES for i in range(len(runs[0]["points"]["L1"]))]
    diffs = [[100 * (r["points"]["L1"][i][phase] - r["points"]["L2"][i][phase]) for r in runs] for phase, i in keys]
    return [{**d, "phase": phase, "percent": runs[0]["points"]["L1"][i]["percent"]}
            for (phase, i), d in zip(keys, holm(diffs))]


def section(runs: list[dict]) -> str:
    """The report's multi-seed L1 vs L2 paragraph. The Holm intervals and verdicts need every registered seed;
    with part of them the table and the differences' mean ± sd are shown and the reading says "no verdict"."""
    command = "python -m pruning_core.research.regularisers SEED"
    if not runs:
        return f"\nL1 vs L2 over seeds on the validation split (`{command}`): not run yet."
    seeds, registered = [r["seed"] for r in runs], list(runs[0]["plan"]["seeds"])
    rows = []
    for name in ("L1", "L2"):
        for i, point in enumerate(runs[0]["points"][name]):
            rows.append([name, f"{point['percent']:g}", mean_std([r["points"][name][i]["accuracy_after_prune"] for r in runs]),
                         mean_std([r["points"][name][i]["accuracy_after_retrain"] for r in runs])])
    intro = "\n".join([
        f"\nL1 vs L2 over seeds {seeds} of the registered {registered} on the validation protocol (`{command}`; "
        "trained on the first 55,000 training images, measured on the last 5,000, the test set not used; plan: "
        f"`regularisers.PLAN`, `{runs[0]['plan']}`). Dense validation accuracy: L1 "
        f"{mean_std([r['dense']['L1'] for r in runs])}, L2 {mean_std([r['dense']['L2'] for r in runs])}; each "
        "percent pruned once from the dense model, mean ± sd:",
        table(["regulariser", "percent", "val. acc. after prune", "val. acc. after retrain"], rows)])
    if len(runs) < 2 or sorted(seeds) != sorted(registered):
        return intro + (f"\n\n*Reading:* **no verdict** - {len(runs)} of the {len(registered)} registered seeds "
                        f"are stored (seeds {sorted(set(registered) - set(seeds))} did not finish), and the plan "
                        "reads the paired differences over all of them.")
    diffs = differences(runs)
    diff_rows = [[f"{d['percent']:g}", PHASES[d["phase"]], diff_cell(d)] for d in diffs]
    verdicts = "; ".join(f"{PHASES[d['phase']]} {d['percent']:g} %: {d['mean']:+.2f} ({d['verdict']})" for d in diffs)
    return "\n".join([
        intro,
        f"\nPaired differences L1 - L2 (points, same seed), mean ± sd [t interval at the comparison's Holm level, "
        f"one family of {len(diffs)}, overall {ALPHA:g}]:",
        table(["percent", "when", "L1 - L2 (paired, Holm)"], diff_rows),
        f"\n*Reading* ({len(runs)} seeds): {verdicts}. Han et al. found L1 ahead right after pruning and L2 "
        "ahead after retraining."])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m pruning_core.research.regularisers")
    parser.add_argument("seed", type=int, choices=PLAN.seeds)
    started = time.time()
    name = store_seed(PLAN, parser.parse_args(argv).seed)
    print(f"{name}: {time.time() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
