"""Small Markdown helpers shared by the report's text modules (tables, percentages, chart links)."""
from __future__ import annotations

import statistics


def pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def mean_sd(values: list[float], scale: float = 1.0) -> str:
    """``values`` times ``scale`` as "mean ± sd" (one value alone, "-" for none), two decimals."""
    if len(values) < 2:
        return f"{scale * values[0]:.2f}" if values else "-"
    return f"{scale * statistics.mean(values):.2f} ± {scale * statistics.stdev(values):.2f}"


def mean_std(values: list[float]) -> str:
    """Accuracies (0..1) as mean ± sd in percent; one value is marked as one seed."""
    if len(values) < 2:
        return pct(values[0]) + " (1 seed)" if values else "-"
    return mean_sd(values, 100) + " %"


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def image(charts: dict, name: str) -> str:
    """A chart link, or nothing where the chart was not rendered."""
    return f"\n![{name}](figures/{charts[name]})\n" if name in charts else ""
