"""The Class page's chart: every shared line's test accuracy after retraining against how much is pruned, one
colour and nickname per line, the best accuracy at each sparsity marked (plain data in, no Streamlit)."""
from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.express as px
import plotly.graph_objects as go

from .figures import _sparsity_axis, accuracy_range, sparsity_x
from .style import style

COLOURS = px.colors.qualitative.Dark24 + px.colors.qualitative.Light24  # cycled beyond 48 lines
BEST_COLOUR = "#111111"
SPARSITY_DIGITS = 1  # points within 0.1 % of weights pruned count as the same sparsity


def board_chart(lines: Sequence[tuple[str, Sequence[tuple[float, float]]]], axis: str = "pruned",
                height: int = 460) -> go.Figure:
    """``lines``: (nickname, [(weights pruned %, test accuracy 0-1), ...]) in share order: trace ``n`` is line
    ``n``, and the stars come last, each naming its line's number in ``customdata``. Nicknames are
    HTML-escaped (Plotly reads tags in legend and hover text) so they show as the text typed."""
    traces: list[dict] = []
    ys: list[float] = []
    best: dict[float, tuple[float, str, int]] = {}  # sparsity -> (accuracy, nickname, line number)
    for n, (nickname, points) in enumerate(lines):
        name = html.escape(nickname)
        y = [100 * a for _, a in points]
        ys += y
        # Plain dicts, validated once by go.Figure: add_scatter per line cost 3x as much with 60 lines.
        traces.append({"type": "scatter", "x": sparsity_x([p for p, _ in points], axis), "y": y, "name": name,
                       "mode": "lines+markers", "line": {"color": COLOURS[n % len(COLOURS)], "width": 2},
                       "marker": {"size": 7}, "hovertemplate": f"{name}<br>%{{x:.4g}}: %{{y:.2f}} %<extra></extra>"})
        for (percent, _), accuracy in zip(points, y):
            key = round(percent, SPARSITY_DIGITS)
            if key not in best or accuracy > best[key][0]:
                best[key] = (accuracy, name, n)
    marks = sorted(best.items())
    traces.append({"type": "scatter", "x": sparsity_x([k for k, _ in marks], axis), "y": [a for _, (a, _, _) in marks],
                   "name": "best at this sparsity", "mode": "markers", "text": [who for _, (_, who, _) in marks],
                   "customdata": [n for _, (_, _, n) in marks],  # which line a click on a star opens
                   "marker": {"symbol": "star", "size": 15, "color": BEST_COLOUR,
                              "line": {"width": 1, "color": "#ffffff"}},
                   "hovertemplate": "best: %{text}<br>%{x:.4g}: %{y:.2f} %<extra></extra>"})
    fig = go.Figure(data=traces)
    _sparsity_axis(fig, sparsity_x([k for k, _ in marks], axis) or [1.0], axis)
    fig.update_yaxes(title="test accuracy after retraining (%)", range=accuracy_range(ys or [100.0]))
    # The legend beside the chart, one nickname a row: Plotly scrolls one taller than the chart (60 lines),
    # where a legend above it would push the chart off the screen.
    return style(fig, height, legend_beside=True)

