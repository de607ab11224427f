"""The projector figures (plots/weights.py, plots/network.py): before and after share one colour scale and
carry their titles, masks are two colours, and the network diagram thins out exactly with the weights kept."""
from __future__ import annotations

import base64
import io

import numpy as np
import PIL.Image
import pytest

from pruning_core.plots import network, weights
from pruning_core.plots.style import MASK_COLORS

TITLES = {"before": "before: dense", "after": "after: step 1"}
WIDTHS = [784, 300, 100, 10]


def pair() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    before = rng.normal(0, 0.05, (300, 784))
    after = np.where(np.abs(before) > np.percentile(np.abs(before), 90), 2 * before, 0.0)  # pruned, retrained
    return {"before": before, "after": after}


def image_colours(source: str) -> set[tuple[int, int, int]]:
    image = PIL.Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("RGB")
    return {tuple(c) for c in np.asarray(image).reshape(-1, 3)}


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def counts(kept: dict[str, float]) -> dict[str, dict[str, int]]:
    totals = {"fc1": 235_200, "fc2": 30_000, "fc3": 1_000}
    return {layer: {"nonzero": int(kept[layer] * total), "total": total} for layer, total in totals.items()}


@pytest.mark.parametrize("view", ["signed", "magnitude"])
def test_fc1_pair_has_one_colour_scale_over_both_models(view):
    data = pair()
    fig = weights.fc1_pair(data, TITLES, view)
    bars = [t for t in fig.data if t.type == "scatter" and t.marker.showscale]
    assert len(bars) == 1  # one colour bar for both panels
    both = np.concatenate([np.abs(w[w != 0]) for w in data.values()])
    assert bars[0].marker.cmax == pytest.approx(np.percentile(both, 99.5))
    assert bars[0].marker.cmax > np.percentile(np.abs(data["before"]), 99.5)  # the retrained side is wider
    assert [t.type for t in fig.data[:2]] == ["image", "image"]
    assert {a.text for a in fig.layout.annotations} >= set(TITLES.values())


def test_mask_is_two_colours_and_a_dense_mask_is_not_black():
    fig = weights.fc1_pair(pair(), TITLES, "mask")
    before, after = (image_colours(t.source) for t in fig.data[:2])
    assert before == {hex_rgb(MASK_COLORS["kept"])}
    assert after == {hex_rgb(MASK_COLORS["kept"]), hex_rgb(MASK_COLORS["pruned"])}
    assert {t.name for t in fig.data if t.type == "scatter"} == {"kept", "pruned"}


def test_receptive_fields_and_pixel_counts_share_scales():
    data = pair()
    fields = {k: w[:4].reshape(4, 28, 28) for k, w in data.items()}
    fig = weights.receptive_fields_pair(fields, [0, 1, 2, 3], TITLES, columns=2)
    top = max(float(np.abs(f).max()) for f in fields.values())
    assert fig.layout.coloraxis.cmin == -top and fig.layout.coloraxis.cmax == top
    assert len([t for t in fig.data if t.type == "heatmap"]) == 8
    pixels = {k: (w != 0).sum(axis=0).reshape(28, 28) for k, w in data.items()}
    fig = weights.pixel_connections_pair(pixels, TITLES)
    assert {t.coloraxis for t in fig.data} == {"coloraxis"}
    assert fig.layout.coloraxis.cmax == pytest.approx(np.log10(1 + 300))


def lines(fig, layer_index: int) -> set[tuple[float, float]]:
    trace = fig.data[layer_index]
    return {(a, b) for a, b in zip(trace.y[0::3], trace.y[1::3])}


def test_diagram_thins_out_with_the_weights_kept_and_only_ever_loses_lines():
    dense = network.diagram(WIDTHS, counts({"fc1": 1.0, "fc2": 1.0, "fc3": 1.0}))
    half = network.diagram(WIDTHS, counts({"fc1": 0.5, "fc2": 0.8, "fc3": 1.0}))
    tenth = network.diagram(WIDTHS, counts({"fc1": 0.1, "fc2": 0.3, "fc3": 0.9}))
    full = len(lines(dense, 0))
    assert full == network.SHOWN * network.SHOWN
    assert len(lines(half, 0)) == full // 2 and len(lines(tenth, 0)) == int(np.ceil(full * 0.1))
    assert lines(tenth, 0) <= lines(half, 0) <= lines(dense, 0)
    assert len(lines(dense, 2)) == network.SHOWN * 10  # the output layer shows all 10 digits
    texts = " ".join(a.text for a in half.layout.annotations)
    assert "117,600 of<br>235,200" in texts and "kept<br>50.0 %" in texts


def test_a_layer_with_one_weight_left_keeps_a_visible_line():
    fig = network.diagram(WIDTHS, {"fc1": {"nonzero": 1, "total": 235_200}, "fc2": {"nonzero": 0, "total": 30_000},
                                   "fc3": {"nonzero": 1_000, "total": 1_000}})
    assert len(lines(fig, 0)) == 1 and len(lines(fig, 1)) == 0


def test_animation_has_a_frame_and_a_slider_stop_per_step():
    data = pair()
    steps = [{"label": "as loaded", "fc1": data["before"], "counts": counts({"fc1": 1, "fc2": 1, "fc3": 1})},
             {"label": "step 1: 90 %", "fc1": data["after"], "counts": counts({"fc1": 0.1, "fc2": 0.5, "fc3": 0.9})}]
    fig = network.pruning_animation(WIDTHS, steps)
    assert [f.name for f in fig.frames] == ["as loaded", "step 1: 90 %"]
    assert [s.label for s in fig.layout.sliders[0].steps] == ["as loaded", "step 1: 90 %"]
    assert len(fig.frames[1].data[1].x) < len(fig.frames[0].data[1].x)  # fc1's lines thin out
    assert any("kept<br>10.0 %" in a.text for a in fig.frames[1].layout.annotations)
    with pytest.raises(ValueError):
        network.pruning_animation(WIDTHS, [])


def test_experiment_legends_label_each_seed() -> None:
    """Several seeds per scope or width: each line is named with its seed (and seeds differ in dash pattern)."""
    from pruning_core.plots import figures

    runs = [{"scope": scope, "seed": seed, "points": [{"percent": 50.0, "accuracy_after_retrain": 0.97}]}
            for scope in ("global", "layer") for seed in (1, 2)]
    fig = figures.scope_comparison(runs)
    assert [t.name for t in fig.data] == ["global, seed 1", "global, seed 2", "layer, seed 1", "layer, seed 2"]
    assert fig.data[0].line.dash != fig.data[1].line.dash
    widths = [{"hidden": [300, 100], "seed": 3, "points": [{"percent": 0.0,
                                                             "active_fraction": {"fc1": 0.5, "fc2": 0.4}}]}]
    assert figures.width_comparison(widths).data[0].name == "300-100, seed 3"


# The accuracy chart and the strip above every plot (plots/figures.py, plots/style.py): honest axes, nothing
# written on anything else.
from pruning_core.plots import figures, style  # noqa: E402  (the chart tests below share these)

STEP_PERCENTS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 98, 99)
STEP_ROWS = [{"percent": p, "accuracy_after_prune": 0.9715 - 0.0002 * i, "accuracy_after_retrain": 0.9717 + 0.0001 * i}
             for i, p in enumerate(STEP_PERCENTS)]


def test_accuracy_axis_spans_at_least_three_points_around_a_flat_line():
    fig = figures.accuracy_vs_sparsity(STEP_ROWS, 0.9717, (0.0, 0.9717))
    low, high = fig.layout.yaxis.range
    ys = [y for trace in fig.data for y in trace.y if y is not None]
    assert high - low >= figures.MIN_ACCURACY_SPAN  # the data span 0.3 points: autoscale made a cliff of them
    assert low < min(ys) and max(ys) < high
    assert high <= 100.5  # no room for accuracies above 100 %


def test_accuracy_axis_keeps_a_real_drop_whole():
    rows = [*STEP_ROWS[:-1], {"percent": 99.0, "accuracy_after_prune": 0.18, "accuracy_after_retrain": 0.6}]
    low, high = figures.accuracy_vs_sparsity(rows, 0.9717).layout.yaxis.range
    assert low < 18 and high > 97.2 and high - low < 90


@pytest.mark.parametrize("axis, first, last", [("pruned", 0.0, 99.0), ("compression", 1.0, 100.0),
                                               ("left", 100.0, 1.0)])
def test_sparsity_axis_options_put_the_steps_where_they_say(axis, first, last):
    fig = figures.accuracy_vs_sparsity(STEP_ROWS, 0.9717, (0.0, 0.9717), axis=axis)
    xs = fig.data[0].x
    assert xs[0] == pytest.approx(first) and xs[-1] == pytest.approx(last)
    assert fig.layout.xaxis.title.text.startswith(figures.SPARSITY_AXES[axis].split(" (")[0])
    if axis == "pruned":
        assert tuple(fig.layout.xaxis.range) == (0, 100)
        return
    assert fig.layout.xaxis.type == "log"
    low, high = fig.layout.xaxis.range  # log10 units; "weights left" runs from 100 % down, like the others
    ordered = sorted([low, high])
    assert ordered[0] <= np.log10(min(xs)) and np.log10(max(xs)) <= ordered[1]
    assert (low < high) == (axis == "compression")
    # The 90-99 % steps (90, 95, 98, 99) spread over at least a third of the axis, not its last tenth.
    spread = abs(np.log10(xs[-1]) - np.log10(xs[1 + STEP_PERCENTS.index(90)]))  # xs[0]: the start
    assert spread >= (ordered[1] - ordered[0]) / 3


def test_before_pruning_is_named_in_the_legend_not_written_on_the_points():
    fig = figures.accuracy_vs_sparsity(STEP_ROWS, 0.9717, (0.0, 0.9717))
    assert not fig.layout.annotations
    assert "before pruning" in {trace.name for trace in fig.data}
    # ... and drawn as a dotted line at its accuracy across the whole plot, whatever the x axis
    (line,) = fig.layout.shapes
    assert (line.type, line.xref, line.x0, line.x1, line.yref) == ("line", "x domain", 0, 1, "y")
    assert line.y0 == line.y1 == pytest.approx(97.17) and line.line.dash == "dot"


def test_unknown_sparsity_axis_is_refused():
    with pytest.raises(ValueError):
        figures.sparsity_x([50.0], "percent")


def strip_above_plot(fig) -> dict[str, tuple[float, float]]:
    """Vertical extents (pixels above the plot's top edge, bottom -> top) of the subplot titles, the legend
    and the title, as ``style`` placed them."""
    margin, height = fig.layout.margin, fig.layout.height
    plot_px = height - margin.t - margin.b
    extents = {}
    lines = style.top_titles_lines(fig)
    if lines:
        extents["subplot titles"] = (0.0, lines * style.TITLE_LINE_PX)
    rows = style.legend_rows(fig)
    if rows and fig.layout.legend.orientation == "h":
        bottom = (fig.layout.legend.y - 1) * plot_px
        extents["legend"] = (bottom, bottom + rows * style.LEGEND_ROW_PX)
    if fig.layout.title.text:
        assert fig.layout.title.yref == "container" and fig.layout.title.yanchor == "bottom"
        # container y (from the bottom) of the first line's bottom -> px above the plot; further lines hang below
        first = fig.layout.title.y * height - (height - margin.t)
        lines = style.text_lines(fig.layout.title.text)
        extents["title"] = (first - (lines - 1) * style.TITLE_LINE_PX, first + style.TITLE_LINE_PX)
    return extents


def assert_stacked(fig) -> None:
    extents = sorted(strip_above_plot(fig).items(), key=lambda item: item[1][0])
    for (lower, (_, lower_top)), (upper, (upper_bottom, _)) in zip(extents, extents[1:]):
        assert upper_bottom >= lower_top - 0.5, (lower, upper, extents)
    assert all(top <= fig.layout.margin.t + 0.5 for _, (_, top) in extents), (extents, fig.layout.margin.t)


def hist_pair() -> dict:
    edges = np.linspace(-1, 1, 11)
    return {label: {"edges": edges, "counts": {layer: np.arange(10) + 1 for layer in ("all", "fc1", "fc2", "fc3")}}
            for label in ("before", "after")}


ACTIVATIONS = {label: {"activations": {"fc1": np.ones(300), "fc2": np.ones(100)}, "probabilities": np.full(10, 0.1)}
               for label in ("before", "after")}


@pytest.mark.parametrize("build", [
    lambda: weights.weight_histograms(hist_pair(), ["fc1", "fc2", "fc3"], True, "per layer, before (grey) vs after"),
    lambda: weights.weight_histograms(hist_pair(), ["all"], True, "before: baseline - 0.0 % pruned<br>vs after: step "
                                                                  "3: 30 % (scrubbed back) - 30.0 % pruned"),
    lambda: figures.class_mean_active({label: {"fc1": [1.0] * 10, "fc2": [2.0] * 10} for label in ("before", "after")}),
    lambda: figures.width_comparison([{"hidden": [h, 100], "seed": s, "points": [{"percent": 0.0, "active_fraction":
                                      {"fc1": 0.5, "fc2": 0.4}}]} for h in (300, 600) for s in (1, 2, 3)]),
    lambda: figures.activation_strips(ACTIVATIONS, 330),
    lambda: figures.probabilities(ACTIVATIONS),
    lambda: weights.fc1_pair(pair(), TITLES, "mask"),
])
def test_subplot_titles_legend_and_title_are_stacked_not_overlaid(build):
    assert_stacked(build())


def test_a_legend_stands_above_the_subplot_titles():
    fig = weights.weight_histograms(hist_pair(), ["fc1", "fc2", "fc3"], False, "per layer")
    extents = strip_above_plot(fig)
    assert extents["legend"][0] >= extents["subplot titles"][1]  # the legend used to sit on "fc1", "fc2", "fc3"
    assert extents["title"][0] >= extents["legend"][1]


def test_long_panel_titles_break_into_two_lines():
    titles = {"before": "before: baseline (300-100) - 0.0 % pruned",
              "after": "after: step 3: 30 % (scrubbed back) - 30.0 % pruned"}
    for fig in (weights.fc1_pair(pair(), titles, "signed"),
                weights.pixel_connections_pair({k: (w != 0).sum(axis=0).reshape(28, 28) for k, w in pair().items()},
                                               titles)):
        texts = [a.text for a in fig.layout.annotations]
        assert "after: step 3: 30 % (scrubbed back)<br>30.0 % pruned" in texts
        assert fig.layout.margin.t >= 2 * style.TITLE_LINE_PX


def test_receptive_field_titles_stand_apart_above_the_neuron_numbers():
    data = pair()
    titles = {"before": "before: baseline (300-100) - 0.0 % pruned",
              "after": "after: step 12: 99 % (scrubbed back) - 99.0 % pruned"}
    fig = weights.receptive_fields_pair({k: w[:8].reshape(8, 28, 28) for k, w in data.items()}, list(range(8)),
                                        titles)
    heads = [a for a in fig.layout.annotations if "pruned" in a.text]
    assert [a.x for a in heads] == [0.25, 0.75]  # each over its own half
    assert all(a.text.count("<br>") == 1 and a.yanchor == "bottom" and a.xanchor == "center" for a in heads)
    assert heads[0].yshift >= weights.NEURON_LABEL_PX  # above the "#0" labels, not on them
    assert fig.layout.margin.t >= weights.NEURON_LABEL_PX + 2 * style.TITLE_LINE_PX
    assert fig.layout.margin.t <= weights.NEURON_LABEL_PX + 2 * style.TITLE_LINE_PX + 20  # heatmaps list no legend


def test_zero_weight_is_drawn_white_as_the_caption_says():
    image = style.palette_image(np.zeros((2, 2)), style.DIVERGING, -1.0, 1.0)
    (colour,) = image_colours(image.source)
    assert min(colour) >= 253, colour  # plotly's own RdBu middle is grey 247


def test_animation_ticks_are_short_and_the_title_names_each_step():
    data = pair()
    steps = [{"label": "as loaded - 0.0 % pruned", "tick": "start", "fc1": data["before"],
              "counts": counts({"fc1": 1, "fc2": 1, "fc3": 1})},
             {"label": "step 12: 99 % - 99.0 % pruned", "tick": "99 %", "fc1": data["after"],
              "counts": counts({"fc1": 0.1, "fc2": 0.5, "fc3": 0.9})}]
    fig = network.pruning_animation(WIDTHS, steps)
    assert [s.label for s in fig.layout.sliders[0].steps] == ["start", "99 %"]
    assert [f.layout.title.text for f in fig.frames] == ["as loaded - 0.0 % pruned", "step 12: 99 % - 99.0 % pruned"]
    assert fig.layout.title.text == "as loaded - 0.0 % pruned"
    assert_stacked(fig)


def test_loss_panel_holds_the_whole_loss_line_below_its_top():
    events = [{"kind": "pruned", "step": 0, "loss": float("nan"), "accuracy": 0.5},
              *({"kind": "batch", "step": 50 * k, "loss": 2.3 / k, "accuracy": None} for k in range(1, 6)),
              {"kind": "epoch", "step": 250, "loss": 0.8, "accuracy": 0.9}]
    fig = figures.training_curve(events)
    low, high = fig.layout.yaxis.range
    assert low == 0 and high > 2.3  # the first, highest loss is inside the panel, not on its top edge
    assert_stacked(fig)
