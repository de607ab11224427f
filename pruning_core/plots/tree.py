"""A student's experiments as a tree (``service.sessions.tree``): one marker per model, left to right by prune
step, one row per branch, each marker named by its sparsity and accuracy; a click selects a marker (its
``customdata`` is the node's position in the list given)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from .style import PHASE_COLORS, style

ROW_PX = 60  # one branch's height: the marker and two lines of 12-px text under it


def rows(nodes: Sequence[Mapping]) -> list[tuple[int, int]]:
    """(depth, row) of every node: children right of their parent, each leaf on a row of its own (depth first,
    older children first), a parent on its first child's row."""
    children: dict[int | None, list[int]] = {}
    for i, node in enumerate(nodes):
        children.setdefault(node["parent"], []).append(i)
    place: dict[int, tuple[int, int]] = {}
    next_row = 0

    def visit(i: int, depth: int) -> None:
        nonlocal next_row
        kids = children.get(i, [])
        place[i] = (depth, next_row)
        for number, kid in enumerate(kids):
            if number:
                next_row += 1
            visit(kid, depth + 1)

    for number, root in enumerate(children.get(None, [])):
        if number:
            next_row += 1
        visit(root, 0)
    return [place[i] for i in range(len(nodes))]


def step_tree(nodes: Sequence[Mapping], chosen: Sequence[int] = ()) -> go.Figure:
    """``nodes``: dicts with ``parent`` (index or None), ``label``, ``sparsity`` (%), ``accuracy`` (0..1 or
    None) and ``open`` (on the line every page shows); ``chosen`` are ringed."""
    where = rows(nodes)
    fig = go.Figure()
    xs, ys = [], []
    for node, (depth, row) in zip(nodes, where):
        if node["parent"] is not None:
            parent_depth, parent_row = where[node["parent"]]
            xs += [parent_depth, parent_depth, depth, None]  # down to the branch's row, then across
            ys += [parent_row, row, row, None]
    fig.add_scatter(x=xs, y=ys, mode="lines", line={"color": "#999999", "width": 2}, hoverinfo="skip",
                    showlegend=False)
    text = [f"{n['sparsity']:.1f} %<br>" + ("?" if n["accuracy"] is None else f"{100 * n['accuracy']:.2f} %")
            for n in nodes]
    fig.add_scatter(x=[d for d, _ in where], y=[r for _, r in where], mode="markers+text", text=text,
                    textposition="bottom center", textfont={"size": 12}, customdata=list(range(len(nodes))),
                    hovertext=[n["label"] for n in nodes], hovertemplate="%{hovertext}<extra></extra>",
                    showlegend=False, marker={"size": 16, "line": {"width": 2, "color": "#333333"},
                                              "color": [PHASE_COLORS["after"] if n["open"] else "#dddddd"
                                                        for n in nodes]},
                    selected={"marker": {"color": "#ff9900"}}, unselected={"marker": {"opacity": 1.0}})
    if chosen:
        fig.add_scatter(x=[where[i][0] for i in chosen], y=[where[i][1] for i in chosen], mode="markers",
                        hoverinfo="skip", showlegend=False,
                        marker={"size": 28, "symbol": "circle-open", "color": "#111111", "line": {"width": 3}})
    branches = 1 + max((r for _, r in where), default=0)
    fig.update_xaxes(title="prune step", dtick=1, range=[-0.5, max((d for d, _ in where), default=0) + 0.5])
    fig.update_yaxes(visible=False, range=[branches - 0.3, -0.4])  # top row first; room for the last row's text
    return style(fig, 140 + ROW_PX * branches).update_layout(clickmode="event+select", dragmode=False)
