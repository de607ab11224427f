"""Why magnitude? Magnitude pruning against two controls, the classic demonstration, stored for the
Experiments page.

From the shipped ``baseline`` (the ``seed`` recipe), one iterative prune -> retrain schedule with three
criteria: ``global`` (magnitude: the smallest |w| go first), ``random`` (the same share chosen at random) and
``largest`` (the largest |w| first). Each seed is both the retraining's shuffle seed and the random mask's
seed; the start is the same for all, so magnitude and largest differ between seeds only by their retraining.
Every point keeps the accuracy right after its prune (before that step's retraining) and after retraining.

This shows how the method works; it chooses no setting, so it is measured on the test set (the page says so).

``nice -n 10 python -m pruning_core.research.controls`` writes ``assets/experiments/magnitude_vs_controls.json``
(the runs, in ``experiments``' schema: one run per (seed, scope)).
"""
from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence

from .. import checkpoint
from ..train import Callback
from . import experiments
from .experiments import ExperimentSettings, OnPoint
from .stats import holm

NAME = experiments.CONTROLS
SCOPES = ("global", "random", "largest")
LABELS = {"global": "magnitude (smallest |w| first)", "random": "random weights", "largest": "largest |w| first"}
WHAT = {"global": "smallest weights", "random": "random weights", "largest": "largest weights"}  # "when the ... go"
START = "baseline"
# train_epochs: the shipped baseline's (nothing is trained here); 1 retraining epoch per step.
SETTINGS = ExperimentSettings(percents=(50.0, 70.0, 80.0, 90.0, 95.0), train_epochs=20, retrain_epochs=1,
                              seeds=(1, 2, 3))
PHASES = ("accuracy_after_prune", "accuracy_after_retrain")


def run(s: ExperimentSettings = SETTINGS, callbacks: Sequence[Callback] = (),
        should_stop: Callable[[], bool] | None = None, on_point: OnPoint = lambda point: None) -> dict:
    """Every (seed, scope) run from the shipped baseline; the results dict ``experiments.save_results`` stores."""
    base = checkpoint.load(START)
    runs = []
    for seed in s.seeds:
        start = dataclasses.replace(base, recipe=dataclasses.replace(base.recipe, seed=seed))
        for scope in SCOPES:
            runs.append(experiments.scope_run(start, s, scope, seed, callbacks, should_stop, on_point,
                                              mask_seed=seed))
    return {"name": NAME, "quick": False, "created": time.strftime("%Y-%m-%d %H:%M:%S"),
            "settings": {**s.to_dict(), "start": START, "scopes": list(SCOPES)}, "runs": runs}


def summary(data: Mapping) -> dict[str, list[dict]]:
    """Per scope, per percent: mean and sd over the seeds of both accuracies, in percent
    (``{"global": [{"percent", "accuracy_after_prune": (mean, sd), "accuracy_after_retrain": (mean, sd)}]}``)."""
    found: dict[str, dict[float, list[dict]]] = {}
    for run_ in data["runs"]:
        for point in run_["points"]:
            found.setdefault(run_["scope"], {}).setdefault(point["percent"], []).append(point)
    return {scope: [{"percent": percent, **{key: _mean_sd([100 * p[key] for p in points]) for key in PHASES}}
                    for percent, points in sorted(by_percent.items())]
            for scope, by_percent in found.items()}


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def answer(data: Mapping) -> str:
    """The page's one-sentence answer, from the stored numbers: the accuracy at the first percent right after
    pruning, criterion by criterion, and whether each criterion beats the next one beyond the seeds' noise
    (paired differences per seed, 95 % t intervals, Holm-corrected over the two comparisons)."""
    first = min(p["percent"] for p in data["runs"][0]["points"])
    at = {(r["scope"], r["seed"]): next(p for p in r["points"] if p["percent"] == first)["accuracy_after_prune"]
          for r in data["runs"]}
    seeds = sorted({seed for _, seed in at})
    means = {scope: 100 * statistics.mean(at[(scope, s)] for s in seeds) for scope in SCOPES}
    sds = {scope: 100 * (statistics.stdev(at[(scope, s)] for s in seeds) if len(seeds) > 1 else 0.0)
           for scope in SCOPES}
    differences = holm([[100 * (at[(better, s)] - at[(worse, s)]) for s in seeds]
                        for better, worse in zip(SCOPES, SCOPES[1:])])
    beats = [d["mean"] > 0 and d["verdict"] == "beyond noise" for d in differences]
    numbers = ", ".join(f"{means[s]:.1f} ± {sds[s]:.1f} % when the {WHAT[s]} go" for s in SCOPES)
    verdict = ("which weights go matters, and the small ones matter least - that is why magnitude pruning "
               "removes them" if all(beats) else
               "these seeds do not separate the three criteria beyond their noise")
    return (f"Pruned {first:g} % with no retraining, the network keeps {numbers} (test accuracy, mean ± sd over "
            f"{len(seeds)} seeds): {verdict}.")



def main(argv: Sequence[str]) -> None:
    if argv:
        sys.exit(f"usage: python -m pruning_core.research.controls (no arguments), got {' '.join(argv)}")
    started = time.time()
    data = run(on_point=lambda point: print(point, file=sys.stderr, flush=True))
    saved = experiments.save_results(NAME, data)
    print(f"{saved}: {time.time() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
