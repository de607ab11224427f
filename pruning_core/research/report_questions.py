"""Markdown for the reference's two open questions (global vs layer-wise thresholds; 300 vs 600 hidden units),
read with their uncertainty: paired differences over seeds (mean ± sd and a 95 % t interval), saying where a
difference is within noise instead of counting wins. The width question is also answered at equal
*remaining weights*, not only at equal percent (a 600-wide net pruned 90 % keeps as many weights as a
300-wide one pruned 80 %).
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict

from .markdown import image, mean_std, table

T95 = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 6: 2.57}  # two-sided 95 % Student t quantile by sample size


def paired(diffs: list[float]) -> dict:
    """Mean, sd and 95 % t interval of paired differences (in accuracy points), and whether 0 is inside."""
    mean = statistics.mean(diffs)
    sd = statistics.stdev(diffs) if len(diffs) > 1 else float("nan")
    half = T95.get(len(diffs), 2.0) * sd / math.sqrt(len(diffs)) if len(diffs) > 1 else float("inf")
    return {"mean": mean, "sd": sd, "low": mean - half, "high": mean + half, "noise": mean - half <= 0 <= mean + half}


def diff_cell(d: dict) -> str:
    verdict = "within noise" if d["noise"] else "beyond noise"
    return f"{d['mean']:+.2f} ± {d['sd']:.2f} [{d['low']:+.2f}, {d['high']:+.2f}] {verdict}"


def weight_count(hidden: tuple[int, int]) -> int:
    return 784 * hidden[0] + hidden[0] * hidden[1] + hidden[1] * 10


def scopes_section(scopes: dict, charts: dict) -> str:
    by_point: dict = defaultdict(dict)
    for run in scopes["runs"]:
        for p in run["points"]:
            by_point[(p["percent"], run["scope"])][run["seed"]] = p
    percents = sorted({k[0] for k in by_point})
    rows, noise, signs = [], [], []
    for p in percents:
        g, l = by_point[(p, "global")], by_point[(p, "layer")]
        d = paired([100 * (g[s]["accuracy_after_retrain"] - l[s]["accuracy_after_retrain"]) for s in sorted(g)])
        noise += [p] if d["noise"] else []
        signs += [] if d["noise"] else [d["mean"] > 0]
        rows.append([f"{p:g}"] + [mean_std([q[key] for q in pts.values()]) for pts in (g, l)
                                  for key in ("accuracy_after_prune", "accuracy_after_retrain")] + [diff_cell(d)])
    beyond = [p for p in percents if p not in noise]
    favour = (f"{sum(signs)} favour global and {len(signs) - sum(signs)} favour layer-wise thresholds."
              if signs else "there are none.")
    return "\n".join([
        f"(a) Global vs layer-wise thresholds, seeds {sorted({r['seed'] for r in scopes['runs']})} "
        f"(settings: `{scopes['settings']}`), mean ± sd; the last column is the paired difference global - layer "
        "after retraining (points, same seed), mean ± sd [95 % t interval]:",
        table(["percent", "global after prune", "global after retrain", "layer after prune", "layer after retrain",
               "global - layer (paired)"], rows),
        f"\n*Reading:* the paired difference is within noise at {', '.join(f'{p:g}' for p in noise) or 'no'} % "
        f"and beyond noise at {', '.join(f'{p:g}' for p in beyond) or 'no'} % ({len(scopes['runs']) // 2} seeds, "
        f"one retraining epoch per step); of the differences beyond noise, {favour} One global threshold lets "
        "the big fc1 absorb most of the pruning and spares the small, sensitive fc3 (section 4).",
        image(charts, "global_vs_layer")])


def width_section(widths: dict, charts: dict) -> str:
    runs: dict = {}
    for run in widths["runs"]:
        runs[(tuple(run["hidden"]), run["seed"])] = {p["percent"]: p for p in run["points"]}
    hiddens = sorted({h for h, _ in runs})
    seeds = sorted({s for _, s in runs})
    by_width: dict = defaultdict(list)
    for (h, _), points in runs.items():
        for percent, p in points.items():
            by_width[(h, percent)].append(p)
    rows = [[f"{h[0]}-{h[1]}", f"{p:g}", f"{weight_count(h) * (1 - p / 100):,.0f}", mean_std([q["accuracy"] for q in pts]),
             mean_std([q["active_fraction"]["fc1"] for q in pts]), mean_std([q["active_fraction"]["fc2"] for q in pts])]
            for (h, p), pts in sorted(by_width.items())]
    narrow, wide = hiddens[0], hiddens[-1]
    percents = sorted(runs[(narrow, seeds[0])])
    same_percent = [[f"{p:g} %", diff_cell(paired([100 * (runs[(wide, s)][p]["accuracy"] - runs[(narrow, s)][p]["accuracy"])
                                                   for s in seeds]))] for p in percents]
    same_weights, verdicts = [], []
    for pw in percents:  # pair each wide point with the narrow point keeping about as many weights (within 2 %)
        left = weight_count(wide) * (1 - pw / 100)
        match = [pn for pn in percents if abs(weight_count(narrow) * (1 - pn / 100) - left) <= 0.02 * left]
        for pn in match:
            d = paired([100 * (runs[(wide, s)][pw]["accuracy"] - runs[(narrow, s)][pn]["accuracy"]) for s in seeds])
            same_weights.append([f"{wide[0]} at {pw:g} % vs {narrow[0]} at {pn:g} % (~{left:,.0f} weights)", diff_cell(d)])
            verdicts.append(f"{wide[0]} at {pw:g} % vs {narrow[0]} at {pn:g} %: {d['mean']:+.2f} points "
                            f"({'within' if d['noise'] else 'beyond'} noise)")
    return "\n".join([
        f"(b) 300 vs 600 first-layer neurons (settings: `{widths['settings']}`); percent 0 = before pruning; "
        "active = mean share of the layer's neurons with ReLU output > 0 per test image:",
        table(["network", "percent pruned", "weights left", "accuracy", "active fc1", "active fc2"], rows),
        f"\nPaired differences {wide[0]} - {narrow[0]} in test accuracy (points, same seed), mean ± sd [95 % t "
        "interval], at equal percent pruned:",
        table(["percent", "600 - 300"], same_percent),
        "\n... and at equal remaining weights (the fair comparison for a compression budget):",
        table(["comparison", "600 - 300"], same_weights),
        f"\n*Reading:* at equal percent pruned the {wide[0]}-wide net keeps twice the weights, so that table "
        "flatters it. At equal remaining weights: " + "; ".join(verdicts) + ". These are one-epoch retrains of "
        "the `seed` recipe, so they answer the question for that recipe only. "
        "Per-digit active counts are in `pruning_core/assets/experiments/width_300_vs_600.json` "
        "(`active_per_digit`).",
        image(charts, "width_300_vs_600")])
