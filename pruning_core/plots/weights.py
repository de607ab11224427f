"""Before / after figures of the weights themselves (Weights and Histograms pages): each is ONE figure with the
two models side by side (or overlaid), one shared colour scale, and the titles drawn on the figure - so the
eye compares like with like and a screenshot still says which side is which. Input is plain numpy data from
``pruning_core.analyze``; dict order is panel order ("before" first)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import DIVERGING, MASK_COLORS, PHASE_COLORS, SEQUENTIAL, palette_image, style, two_lines

FC1_VIEWS = ("signed", "magnitude", "mask")
NEURON_LABEL_PX = 24  # the "#17" over each receptive field (FONT_SIZE text)


def _colour_key(fig: go.Figure, scale: str | list, low: float, high: float, title: str, **bar) -> None:
    """An invisible marker that carries the colour bar an image trace does not have."""
    fig.add_scatter(x=[None], y=[None], mode="markers", showlegend=False,
                    marker={"colorscale": scale, "cmin": low, "cmax": high, "color": [low], "showscale": True,
                            "colorbar": {"title": title, **bar}})


def _mask_legend(fig: go.Figure) -> None:
    for name in ("kept", "pruned"):  # legend squares instead of a continuous bar: a mask has two values
        fig.add_scatter(x=[None], y=[None], mode="markers", name=name,
                        marker={"symbol": "square", "size": 16, "color": MASK_COLORS[name],
                                "line": {"color": "#666666", "width": 1}})


def fc1_pair(weights: Mapping[str, np.ndarray], titles: Mapping[str, str], view: str = "signed",
             height: int = 380) -> go.Figure:
    """fc1 (neurons x 784 input pixels) of each model as one PNG, side by side on one colour scale: ``signed``
    (diverging, 0 = white), ``magnitude`` or ``mask`` (two colours: kept / pruned)."""
    if view not in FC1_VIEWS:
        raise ValueError(f"view must be one of {FC1_VIEWS}")
    nonzero = np.concatenate([np.abs(w[w != 0]) for w in weights.values()])
    top = float(np.percentile(nonzero, 99.5)) if nonzero.size else 1.0  # a few outliers would wash it out
    fig = make_subplots(rows=1, cols=len(weights), subplot_titles=[two_lines(titles[k]) for k in weights],
                        horizontal_spacing=0.04)
    for col, values in enumerate(weights.values(), start=1):
        if view == "signed":
            trace = palette_image(values, DIVERGING, -top, top)
        elif view == "magnitude":
            trace = palette_image(np.abs(values), "Greys", 0.0, top)
        else:
            trace = palette_image((values != 0).astype(float), [[0, MASK_COLORS["pruned"]], [1, MASK_COLORS["kept"]]],
                                  0.0, 1.0)
        fig.add_trace(trace, row=1, col=col)
    if view == "mask":
        _mask_legend(fig)
    else:
        low = -top if view == "signed" else 0.0
        _colour_key(fig, DIVERGING if view == "signed" else "Greys", low, top,
                    "weight" if view == "signed" else "|weight|")
    # Stretch rows to the panel's height: at 1:1 a 300x784 matrix beside another would be a thin strip.
    fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor=False)
    fig.update_yaxes(title="fc1 neuron", row=1, col=1)
    fig.update_xaxes(title="input pixel (784)", showticklabels=False)
    return style(fig, height, legend_beside=True)  # the mask's legend stands where the other views' colour bar is


def with_neuron_targets(fig: go.Figure, neurons: int, panels: int = 2, every: int = 112) -> go.Figure:
    """``fig`` (an ``fc1_pair``) with invisible click targets over every panel: a marker every ``every`` input
    pixels of each neuron's row, whose y is the neuron. An image trace cannot be selected by a click; these
    markers can (the chosen one turns orange), and with no hover distance limit a click anywhere on a row
    picks the nearest marker, so it names that row's neuron."""
    columns = np.arange(every // 2, 784, every)
    xs, ys = np.tile(columns, neurons), np.repeat(np.arange(neurons), len(columns))
    for col in range(1, panels + 1):
        fig.add_scatter(x=xs, y=ys, mode="markers", showlegend=False, row=1, col=col,
                        marker={"color": "rgba(0,0,0,0)", "size": 7},
                        selected={"marker": {"color": "#ff9900", "opacity": 1.0}},
                        unselected={"marker": {"opacity": 0.0}},
                        hovertemplate="fc1 neuron %{y}: click to open it<extra></extra>")
    fig.update_traces(hoverinfo="skip", selector={"type": "image"})  # the pictures take no hover or click
    return fig.update_layout(clickmode="event+select", dragmode=False, hovermode="closest", hoverdistance=-1)


def receptive_fields_pair(fields: Mapping[str, np.ndarray], neurons: Sequence[int], titles: Mapping[str, str],
                          columns: int = 4) -> go.Figure:
    """The same fc1 neurons' incoming weights as 28x28 images, each model's grid side by side on one scale."""
    labels = list(fields)
    top = max(float(np.abs(f).max()) for f in fields.values()) or 1.0
    rows = -(-len(neurons) // columns)
    # Row r of the figure: row r of the first model's grid, then row r of the second's.
    order = [(label, i) for r in range(rows) for label in labels
             for i in range(r * columns, min(len(neurons), (r + 1) * columns))]
    stack = np.stack([fields[label][i] for label, i in order])
    fig = px.imshow(stack, facet_col=0, facet_col_wrap=columns * len(labels), color_continuous_scale=DIVERGING,
                    zmin=-top, zmax=top, facet_row_spacing=0.06, facet_col_spacing=0.008,
                    labels={"color": "weight"})
    for annotation in fig.layout.annotations:  # "facet_col=3" -> "#17"
        annotation.text = f"#{neurons[order[int(annotation.text.split('=')[1])][1]]}"
    # Each model's title over its half, in two lines (two long titles side by side would run into each other),
    # standing on the neuron numbers of the top row.
    for index, label in enumerate(labels):
        # Centred: plotly's "auto" anchors a title at x = 0.25 by its left end and one at 0.75 by its right end,
        # so two long ones grew towards each other and overlapped in the middle.
        fig.add_annotation(text=f"<b>{two_lines(titles[label])}</b>", x=(index + 0.5) / len(labels), y=1.0,
                           xanchor="center", yanchor="bottom", yshift=NEURON_LABEL_PX, xref="paper", yref="paper",
                           showarrow=False, font={"size": 16})
    fig.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)
    # Square 28x28 pictures in 8 columns of a 1280-px screen's main column are about 80 px tall: a taller figure
    # only adds blank space above and below them.
    style(fig, 140 + 85 * rows)  # the margin holds the titles' lines; the neuron numbers below them need more
    return fig.update_layout(margin={"t": fig.layout.margin.t + NEURON_LABEL_PX})


def pixel_connections_pair(counts: Mapping[str, np.ndarray], titles: Mapping[str, str]) -> go.Figure:
    """Surviving fc1 connections per input pixel, side by side on one logarithmic scale: the dense model's 300
    and a pruned model's handful both stay readable on the same colours."""
    top = max(1, max(int(c.max()) for c in counts.values()))
    fig = make_subplots(rows=1, cols=len(counts), subplot_titles=[two_lines(titles[k]) for k in counts],
                        horizontal_spacing=0.04)
    ticks = [v for v in (0, 1, 3, 10, 30, 100, 300, 1000) if v <= top]
    for col, values in enumerate(counts.values(), start=1):
        fig.add_heatmap(z=np.log10(1 + values), coloraxis="coloraxis", customdata=values,
                        hovertemplate="row %{y}, column %{x}: %{customdata} connections<extra></extra>",
                        row=1, col=col)
    fig.update_layout(coloraxis={"colorscale": SEQUENTIAL, "cmin": 0, "cmax": np.log10(1 + top),
                                 "colorbar": {"title": "connections", "tickvals": list(np.log10(1 + np.array(ticks))),
                                              "ticktext": [str(t) for t in ticks]}})
    fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor="x")
    fig.update_xaxes(showticklabels=False)
    return style(fig, 360)


def weight_histograms(hists: Mapping[str, Mapping], layers: Sequence[str], log_y: bool = False,
                      title: str | None = None) -> go.Figure:
    """Overlaid histograms of nonzero weights, one panel per layer; ``hists`` maps "before"/"after" to
    ``analyze.weight_histograms`` results computed over the same edges (so the bars line up bin for bin)."""
    fig = make_subplots(rows=1, cols=len(layers), subplot_titles=list(layers) if len(layers) > 1 else None)
    for col, layer in enumerate(layers, start=1):
        for label, hist in hists.items():
            edges = np.asarray(hist["edges"])
            fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=hist["counts"][layer], width=float(edges[1] - edges[0]),
                        name=label, legendgroup=label, showlegend=col == 1, opacity=0.6,
                        marker={"color": PHASE_COLORS[label], "line": {"width": 0}}, row=1, col=col)
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title="weight value")
    # Log counts labelled at powers of ten only: plotly's in-between labels (2, 5, ...) crowd a short axis.
    fig.update_yaxes(title="count" if len(layers) == 1 else None, type="log" if log_y else "linear",
                     dtick=1 if log_y else None)
    return style(fig, 380, title)
