"""Plotly figures for the dashboard, drawn from ``pruning_core.analyze`` / ``lab`` plain data (no Streamlit).

Colours are fixed here once so every page agrees: one colour per layer, one for the model before pruning
and one after, and a third for "right after pruning, before retraining". Large matrices (fc1 is 300x784)
are colour-mapped in numpy and sent as one PNG (``binary_string=True``) instead of 235k JSON numbers.
"""
from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import numpy as np
import PIL.Image
import plotly.colors as pcolors
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

LAYER_COLORS = {"fc1": "#1f77b4", "fc2": "#2ca02c", "fc3": "#9467bd", "all": "#444444"}
PHASE_COLORS = {"before": "#7f7f7f", "pruned": "#ff7f0e", "after": "#d62728"}
SCOPE_COLORS = {"global": "#d62728", "layer": "#17becf", "std": "#bcbd22"}
WIDTH_COLORS = ("#1f77b4", "#e377c2")
DIVERGING, SEQUENTIAL = "RdBu_r", "Viridis"
FONT_SIZE = 16  # readable from the back of a classroom


def _style(fig: go.Figure, height: int = 420) -> go.Figure:
    fig.update_layout(font={"size": FONT_SIZE}, height=height, margin={"l": 60, "r": 20, "t": 80, "b": 50},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0}, template="plotly_white")
    return fig


def accuracy_vs_sparsity(rows: Sequence[Mapping], baseline_accuracy: float | None = None) -> go.Figure:
    """Test accuracy after pruning and after retraining against the percent pruned (``lab.step_table`` rows)."""
    fig = go.Figure()
    x = [r["percent"] for r in rows]
    for key, name, phase, dash in (("accuracy_after_prune", "after prune", "pruned", "dash"),
                                   ("accuracy_after_retrain", "after retrain", "after", "solid")):
        fig.add_scatter(x=x, y=[100 * r[key] for r in rows], name=name, mode="lines+markers",
                        line={"color": PHASE_COLORS[phase], "dash": dash, "width": 3}, marker={"size": 9})
    if baseline_accuracy is not None:
        fig.add_hline(y=100 * baseline_accuracy, line={"color": PHASE_COLORS["before"], "dash": "dot"},
                      annotation_text="before pruning", annotation_position="bottom left")
    fig.update_xaxes(title="weights pruned (%)", range=[0, 100])
    fig.update_yaxes(title="test accuracy (%)")
    return _style(fig)


def _cumulative_steps(events: Sequence[Mapping]) -> list[int]:
    """Optimizer steps counted across all training calls of a job (each call restarts ``step`` at 0)."""
    xs, offset, last = [], 0, 0
    for event in events:
        if event["kind"] == "pruned" and xs:
            offset = last
        last = offset + event["step"]
        xs.append(last)
    return xs


def training_curve(events: Sequence[Mapping]) -> go.Figure:
    """Training loss (every 50 steps) and test accuracy (after pruning, after each epoch) of one job."""
    xs = _cumulative_steps(events)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    # Batch events only: an epoch event's loss is the whole epoch's mean and would draw a false spike.
    loss = [(x, e["loss"]) for x, e in zip(xs, events) if e["kind"] == "batch"]
    fig.add_scatter(x=[p[0] for p in loss], y=[p[1] for p in loss], name="training loss", mode="lines",
                    line={"color": LAYER_COLORS["all"], "width": 2}, row=1, col=1)
    # One thin line in time order (prune, retrain, prune, ...), markers coloured by what just happened.
    measured = [(x, e) for x, e in zip(xs, events) if e["accuracy"] is not None]
    fig.add_scatter(x=[x for x, _ in measured], y=[100 * e["accuracy"] for _, e in measured], mode="lines",
                    line={"color": PHASE_COLORS["before"], "dash": "dot", "width": 1}, showlegend=False, row=2, col=1)
    for kind, name, phase in (("pruned", "after prune", "pruned"), ("epoch", "after an epoch", "after")):
        points = [(x, e["accuracy"]) for x, e in measured if e["kind"] == kind]
        fig.add_scatter(x=[p[0] for p in points], y=[100 * p[1] for p in points], name=name, mode="markers",
                        marker={"color": PHASE_COLORS[phase], "size": 11}, row=2, col=1)
    fig.update_yaxes(title="loss", row=1, col=1)
    fig.update_yaxes(title="test acc. (%)", row=2, col=1)
    fig.update_xaxes(title="optimizer step", row=2, col=1)
    return _style(fig, 460)


def _lut(scale: str, n: int = 256) -> np.ndarray:
    colours = pcolors.sample_colorscale(scale, list(np.linspace(0, 1, n)))
    return np.array([pcolors.unlabel_rgb(c) for c in colours], dtype=np.uint8)


def _palette_image(values: np.ndarray, scale: str, low: float, high: float) -> go.Image:
    """values -> an 8-bit palette PNG (256 colours of ``scale``) inside a plotly Image trace. A 300x784 weight
    matrix is nearly incompressible as 24-bit RGB (~1 MB); as palette indices it is about a third of that."""
    index = np.rint(np.clip((values - low) / (high - low or 1.0), 0, 1) * 255).astype(np.uint8)
    image = PIL.Image.frombytes("P", (index.shape[1], index.shape[0]), index.tobytes())
    image.putpalette(_lut(scale).flatten().tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return go.Image(source="data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())


def fc1_heatmap(weights: np.ndarray, view: str = "signed") -> go.Figure:
    """fc1 (neurons x 784 input pixels) as one PNG: ``signed`` (diverging, 0 = white), ``magnitude`` or
    ``mask`` (black = connection kept)."""
    nonzero = np.abs(weights[weights != 0])
    top = float(np.percentile(nonzero, 99.5)) if nonzero.size else 1.0  # a few outliers would wash it out
    if view == "signed":
        scale, low, high, title = DIVERGING, -top, top, "weight"
    elif view == "magnitude":
        scale, low, high, title = "Greys", 0.0, top, "|weight|"
    else:
        scale, low, high, title = "Greys", 0.0, 1.0, "kept"
    values = (weights != 0).astype(float) if view == "mask" else (np.abs(weights) if view == "magnitude" else weights)
    fig = go.Figure(_palette_image(values, scale, low, high))
    fig.update_yaxes(autorange="reversed")
    # An invisible marker carries the colour bar, which an RGB image does not have.
    fig.add_scatter(x=[None], y=[None], mode="markers", showlegend=False,
                    marker={"colorscale": scale, "cmin": low, "cmax": high, "color": [low],
                            "showscale": True, "colorbar": {"title": title}})
    fig.update_xaxes(title="input pixel (row-major 28x28)")
    fig.update_yaxes(title="fc1 neuron")
    return _style(fig, 520)


def receptive_fields(fields: np.ndarray, neurons: Sequence[int], columns: int = 4) -> go.Figure:
    """A grid of fc1 neurons' incoming weights as 28x28 images (``analyze.receptive_fields``)."""
    top = float(np.abs(fields).max()) or 1.0
    fig = px.imshow(fields, facet_col=0, facet_col_wrap=columns, color_continuous_scale=DIVERGING,
                    zmin=-top, zmax=top, facet_row_spacing=0.06, facet_col_spacing=0.01)
    for annotation in fig.layout.annotations:  # "facet_col=3" -> "neuron 17"
        annotation.text = f"#{neurons[int(annotation.text.split('=')[1])]}"
    fig.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)
    rows = -(-len(neurons) // columns)
    return _style(fig, 100 + 170 * rows)


def pixel_connections(counts: np.ndarray) -> go.Figure:
    """How many fc1 connections survive from each input pixel (``analyze.pixel_connections``); the scale
    runs to this map's own maximum, so a heavily pruned model's pattern stays visible."""
    fig = px.imshow(counts, color_continuous_scale=SEQUENTIAL, zmin=0, zmax=max(1, int(counts.max())),
                    labels={"color": "connections"})
    fig.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)
    return _style(fig, 420)


def weight_histograms(hists: Mapping[str, Mapping], layers: Sequence[str], log_y: bool = False) -> go.Figure:
    """Overlaid histograms of nonzero weights, one panel per layer; ``hists`` maps "before"/"after" to
    ``analyze.weight_histograms`` results computed over the same edges."""
    fig = make_subplots(rows=1, cols=len(layers), subplot_titles=list(layers))
    for col, layer in enumerate(layers, start=1):
        for label, hist in hists.items():
            edges = np.asarray(hist["edges"])
            fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=hist["counts"][layer], width=float(edges[1] - edges[0]),
                        name=label, legendgroup=label, showlegend=col == 1, opacity=0.6,
                        marker={"color": PHASE_COLORS[label], "line": {"width": 0}}, row=1, col=col)
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title="weight value")
    fig.update_yaxes(title="count" if len(layers) == 1 else None, type="log" if log_y else "linear")
    return _style(fig, 420)


def digit(pixels: np.ndarray) -> go.Figure:
    """One 28x28 MNIST image, white digit on black as in the dataset."""
    fig = px.imshow(pixels, color_continuous_scale="gray", zmin=0, zmax=255)
    fig.update_layout(coloraxis_showscale=False)
    fig.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)
    return _style(fig, 300)


def activation_strips(results: Mapping[str, Mapping]) -> go.Figure:
    """Each hidden layer's activations as a heat strip per model (white = inactive, ReLU output 0)."""
    layers = ("fc1", "fc2")
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.35,
                        subplot_titles=[f"{layer} activations" for layer in layers])
    top = max(float(np.max(r["activations"][layer])) for r in results.values() for layer in layers) or 1.0
    # White only for exactly 0: even a weakly active neuron starts at a visible light blue.
    scale = [[0.0, "#ffffff"], [1e-6, "#c6dbef"], [1.0, "#08306b"]]
    for row, layer in enumerate(layers, start=1):
        fig.add_heatmap(z=[r["activations"][layer] for r in results.values()], y=list(results), zmin=0, zmax=top,
                        colorscale=scale, showscale=row == 1, colorbar={"title": "ReLU out"}, row=row, col=1)
        fig.update_xaxes(title="neuron", row=row, col=1)
    fig.update_yaxes(autorange="reversed")  # "before" on top, as everywhere else
    return _style(fig, 420)


def probabilities(results: Mapping[str, Mapping]) -> go.Figure:
    """Class probabilities of one image, before vs after pruning."""
    fig = go.Figure()
    for label, result in results.items():
        fig.add_bar(x=list(range(10)), y=result["probabilities"], name=label, marker_color=PHASE_COLORS[label])
    fig.update_xaxes(title="digit", tickmode="linear")
    fig.update_yaxes(title="probability", range=[0, 1])
    return _style(fig, 320)


def class_mean_active(means: Mapping[str, Mapping[str, Sequence[float]]]) -> go.Figure:
    """Mean active neurons per digit class in each hidden layer (``analyze.class_mean_active``), before vs after."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["fc1", "fc2"])
    for col, layer in enumerate(("fc1", "fc2"), start=1):
        for label, mean in means.items():
            fig.add_bar(x=list(range(10)), y=mean[layer], name=label, legendgroup=label, showlegend=col == 1,
                        marker_color=PHASE_COLORS[label], row=1, col=col)
    fig.update_xaxes(title="digit", tickmode="linear")
    fig.update_yaxes(title="mean active neurons", row=1, col=1)
    return _style(fig, 400)


def scope_comparison(runs: Sequence[Mapping]) -> go.Figure:
    """Experiment 1: accuracy after retraining vs sparsity, one line per (scope, seed) run."""
    fig = go.Figure()
    shown = set()
    for run in runs:
        scope = run["scope"]
        fig.add_scatter(x=[p["percent"] for p in run["points"]], y=[100 * p["accuracy_after_retrain"] for p in run["points"]],
                        name=scope, legendgroup=scope, showlegend=scope not in shown, mode="lines+markers",
                        line={"color": SCOPE_COLORS.get(scope, LAYER_COLORS["all"]), "width": 3})
        shown.add(scope)
    fig.update_xaxes(title="weights pruned (%)")
    fig.update_yaxes(title="test accuracy after retraining (%)")
    return _style(fig)


def width_comparison(runs: Sequence[Mapping]) -> go.Figure:
    """Experiment 2: percent of hidden neurons active (mean over test images) vs sparsity, per width."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["fc1 active (%)", "fc2 active (%)"])
    for index, run in enumerate(runs):
        name = "-".join(str(h) for h in run["hidden"])
        for col, layer in enumerate(("fc1", "fc2"), start=1):
            fig.add_scatter(x=[p["percent"] for p in run["points"]],
                            y=[100 * p["active_fraction"][layer] for p in run["points"]], name=name, legendgroup=name,
                            showlegend=col == 1, mode="lines+markers", row=1, col=col,
                            line={"color": WIDTH_COLORS[index % len(WIDTH_COLORS)], "width": 3})
    fig.update_xaxes(title="weights pruned (%)")
    return _style(fig)


def run_comparison(runs: Mapping[str, Sequence[Mapping]]) -> go.Figure:
    """Two (or more) saved runs side by side: accuracy after prune (dashed) and after retraining (solid) vs
    the percent pruned, one colour per run (``lab.step_table`` rows per run label)."""
    fig = go.Figure()
    for (label, rows), colour in zip(runs.items(), WIDTH_COLORS + tuple(SCOPE_COLORS.values())):
        x = [r["percent"] for r in rows]
        for key, phase, dash in (("accuracy_after_prune", "after prune", "dash"),
                                 ("accuracy_after_retrain", "after retrain", "solid")):
            fig.add_scatter(x=x, y=[100 * r[key] for r in rows], name=f"{label}: {phase}", mode="lines+markers",
                            line={"color": colour, "dash": dash, "width": 3}, marker={"size": 9})
    fig.update_xaxes(title="weights pruned (%)", range=[0, 100])
    fig.update_yaxes(title="test accuracy (%)")
    return _style(fig, 460)


def curves(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], x_title: str,
           y_title: str = "test accuracy") -> go.Figure:
    """Named (x, y) lines with markers: sensitivity curves, method comparisons."""
    fig = go.Figure([go.Scatter(x=list(x), y=list(y), name=name, mode="lines+markers",
                                line={"color": LAYER_COLORS.get(name)}) for name, (x, y) in series.items()])
    fig.update_layout(xaxis_title=x_title, yaxis_title=y_title)
    return _style(fig)


def sensitivity(result: Mapping) -> go.Figure:
    """``reproduce.layer_sensitivity``: accuracy when one layer alone is pruned, per layer."""
    return curves({layer: (result["percents"], curve) for layer, curve in result["curves"].items()},
                  "percent of the layer pruned (no retraining)")


def methods(result: Mapping) -> go.Figure:
    """``reproduce.pruning_methods``: Han's iterative pruning vs AGP vs lottery tickets, accuracy vs sparsity."""
    return curves({name: ([100 * p["sparsity"] for p in result[name]], [p["accuracy"] for p in result[name]])
                   for name in ("han", "agp", "lottery")}, "sparsity (%)")
