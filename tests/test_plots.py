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
    assert "117,600<br>of 235,200" in texts and "50.0 % kept" in texts


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
    assert any("10.0 % kept" in a.text for a in fig.frames[1].layout.annotations)
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
