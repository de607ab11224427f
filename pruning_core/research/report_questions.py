"""Markdown for the reference's two open questions (global vs layer-wise thresholds; 300 vs 600 hidden units),
read with their uncertainty: paired differences over seeds (mean ± sd and a t interval at each comparison's
Holm level, ``stats.holm``), saying where a difference is beyond noise, within noise or not resolved instead
of counting wins. The width question is also answered at equal
*remaining weights*, not only at equal percent (a 600-wide net pruned 90 % keeps as many weights as a
300-wide one pruned 80 %).
"""
from __future__ import annotations

from collections import defaultdict

from .markdown import image, mean_std, table
from .stats import ALPHA, RESOLUTION, holm

def diff_cell(d: dict) -> str:
    return (f"{d['mean']:+.2f} ± {d['sd']:.2f} [{d['low']:+.2f}, {d['high']:+.2f}] (p Holm {d['p_holm']:.3f}) "
            f"{d['verdict']}")


def weight_count(hidden: tuple[int, int]) -> int:
    return 784 * hidden[0] + hidden[0] * hidden[1] + hidden[1] * 10


def scopes_section(scopes: dict, charts: dict) -> str:
    by_point: dict = defaultdict(dict)
    for run in scopes["runs"]:
        for p in run["points"]:
            by_point[(p["percent"], run["scope"])][run["seed"]] = p
    percents = sorted({k[0] for k in by_point})
    pairs = [(by_point[(p, "global")], by_point[(p, "layer")]) for p in percents]
    diffs = holm([[100 * (g[s]["accuracy_after_retrain"] - l[s]["accuracy_after_retrain"]) for s in sorted(g)]
                  for g, l in pairs])
    rows = [[f"{p:g}"] + [mean_std([q[key] for q in pts.values()]) for pts in pair
                          for key in ("accuracy_after_prune", "accuracy_after_retrain")] + [diff_cell(d)]
            for p, pair, d in zip(percents, pairs, diffs)]
    by_verdict = {v: [f"{p:g}" for p, d in zip(percents, diffs) if d["verdict"] == v]
                  for v in ("beyond noise", "within noise", "not resolved")}
    beyond = [d for d in diffs if d["verdict"] == "beyond noise"]
    favour = sum(d["mean"] > 0 for d in beyond)
    seeds = len(scopes["runs"]) // 2
    return "\n".join([
        f"(a) Global threshold vs the same share in every layer (`layer` scope), seeds "
        f"{sorted({r['seed'] for r in scopes['runs']})} (settings: `{scopes['settings']}`), mean ± sd; the last "
        "column is the paired difference global - layer after retraining (points, same seed), mean ± sd, its t "
        f"interval at the comparison's Holm level (family of {len(percents)} percents, overall {ALPHA:g}), the "
        "Holm-adjusted p-value and the verdict:",
        table(["percent", "global after prune", "global after retrain", "layer after prune", "layer after retrain",
               "global - layer (paired, Holm)"], rows),
        f"\n*Reading* ({seeds} seeds, one retraining epoch per step; \"within noise\": the interval contains 0 "
        f"and stays within ±{RESOLUTION:g} point; \"not resolved\": it contains 0 but is wider): beyond noise at "
        f"{', '.join(by_verdict['beyond noise']) or 'no'} % ({favour} favour global, {len(beyond) - favour} the "
        f"same-share rule); within noise at {', '.join(by_verdict['within noise']) or 'no'} %; not resolved with "
        f"{seeds} seeds at {', '.join(by_verdict['not resolved']) or 'no'} %. This compares one global threshold "
        "with one rule for per-layer thresholds (the same share everywhere), not with per-layer thresholds in "
        "general: Han et al.'s per-layer rates come from sensitivity curves (the `sensitivity` scope, section 2). "
        "One global threshold lets the big fc1 absorb most of the pruning and spares the small, sensitive fc3 "
        "(section 4).",
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
    def diff(pw: float, pn: float) -> list[float]:
        return [100 * (runs[(wide, s)][pw]["accuracy"] - runs[(narrow, s)][pn]["accuracy"]) for s in seeds]
    same_percent = [[f"{p:g} %", diff_cell(d)] for p, d in zip(percents, holm([diff(p, p) for p in percents]))]
    matches = []
    for pw in percents:  # pair each wide point with the narrow point keeping about as many weights (within 2 %)
        left = weight_count(wide) * (1 - pw / 100)
        matches += [(pw, pn, left) for pn in percents
                    if abs(weight_count(narrow) * (1 - pn / 100) - left) <= 0.02 * left]
    same_weights, verdicts = [], []
    for (pw, pn, left), d in zip(matches, holm([diff(pw, pn) for pw, pn, _ in matches])):
        same_weights.append([f"{wide[0]} at {pw:g} % vs {narrow[0]} at {pn:g} % (~{left:,.0f} weights)", diff_cell(d)])
        verdicts.append(f"{wide[0]} at {pw:g} % vs {narrow[0]} at {pn:g} %: {d['mean']:+.2f} points ({d['verdict']})")
    return "\n".join([
        f"(b) 300 vs 600 first-layer neurons (settings: `{widths['settings']}`); percent 0 = before pruning; "
        "active = mean share of the layer's neurons with ReLU output > 0 per test image:",
        table(["network", "percent pruned", "weights left", "accuracy", "active fc1", "active fc2"], rows),
        f"\nPaired differences {wide[0]} - {narrow[0]} in test accuracy (points, same seed), mean ± sd [t interval "
        "at the comparison's Holm level within its table], at equal percent pruned:",
        table(["percent", "600 - 300"], same_percent),
        "\n... and at equal remaining weights (the fair comparison for a compression budget):",
        table(["comparison", "600 - 300"], same_weights),
        f"\n*Reading:* at equal percent pruned the {wide[0]}-wide net keeps twice the weights, so that table "
        "flatters it. At equal remaining weights: " + "; ".join(verdicts) + ". These are one-epoch retrains of "
        "the `seed` recipe, so they answer the question for that recipe only. "
        "Per-digit active counts are in `pruning_core/assets/experiments/width_300_vs_600.json` "
        "(`active_per_digit`).",
        image(charts, "width_300_vs_600")])
