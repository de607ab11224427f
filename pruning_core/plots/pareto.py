"""The Pareto chart of the validation protocol (issue 15): test error vs compression, mean ± sd over seeds,
with the literature's points labelled. Plain data in (``research.protocol_text.pareto_rows`` and its
``LITERATURE``), a Plotly figure out; used by the report and the Experiments page."""
from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from .style import style


def pareto(rows: Sequence[Mapping], literature: Mapping[str, tuple[float, float]]) -> go.Figure:
    """One line per compression convention (weights only; weights + biases) with sd error bars."""
    fig = go.Figure()
    means = [statistics.mean(r["errors"]) for r in rows]
    sds = [statistics.stdev(r["errors"]) if len(r["errors"]) > 1 else 0.0 for r in rows]
    for key, name, dash in (("compression_with_biases", "ours, counting weights + biases", "solid"),
                            ("compression_weights", "ours, counting weights only", "dot")):
        fig.add_scatter(x=[r[key] for r in rows], y=means, name=name, mode="lines+markers",
                        error_y={"type": "data", "array": sds, "visible": True},
                        line={"dash": dash, "width": 3}, marker={"size": 8},
                        text=[f"{r['percent']:g} % pruned, n={len(r['errors'])}" for r in rows])
    fig.add_scatter(x=[c for c, _ in literature.values()], y=[e for _, e in literature.values()],
                    mode="markers+text", name="literature (as reported)",
                    text=[name.replace(" (", "<br>(") for name in literature],  # two lines: room in a small chart
                    textposition=["top center", "top left", "bottom center"][:len(literature)],
                    marker={"symbol": "diamond", "size": 12, "color": "black"})
    # Named ticks: plotly's own log ticks label 20, 30, 50 as "2", "3", "5", which reads as 2x, 3x, 5x.
    ticks = (10, 12, 20, 30, 50, 70, 100)
    fig.update_xaxes(title="compression (x fewer nonzero parameters)", type="log", range=[0.95, 2.05],
                     tickvals=ticks, ticktext=[f"{t}x" for t in ticks])
    fig.update_yaxes(title="test error (%)")
    return style(fig)
