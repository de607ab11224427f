"""The Pareto chart of the validation protocol: test error vs compression, mean ± sd over seeds, with the
literature's points labelled with their own compression convention. Plain data in
(``research.protocol_text.pareto_rows`` and its ``LITERATURE``), a Plotly figure out; used by the report and
the Experiments page."""
from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from .style import style


def pareto(rows: Sequence[Mapping], literature: Mapping[str, tuple[float, float, str]]) -> go.Figure:
    """One line per compression convention (weights only; weights + biases) with sd error bars, from the dense
    point (1x) on; each literature point (one run each) labelled with the convention its paper counts in."""
    fig = go.Figure()
    means = [statistics.mean(r["errors"]) for r in rows]
    sds = [statistics.stdev(r["errors"]) if len(r["errors"]) > 1 else 0.0 for r in rows]
    seeds = max((len(r["errors"]) for r in rows), default=0)
    for key, name, dash in (("compression_with_biases", "ours, counting weights + biases", "solid"),
                            ("compression_weights", "ours, counting weights only", "dot")):
        fig.add_scatter(x=[r[key] for r in rows], y=means, name=f"{name} (mean; bars: sd over {seeds} seeds)",
                        mode="lines+markers", error_y={"type": "data", "array": sds, "visible": True},
                        line={"dash": dash, "width": 3}, marker={"size": 8},
                        text=[f"{r['percent']:g} % pruned, n={len(r['errors'])}" for r in rows])
    labels = [f"{name.split(' (')[0]}<br>{unit}" for name, (_, _, unit) in literature.items()]
    fig.add_scatter(x=[c for c, _, _ in literature.values()], y=[e for _, e, _ in literature.values()],
                    mode="markers+text", name="literature (one run each, in its own convention)", text=labels,
                    textposition=["top center", "top left", "bottom center"][:len(literature)],
                    marker={"symbol": "diamond", "size": 12, "color": "black"})
    # Named ticks: plotly's own log ticks label 20, 30, 50 as "2", "3", "5", which reads as 2x, 3x, 5x.
    ticks = (1, 2, 5, 10, 12, 20, 50, 100)
    fig.update_xaxes(title="compression (x fewer nonzero parameters; 1x = dense)", type="log", range=[-0.05, 2.1],
                     tickvals=ticks, ticktext=[f"{t}x" for t in ticks])
    fig.update_yaxes(title="test error (%)")
    fig.update_layout(legend={"orientation": "h", "y": -0.3})
    return style(fig)
