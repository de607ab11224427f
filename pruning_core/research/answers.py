"""The Experiments page's plain answers to the reference's two questions, one sentence each, from the stored
(or quickly re-run) results of ``experiments``: the accuracy of each side in % (mean ± sd over seeds) at the
highest percent both reached, and whether the seeds tell the two apart, in words (a paired t interval of the
per-seed differences, ``stats``).

Test accuracy: like the controls, these runs show how the method behaves and choose no setting.
"""
from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping

from .stats import holm

NOISE_WORDS = {"beyond noise": "a difference larger than the seeds' noise",
               "within noise": "no difference beyond the seeds' noise",
               "not resolved": "too few seeds to tell a difference from noise"}


def _at(runs: list[Mapping], side: Callable[[Mapping], object],
        value: Callable[[Mapping], float]) -> tuple[float, dict]:
    """The highest percent every run reached, and per side {seed: ``value`` of its point there, in %}."""
    percent = min(max(p["percent"] for p in run["points"]) for run in runs)
    found: dict = {}
    for run in runs:
        point = next(p for p in run["points"] if p["percent"] == percent)
        found.setdefault(side(run), {})[run["seed"]] = 100 * value(point)
    return percent, found


def _spread(values: dict[int, float]) -> str:
    """"94.0 ± 0.2 %" (mean ± sd over the seeds; one seed: just the value)."""
    numbers = list(values.values())
    sd = f" ± {statistics.stdev(numbers):.1f}" if len(numbers) > 1 else ""
    return f"{statistics.mean(numbers):.1f}{sd} %"


def _over(seeds: int) -> str:
    return f"mean ± sd over {seeds} seeds" if seeds > 1 else "one seed"


def _verdict(first: dict[int, float], second: dict[int, float], first_name: str, second_name: str) -> str:
    """Which side does better, only when the per-seed differences tell them apart; else that they do not."""
    seeds = sorted(set(first) & set(second))
    noise = holm([[first[s] - second[s] for s in seeds]])[0]["verdict"]
    if noise != "beyond noise":
        return NOISE_WORDS[noise]
    better = first_name if statistics.mean(first.values()) > statistics.mean(second.values()) else second_name
    return f"{better} does better, {NOISE_WORDS[noise]}"


def global_vs_layer(data: Mapping) -> str:
    """One global threshold vs the same share in every layer, after retraining, in one sentence."""
    percent, by = _at(data["runs"], lambda run: run["scope"], lambda point: point["accuracy_after_retrain"])
    return (f"Pruned to {percent:g} % and retrained, the network keeps {_spread(by['global'])} test accuracy with one "
            f"global threshold and {_spread(by['layer'])} with the same share cut from every layer "
            f"({_over(len(by['global']))}): "
            f"{_verdict(by['global'], by['layer'], 'one global threshold', 'the same share per layer')}.")


def width(data: Mapping) -> str:
    """300 vs 600 hidden units, after pruning and retraining, in one sentence."""
    first_layer = lambda run: run["hidden"][0]
    percent, accuracy = _at(data["runs"], first_layer, lambda point: point["accuracy"])
    _, active = _at(data["runs"], first_layer, lambda point: point["active_fraction"]["fc1"])
    narrow, wide = sorted(accuracy)
    return (f"Pruned to {percent:g} % and retrained, the {wide}-wide network keeps {_spread(accuracy[wide])} test "
            f"accuracy and the {narrow}-wide one {_spread(accuracy[narrow])} ({_over(len(accuracy[wide]))}: "
            f"{_verdict(accuracy[wide], accuracy[narrow], f'the {wide}-wide one', f'the {narrow}-wide one')}), "
            f"with {_spread(active[wide])} and {_spread(active[narrow])} of their first-layer neurons active per "
            "image - at the same percent the wider one keeps more weights.")
