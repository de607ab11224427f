"""Plotly charts for the dashboard and the report - accuracy and training curves, activations, experiment
comparisons - drawn from ``pruning_core.analyze`` / ``lab`` plain data (no Streamlit). Colours and fonts come
from ``style.py``; before/after pictures of the weights are in ``weights.py``, the network diagram in
``network.py``."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import LAYER_COLORS, PHASE_COLORS, SCOPE_COLORS, WIDTH_COLORS, style



# The accuracy chart's x axis: its options, by what a student picks. A percent axis puts the 90-99 % steps, where
# the lesson happens, in its right tenth; compression or weights left on a log axis spread them out.
SPARSITY_AXES = {"pruned": "weights pruned (%)", "compression": "compression (x, log)",
                 "left": "weights left (%, log)"}
MIN_ACCURACY_SPAN = 3.0  # points: a 0.1-point wobble must not look like a cliff
LOG_TICKS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def sparsity_x(percents: Sequence[float], axis: str) -> list[float]:
    """Percent pruned -> the x value of ``axis`` (``SPARSITY_AXES``)."""
    left = [max(100.0 - p, 0.01) for p in percents]  # 100 % pruned cannot be a point on a log axis
    if axis == "pruned":
        return list(percents)
    if axis == "left":
        return left
    if axis == "compression":
        return [100.0 / w for w in left]
    raise ValueError(f"axis must be one of {tuple(SPARSITY_AXES)}")


def accuracy_range(values: Sequence[float], min_span: float = MIN_ACCURACY_SPAN) -> list[float]:
    """A y range (in %) over ``values`` at least ``min_span`` points tall, never above 100 % unless the data
    is; a little room beyond the extremes so no marker sits on the frame."""
    low, high = min(values), max(values)
    pad = max(0.06 * (high - low), (min_span - (high - low)) / 2)
    low, high = low - pad, high + pad
    if high > 100.5:  # shift down rather than show accuracies above 100 %
        low, high = low - (high - 100.5), 100.5
    return [low, high]


def _sparsity_axis(fig: go.Figure, xs: Sequence[float], axis: str) -> None:
    if axis == "pruned":
        fig.update_xaxes(title=SPARSITY_AXES[axis], range=[0, 100])
        return
    ends = (min(xs), max(xs))
    ticks = [t for t in LOG_TICKS if ends[0] / 1.5 <= t <= ends[1] * 1.5]
    if axis == "compression":  # from 1x (nothing pruned) to the most compressed step
        fig.update_xaxes(title="compression (x fewer weights, log)", type="log", tickvals=ticks,
                         ticktext=[f"{t}x" for t in ticks], range=[-0.05, math.log10(max(10.0, ends[1]) * 1.3)])
    else:  # weights left, reversed: pruning goes left to right on every option
        fig.update_xaxes(title=SPARSITY_AXES[axis], type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks],
                         range=[2.03, math.log10(min(10.0, ends[0]) / 1.3)])


def accuracy_vs_sparsity(rows: Sequence[Mapping], baseline_accuracy: float | None = None,
                         start: tuple[float, float] | None = None, height: int = 420,
                         axis: str = "pruned", shown: int | None = None) -> go.Figure:
    """Test accuracy after pruning and after retraining against how much is pruned (``lab.step_table`` rows),
    on the x axis ``axis`` (``SPARSITY_AXES``). ``start`` (percent, accuracy) of the model the steps began from
    opens both lines, so even one step is a line from where it started rather than a loose dot. The y axis
    spans at least ``MIN_ACCURACY_SPAN`` points. ``shown``: the point (0: the start) that every page shows,
    ringed and named in the legend."""
    fig = go.Figure()
    head = [start] if start is not None else []
    x = sparsity_x([p for p, _ in head] + [r["percent"] for r in rows], axis)
    ys = []
    for key, name, phase, dash in (("accuracy_after_prune", "after prune", "pruned", "dash"),
                                   ("accuracy_after_retrain", "after retrain", "after", "solid")):
        y = [100 * a for _, a in head] + [100 * r[key] for r in rows]
        ys += y
        fig.add_scatter(x=x, y=y, name=name, mode="lines+markers",
                        line={"color": PHASE_COLORS[phase], "dash": dash, "width": 3}, marker={"size": 9})
    if shown is not None and 0 <= shown < len(x):
        fig.add_scatter(x=[x[shown]], y=[ys[len(x) + shown]], name=f"shown: step {shown}", mode="markers",
                        marker={"size": 22, "symbol": "circle-open", "color": "#111111", "line": {"width": 3}})
    if baseline_accuracy is not None:
        # Named in the legend, not written on the chart, where the first points are.
        # The shape add_hline makes, added directly: add_hline's subplot bookkeeping is slow, and the live chart
        # is rebuilt on every poll of a running job.
        fig.add_shape(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=100 * baseline_accuracy,
                      y1=100 * baseline_accuracy, line={"color": PHASE_COLORS["before"], "dash": "dot"})
        fig.add_scatter(x=[None], y=[None], name="before pruning", mode="lines",
                        line={"color": PHASE_COLORS["before"], "dash": "dot"})
        ys.append(100 * baseline_accuracy)
    _sparsity_axis(fig, x or [0.0], axis)
    fig.update_yaxes(title="test accuracy (%)", range=accuracy_range(ys or [100.0]))
    return style(fig, height)


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
    # From 0 to a tenth above the highest loss: autoscaled, the line's first (highest) point sat on the frame.
    fig.update_yaxes(title="loss", row=1, col=1, range=[0, 1.1 * max((p[1] for p in loss), default=1.0)])
    fig.update_yaxes(title="test acc. (%)", row=2, col=1)
    fig.update_xaxes(title="optimizer step", row=2, col=1)
    return style(fig, 460)


def digit(pixels: np.ndarray) -> go.Figure:
    """One 28x28 MNIST image, white digit on black as in the dataset."""
    fig = px.imshow(pixels, color_continuous_scale="gray", zmin=0, zmax=255)
    fig.update_layout(coloraxis_showscale=False)
    fig.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)
    return style(fig, 300)


def activation_strips(results: Mapping[str, Mapping], height: int = 420) -> go.Figure:
    """Each hidden layer's activations as a heat strip per model (white = inactive, ReLU output 0)."""
    layers = ("fc1", "fc2")
    # One "neuron" axis title, under the last strip: the gap between strips holds only ticks and a subplot title,
    # so the pair stays short enough for the first screen in presenter mode.
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.28,
                        subplot_titles=[f"{layer} activations" for layer in layers])
    top = max(float(np.max(r["activations"][layer])) for r in results.values() for layer in layers) or 1.0
    # White only for exactly 0: even a weakly active neuron starts at a visible light blue.
    scale = [[0.0, "#ffffff"], [1e-6, "#c6dbef"], [1.0, "#08306b"]]
    for row, layer in enumerate(layers, start=1):
        fig.add_heatmap(z=[r["activations"][layer] for r in results.values()], y=list(results), zmin=0, zmax=top,
                        colorscale=scale, showscale=row == 1, colorbar={"title": "ReLU out"}, row=row, col=1)
    fig.update_xaxes(title="neuron", row=len(layers), col=1)
    fig.update_yaxes(autorange="reversed")  # "before" on top, as everywhere else
    return style(fig, height)


def probabilities(results: Mapping[str, Mapping]) -> go.Figure:
    """Class probabilities of one image, before vs after pruning."""
    fig = go.Figure()
    for label, result in results.items():
        fig.add_bar(x=list(range(10)), y=result["probabilities"], name=label, marker_color=PHASE_COLORS[label])
    fig.update_xaxes(title="digit", tickmode="linear")
    fig.update_yaxes(title="probability", range=[0, 1])
    return style(fig, 320)


def class_mean_active(means: Mapping[str, Mapping[str, Sequence[float]]]) -> go.Figure:
    """Mean active neurons per digit class in each hidden layer (``analyze.class_mean_active``), before vs after."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["fc1", "fc2"])
    for col, layer in enumerate(("fc1", "fc2"), start=1):
        for label, mean in means.items():
            fig.add_bar(x=list(range(10)), y=mean[layer], name=label, legendgroup=label, showlegend=col == 1,
                        marker_color=PHASE_COLORS[label], row=1, col=col)
    fig.update_xaxes(title="digit", tickmode="linear")
    fig.update_yaxes(title="mean active neurons", row=1, col=1)
    return style(fig, 400)


SEED_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")  # one per seed in the experiment charts


def scope_comparison(runs: Sequence[Mapping]) -> go.Figure:
    """Experiment 1: accuracy after retraining vs sparsity, one line per (scope, seed) run: colour = scope,
    dash pattern = seed, and the legend names both, so a class can tell seed-to-seed noise from a real gap."""
    fig = go.Figure()
    seeds = sorted({run.get("seed") for run in runs}, key=str)
    for run in runs:
        scope, seed = run["scope"], run.get("seed")
        fig.add_scatter(x=[p["percent"] for p in run["points"]],
                        y=[100 * p["accuracy_after_retrain"] for p in run["points"]], name=f"{scope}, seed {seed}", legendgroup=scope, mode="lines+markers",
                        line={"color": SCOPE_COLORS.get(scope, LAYER_COLORS["all"]), "width": 3,
                              "dash": SEED_DASHES[seeds.index(seed) % len(SEED_DASHES)]})
    fig.update_xaxes(title="weights pruned (%)")
    fig.update_yaxes(title="test accuracy after retraining (%)")
    return style(fig)


def controls_comparison(summary: Mapping[str, Sequence[Mapping]], labels: Mapping[str, str]) -> go.Figure:
    """Why magnitude: one line per criterion (mean over seeds, error bars one sd) in two panels - accuracy right
    after each prune and after its retraining - from ``research.controls.summary``; ``labels`` name the lines."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=["right after each prune, before its retraining", "after its retraining"])
    for scope, points in summary.items():
        for col, key in enumerate(("accuracy_after_prune", "accuracy_after_retrain"), start=1):
            fig.add_scatter(x=[p["percent"] for p in points], y=[p[key][0] for p in points],
                            error_y={"type": "data", "array": [p[key][1] for p in points], "visible": True},
                            name=labels.get(scope, scope), legendgroup=scope, showlegend=col == 1,
                            mode="lines+markers", row=1, col=col,
                            line={"color": SCOPE_COLORS.get(scope, LAYER_COLORS["all"]), "width": 3})
    fig.update_xaxes(title="weights pruned (%)")
    fig.update_yaxes(title="test accuracy (%)", range=[0, 100], col=1)
    # The legend under the panels (above them it would cover the panels' titles), at the figure's foot: under the
    # axis titles whatever their size, in the margin kept for it; no strip above the plot is kept for it.
    return style(fig, legend_beside=True).update_layout(
        legend={"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0, "yanchor": "bottom"},
        margin={"b": 100})


def width_comparison(runs: Sequence[Mapping]) -> go.Figure:
    """Experiment 2: percent of hidden neurons active (mean over test images) vs sparsity, per width."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["fc1 active (%)", "fc2 active (%)"])
    for index, run in enumerate(runs):
        name = "-".join(str(h) for h in run["hidden"]) + (f", seed {run['seed']}" if "seed" in run else "")
        for col, layer in enumerate(("fc1", "fc2"), start=1):
            fig.add_scatter(x=[p["percent"] for p in run["points"]],
                            y=[100 * p["active_fraction"][layer] for p in run["points"]], name=name, legendgroup=name,
                            showlegend=col == 1, mode="lines+markers", row=1, col=col,
                            line={"color": WIDTH_COLORS[index % len(WIDTH_COLORS)], "width": 3})
    fig.update_xaxes(title="weights pruned (%)")
    return style(fig)


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
    return style(fig, 460)


def curves(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], x_title: str,
           y_title: str = "test accuracy") -> go.Figure:
    """Named (x, y) lines with markers: sensitivity curves, method comparisons."""
    fig = go.Figure([go.Scatter(x=list(x), y=list(y), name=name, mode="lines+markers",
                                line={"color": LAYER_COLORS.get(name)}) for name, (x, y) in series.items()])
    fig.update_layout(xaxis_title=x_title, yaxis_title=y_title)
    return style(fig)


def sensitivity(result: Mapping) -> go.Figure:
    """``reproduce.layer_sensitivity``: accuracy when one layer alone is pruned, per layer."""
    return curves({layer: (result["percents"], curve) for layer, curve in result["curves"].items()},
                  "layer pruned (%), no retraining")


def methods(result: Mapping) -> go.Figure:
    """``reproduce.pruning_methods``: Han's iterative pruning vs AGP vs lottery tickets, accuracy vs sparsity."""
    return curves({name: ([100 * p["sparsity"] for p in result[name]], [p["accuracy"] for p in result[name]])
                   for name in ("han", "agp", "lottery")}, "sparsity (%)")
