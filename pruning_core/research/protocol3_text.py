"""Markdown for round 3 of the validation protocol (``protocol.collect3``): the sensitivity scope's per-layer
rates next to Han et al.'s, the two-candidate search, the final runs and the targets in each paper's units.

Everything printed comes from the stored stage results and the shipped checkpoints; Han et al.'s per-layer
shares are the constants below (their Tables 2 and 3, percent of weights kept).
"""
from __future__ import annotations

import statistics

from .. import checkpoint, lab
from .markdown import mean_sd, table
from .protocol_text import both, err_ci, interval, judge, pareto_rows

HAN_KEPT = {"lenet-300-100": {"fc1": 8, "fc2": 9, "fc3": 26},
            "lenet-5": {"conv1": 66, "conv2": 12, "fc1": 8, "fc2": 19}}
LENET300_SIZES = (784 * 300, 300 * 100, 100 * 10)  # fc1, fc2, fc3 weights
NO_FINALS = ("Final runs: none stored yet (no round-3 test measurement made). Command: `python -m "
             "pruning_core.research.protocol final3 SEED` for seeds 53113, 1, 2, 3, 4.")
LENET5_SIZES = (20 * 25, 50 * 20 * 25, 800 * 500, 500 * 10)  # conv1, conv2, fc1, fc2 weights
LENET5_COMMANDS = ("Commands: `python -m pruning_core.research.protocol rates3 lenet-5`, then `... lenet5_3 SEED` "
                   "for seeds 53113, 1, 2.")
# What happened to the LeNet-5 stages (they need about 55 CPU-minutes at the measured 48.5 s per epoch).
LENET5_ATTEMPTS = ("Not run in the session that registered them (86a9801, decided before any round-3 test "
                   "measurement). Started, unchanged, on 2026-12-05 at 21:45 UTC on the shared 2-core machine, "
                   "where each process got about a tenth of a core (load average 10-22): `rates3 lenet-5` finished "
                   "at 22:53 UTC (rates above); seed 53113's dense model, the first part of `lenet5_3 53113`, was "
                   "stopped at 22:13 UTC, 2.4 CPU-minutes in, to leave the CPU to the L1 vs L2 seeds (section 4), "
                   "because no `lenet5_3` run (about 16 CPU-minutes each) could finish before the session's end.")
PLAN_COMMITS = "e8857ce (plan) and 86a9801 (LeNet-5 not run, decided before any round-3 test measurement)"


def kept_shares(name: str) -> dict[str, float]:
    """Percent of each layer's weights a shipped checkpoint keeps."""
    return {layer: 100 * c["nonzero"] / c["total"] for layer, c in lab.layer_counts(checkpoint.load(name)).items()}


def shares(kept: dict[str, float]) -> str:
    return " / ".join(f"{v:.1f}" for v in kept.values())


def layers_section(shipped: dict[str, dict[str, float]], stored3: dict) -> str:
    """Per-layer kept shares of the shipped models and of round 3's sensitivity search, next to Han et al.'s."""
    rows = []
    for name, kept in shipped.items():
        arch = "lenet-5" if "conv1" in kept else "lenet-300-100"
        rows.append([f"`{name}` (shipped)", " / ".join(kept), shares(kept), shares(HAN_KEPT[arch]) + " (12x)"])
    for candidate in stored3["selection"]:
        for p in candidate["points"]:
            if p["percent"] in (92.0, 98.53):
                kept = {layer: 100 * n / total for (layer, n), total in zip(p["kept"].items(), LENET300_SIZES)}
                rows.append([f"round 3 search, `{candidate['scope']}`, {p['percent']:g} % (validation model)",
                             " / ".join(kept), shares(kept), shares(HAN_KEPT["lenet-300-100"]) + " (12x)"])
    return "\n".join([
        "Per-layer share of weights kept (%), ours next to Han et al.'s (LeNet-300-100 at 12x: 8 / 9 / 26 %; "
        "LeNet-5 at 12x: 66 / 12 / 8 / 19 %). One global threshold, or one shared quality parameter (`std`), "
        "prunes the layers very differently from Han's per-layer rates:",
        table(["model", "layers", "kept (%)", "Han et al. kept (%)"], rows)])


def rates_text(stored3: dict) -> str:
    parts = []
    for r in stored3["rates"]:
        rates = ", ".join(f"{layer} {rate:g} %" for layer, rate in r["rates"].items())
        parts.append(f"{r['arch']}: {rates} (dense validation accuracy {100 * r['base']:.2f} %, budget "
                     f"{r['budget']:g} point, curves on the {r['split']} images)")
    return "; ".join(parts) if parts else "not measured yet"


def round3_section(stored3: dict, round2_finals: list[dict]) -> str:
    """Round 3: plan, rates, search, final runs, targets; a stage not run is said to be not run."""
    at = (92.0, 98.0, 98.53)
    search = [[f"`{c['scope']}`", f"{100 * c['dense_validation_accuracy']:.2f} %"]
              + [f"{100 * p['validation_accuracy']:.2f} %" for t in at for p in c["points"] if p["percent"] == t]
              for c in stored3["selection"]]
    plan = stored3["plan"]
    chosen = (f"The rule chose `{plan['scope']}` (retraining lr {plan['retrain_lr']:g}, {plan['retrain_epochs']} "
              "epochs per step)." if plan else "The search has not finished: no plan chosen, no final run.")
    if plan and plan["scope"] == "global":
        chosen += (" Its chain is round 2's plan up to 98 % (same dense recipe, seeds, retraining and percents), "
                   "whose test errors were known when round 3 was written: its 90 ... 98 % models should repeat round 2's "
                   f"({repeats(stored3['finals'], round2_finals)}); only the 98.3 and 98.53 % models are new test "
                   "measurements.")
    return "\n\n".join([
        "### Round 3: Han's per-layer method and each paper's own units (pre-registered)",
        f"Plan: `protocol.py`'s docstring, committed in {PLAN_COMMITS}, before any of round 3's test measurements. "
        "The `sensitivity` scope's rates, measured once on the seed-7 dense model of the validation protocol "
        "(largest rate within the budget; kept shares then scaled by one factor to each target): "
        f"{rates_text(stored3)}. "
        "Search (validation protocol, seed 7, lr 0.002 x 16 epochs per step through 50 ... 98.53 %), rule: best "
        "mean validation accuracy at 98 % and 98.53 %:",
        table(["scope", "dense"] + [f"at {t:g} %" for t in at], search) if search else "(not run yet)",
        chosen,
        finals_text(stored3["finals"]) if stored3["finals"] else NO_FINALS,
        targets3(stored3),
        lenet5_text(stored3["lenet5"], stored3["lenet5_plan"])])


def lenet5_text(runs: list[dict], plan: dict) -> str:
    """Round 3's LeNet-5 runs seed by seed (test errors, compression, per-layer kept shares), or why none."""
    if not runs:
        return (f"LeNet-5 (`lenet5_3`, the `sensitivity` scope through 50, 80, 92 %): **no run finished**. "
                f"{LENET5_ATTEMPTS} No round-3 LeNet-5 model was measured on the test set; `lenet5-92` stays "
                f"round 2's `std` model and its target stays open. {LENET5_COMMANDS}")
    rows = [[run["seed"], f"{100 * (1 - run['points'][0]['test_accuracy']):.2f} %",
             err_ci(run["points"][1]["test_accuracy"]), both(run["points"][1]),
             shares({layer: 100 * n / total for (layer, n), total in zip(run["kept"].items(), LENET5_SIZES)})]
            for run in runs]
    missing = [seed for seed in plan["seeds"] if seed not in {run["seed"] for run in runs}]
    return "\n".join([
        f"LeNet-5 (`lenet5_3`, plan `{plan}`, the `sensitivity` scope's rates above), each model measured once "
        f"on the test set; kept shares per layer conv1 / conv2 / fc1 / fc2 (Han et al.: "
        f"{shares(HAN_KEPT['lenet-5'])} % at 12x). {LENET5_COMMANDS}"
        + (f" Seeds {missing} did not finish: {LENET5_ATTEMPTS}" if missing else ""),
        table(["seed", "dense error", "92 % error [95 % CI]", "compression (weights / +biases)", "kept (%)"], rows)])


def repeats(finals: list[dict], round2_finals: list[dict]) -> str:
    """Whether round 3's global finals reproduce round 2's test accuracies at the percents both measured."""
    if not finals or not round2_finals:
        return "not checked: no round-3 final run stored"
    old = {(run["seed"], p["percent"]): p["test_accuracy"] for run in round2_finals for p in run["points"]}
    pairs = [(p["test_accuracy"], old[(run["seed"], p["percent"])]) for run in finals for p in run["points"]
             if (run["seed"], p["percent"]) in old]
    same = sum(a == b for a, b in pairs)
    return f"{same} of {len(pairs)} (seed, percent) test accuracies identical to round 2's"


def finals_text(finals: list[dict]) -> str:
    rows = [[f"{r['percent']:g}", f"{r['compression_weights']:.1f}x / {r['compression_with_biases']:.1f}x",
             mean_sd(r["errors"]) + " %", interval(r["errors"]), len(r["errors"]),
             " / ".join(f"{e:.2f}" for e in r["errors"])] for r in pareto_rows(finals)]
    return "\n".join([
        f"Final runs (all 60,000, seeds {[run['seed'] for run in finals]}; each model measured once on the test set):",
        table(["percent pruned", "compression (weights / +biases)", "test error", "95 % t interval", "seeds",
               "per seed (%)"], rows)])


def targets3(stored3: dict) -> str:
    rows = []
    for name, (stage, percent, convention, least, goal_error, seeds) in stored3["goals"].items():
        runs = stored3["finals" if stage == "final3" else "lenet5"]
        points = [p for run in runs for p in run["points"] if p["percent"] == percent]
        unit = "weights only" if convention == "compression_weights" else "with biases"
        goal = f"≥ {least:g}x ({unit}), mean error ≤ {goal_error:.2f} % over {seeds} seeds"
        if len(points) < seeds:
            verdict = "**not run**" if not points else "**no verdict** (not all seeds stored)"
            rows.append([f"`{name}`", "-", "-", f"{len(points)} of {seeds} seeds", "-", goal, verdict])
            continue
        shipped = next(p for run in runs if run["seed"] == 53113 for p in run["points"] if p["percent"] == percent)
        errors = [100 * (1 - p["test_accuracy"]) for p in points]
        met = shipped[convention] >= least and statistics.mean(errors) <= goal_error + 1e-9
        rows.append([f"`{name}`", both(shipped), err_ci(shipped["test_accuracy"]), mean_sd(errors) + " %",
                     interval(errors), goal, judge(met, errors, goal_error)])
    return "\n".join([
        "Round 3's targets, judged on the mean over all seeds as registered (the seed-53113 model ships):",
        table(["name", "compression (weights / +biases)", "seed-53113 error [95 % CI]", "mean ± sd",
               "95 % t interval", "target", "verdict"], rows)])
