"""Small-sample statistics for the report: Student t intervals and tests, and Holm's correction.

Pure Python (no SciPy in the project): the t distribution's CDF is integrated numerically from its density
(Simpson's rule on the substitution t = tan(u), exact enough for four-decimal p-values), and its quantile is
found by bisection. A family of comparisons (the twelve percents of one question) is read with Holm's step-down
correction: the i-th smallest p-value of m is judged at alpha / (m - i + 1), and its interval is drawn at that
same level, so an interval that excludes 0 is exactly a difference Holm calls significant.
"""
from __future__ import annotations

import math
import statistics

ALPHA = 0.05
# A difference whose interval contains 0 but reaches beyond this many points either way is "not resolved":
# the data cannot tell "no difference" from a difference that matters (accuracy points).
RESOLUTION = 1.0


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    if t == 0:
        return 0.5
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def density_in_u(u: float) -> float:  # t = tan(u), dt = du / cos(u)^2
        c = math.cos(u)
        return math.exp(log_norm - (df + 1) / 2 * math.log1p(math.tan(u) ** 2 / df)) / (c * c)
    upper, steps = math.atan(abs(t)), 600
    h = upper / steps
    area = density_in_u(0) + density_in_u(upper) + sum((4 if i % 2 else 2) * density_in_u(i * h)
                                                       for i in range(1, steps))
    half = area * h / 3
    return 0.5 + half if t > 0 else 0.5 - half


def t_quantile(alpha: float, df: int) -> float:
    """The two-sided critical value: P(|T| > q) = alpha."""
    low, high = 0.0, 1e4  # alpha down to ~1e-8 at df 2
    for _ in range(50):
        mid = (low + high) / 2
        if 2 * (1 - t_cdf(mid, df)) > alpha:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def paired(diffs: list[float], alpha: float = ALPHA) -> dict:
    """Mean, sd, two-sided p-value (one-sample t test of mean 0) and the (1 - alpha) t interval of paired
    differences; with one value only the mean is known."""
    n, mean = len(diffs), statistics.mean(diffs)
    if n < 2:
        return {"mean": mean, "sd": float("nan"), "p": 1.0, "low": -math.inf, "high": math.inf, "alpha": alpha}
    sd = statistics.stdev(diffs)
    se = sd / math.sqrt(n)
    p = 2 * (1 - t_cdf(abs(mean) / se, n - 1)) if se > 0 else (0.0 if mean else 1.0)
    half = t_quantile(alpha, n - 1) * se
    return {"mean": mean, "sd": sd, "p": p, "low": mean - half, "high": mean + half, "alpha": alpha}


def holm(families: list[list[float]], alpha: float = ALPHA) -> list[dict]:
    """``paired`` for each list of differences, each interval at its Holm level (the i-th smallest p-value of
    m at alpha / (m - i + 1)), with the Holm-adjusted p-value and a verdict."""
    first = [paired(d, alpha) for d in families]
    order = sorted(range(len(first)), key=lambda i: first[i]["p"])
    m, results, running = len(first), [None] * len(first), 0.0
    for rank, i in enumerate(order):
        level = alpha / (m - rank)
        running = max(running, min(1.0, (m - rank) * first[i]["p"]))  # adjusted p-values never decrease
        result = {**paired(families[i], level), "p_holm": running}
        results[i] = {**result, "verdict": verdict(result, alpha)}
    return results


def verdict(d: dict, alpha: float = ALPHA) -> str:
    """"beyond noise" if Holm rejects "no difference" (adjusted p below ``alpha``); otherwise "within noise" if
    the interval stays within ``RESOLUTION`` points of 0, "not resolved" if it is wider than that."""
    if d["p_holm"] < alpha:
        return "beyond noise"
    return "within noise" if -RESOLUTION <= d["low"] and d["high"] <= RESOLUTION else "not resolved"


def mean_interval(values: list[float], alpha: float = ALPHA) -> tuple[float, float]:
    """The (1 - alpha) t interval of a mean over seeds (e.g. test errors in %)."""
    d = paired(values, alpha)
    return d["low"], d["high"]
