"""The 784-300-100-10 network as a picture whose connections thin out as it is pruned, and an animation of
the finished steps (the fc1 mask next to that diagram). Plain data in: layer widths and, per weight layer,
``{"nonzero": n, "total": n}`` as ``lab.layer_counts`` gives them.

Drawing 266,200 lines is neither possible nor readable, so each layer shows a few representative neurons and
the lines between them stand for all connections: the share of lines drawn equals the share of weights kept.
Lines disappear in one fixed (seeded) order, so scrubbing through steps only ever removes lines.

``diagram`` is built once per distinct input and shared: every student opens the Prune page on the same
default model, and building it took ~40 ms of the server's one interpreter per page run (py-spy; docs/reliability.md).
"""
from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import LAYER_COLORS, MASK_COLORS, palette_image, style

SHOWN = 12  # neurons drawn per layer (the output layer shows all of its 10)
EDGE_COLOR = "#2166ac"
NODE_COLOR = "#444444"


def _node_positions(width: int) -> np.ndarray:
    shown = min(width, SHOWN)
    return np.linspace(0.05, 0.95, shown) if shown > 1 else np.array([0.5])


def _edges(layer_index: int, kept: int, total: int, left: np.ndarray, right: np.ndarray) -> tuple[list, list]:
    """x, y (with None breaks) of the lines that stand for ``kept`` of ``total`` connections."""
    pairs = [(a, b) for a in left for b in right]
    order = np.random.default_rng(layer_index).permutation(len(pairs))  # fixed per layer: thinning is monotone
    # Round up: a layer with any weight left keeps at least one visible line.
    drawn = int(np.ceil(len(pairs) * kept / total)) if total else 0
    xs, ys = [], []
    for index in order[:drawn]:
        a, b = pairs[index]
        xs += [layer_index, layer_index + 1, None]
        ys += [a, b, None]
    return xs, ys


def _diagram_traces(widths: Sequence[int], counts: Mapping[str, Mapping[str, int]]) -> list[go.Scatter]:
    """Edge lines (one trace per weight layer) and the nodes, for ``diagram`` and the animation frames."""
    positions = [_node_positions(w) for w in widths]
    traces = []
    for index, (layer, count) in enumerate(counts.items()):
        xs, ys = _edges(index, count["nonzero"], count["total"], positions[index], positions[index + 1])
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 line={"color": LAYER_COLORS.get(layer, EDGE_COLOR), "width": 1}, opacity=0.55))
    node_x = [i for i, p in enumerate(positions) for _ in p]
    node_y = [y for p in positions for y in p]
    traces.append(go.Scatter(x=node_x, y=node_y, mode="markers", hoverinfo="skip", showlegend=False,
                             marker={"size": 11, "color": "white", "line": {"color": NODE_COLOR, "width": 2}}))
    return traces


def _labels(widths: Sequence[int], counts: Mapping[str, Mapping[str, int]]) -> list[dict]:
    """Annotations: the width under each layer, the surviving connections over each gap."""
    names = ["pixels"] + ["hidden"] * (len(widths) - 2) + ["digits"]
    notes = [{"x": i, "y": -0.04, "text": f"<b>{w}</b><br>{name}", "yanchor": "top"}
             for i, (w, name) in enumerate(zip(widths, names))]
    for index, (layer, count) in enumerate(counts.items()):
        share = 100 * count["nonzero"] / count["total"] if count["total"] else 0
        notes.append({"x": index + 0.5, "y": 1.02, "yanchor": "bottom", "font": {"size": 13},
                      "text": f"<b>{layer}</b> kept<br>{share:.1f} %<br>{count['nonzero']:,} of<br>{count['total']:,}"})
    return [{**note, "showarrow": False, "xref": "x", "yref": "y"} for note in notes]


def _axes(fig: go.Figure, widths: Sequence[int], **where) -> None:
    fig.update_xaxes(visible=False, range=[-0.3, len(widths) - 0.7], **where)
    fig.update_yaxes(visible=False, range=[-0.28, 1.42], **where)


def diagram(widths: Sequence[int], counts: Mapping[str, Mapping[str, int]], title: str | None = None,
            height: int = 360) -> go.Figure:
    """The network's layers as columns of neurons; lines between them thin out with the weights pruned.
    The figure is shared by every call with the same input (see the module docstring): do not modify it."""
    return _diagram(tuple(widths), tuple((layer, count["nonzero"], count["total"]) for layer, count in counts.items()),
                    title, height)


@functools.lru_cache(maxsize=256)  # a few models per student; each figure is a few kB
def _diagram(widths: tuple[int, ...], layers: tuple[tuple[str, int, int], ...], title: str | None,
             height: int) -> go.Figure:
    counts = {layer: {"nonzero": nonzero, "total": total} for layer, nonzero, total in layers}
    fig = go.Figure(_diagram_traces(widths, counts))
    fig.update_layout(annotations=_labels(widths, counts))
    _axes(fig, widths)
    return style(fig, height, title)


def pruning_animation(widths: Sequence[int], steps: Sequence[Mapping]) -> go.Figure:
    """Play through finished steps: each step's fc1 mask (kept / pruned) next to the network diagram.
    ``steps``: dicts with ``label`` (shown over the slider: "step 12: 99 % - 99.0 % pruned"), ``tick`` (under
    the slider's stop, short enough for a dozen of them side by side: "99 %"; the label if absent), ``fc1`` (the
    fc1 weight matrix) and ``counts`` (``lab.layer_counts``)."""
    if not steps:
        raise ValueError("an animation needs at least one step")
    mask_scale = [[0, MASK_COLORS["pruned"]], [1, MASK_COLORS["kept"]]]

    def traces(step: Mapping) -> list:
        return [palette_image((np.asarray(step["fc1"]) != 0).astype(float), mask_scale, 0.0, 1.0),
                *_diagram_traces(widths, step["counts"])]

    fig = make_subplots(rows=1, cols=2, column_widths=[0.45, 0.55], horizontal_spacing=0.03,
                        subplot_titles=["fc1 mask (blue = kept)", ""])
    first = traces(steps[0])
    fig.add_trace(first[0], row=1, col=1)
    for trace in first[1:]:
        fig.add_trace(trace, row=1, col=2)
    ids = list(range(len(first)))
    # Frames carry the traces, the step's name as the figure title and the diagram's count labels (on the
    # second subplot's axes: x2/y2).
    fig.frames = [go.Frame(name=step["label"], data=traces(step), traces=ids,
                           layout={"title": {"text": step["label"]}, "annotations": list(fig.layout.annotations) +
                                   [{**note, "xref": "x2", "yref": "y2"} for note in _labels(widths, step["counts"])]})
                  for step in steps]
    fig.update_layout(annotations=fig.frames[0].layout.annotations)
    fig.update_yaxes(autorange="reversed", showticklabels=False, row=1, col=1)
    fig.update_xaxes(showticklabels=False, row=1, col=1)
    _axes(fig, widths, row=1, col=2)
    play = {"frame": {"duration": 900, "redraw": True}, "fromcurrent": True, "transition": {"duration": 0}}
    fig.update_layout(
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0, "y": -0.08, "xanchor": "left", "yanchor": "top",
                      "buttons": [{"label": "Play steps", "method": "animate", "args": [None, play]},
                                  {"label": "Stop", "method": "animate",
                                   "args": [[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}]}]}],
        sliders=[{"x": 0.25, "len": 0.75, "y": -0.04, "yanchor": "top", "currentvalue": {"visible": False},
                  "steps": [{"label": step.get("tick", step["label"]), "method": "animate",
                             "args": [[step["label"]], {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}]}
                            for step in steps]}])
    return style(fig, 460, steps[0]["label"])
