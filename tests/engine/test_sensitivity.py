"""The sensitivity scope: exact targets, kept fractions in the rule's ratios, the rule itself, validation only."""
from __future__ import annotations

import json

import pytest
import torch

from pruning_core import lab, sensitivity
from pruning_core.cli import main
from pruning_core.data import load_mnist
from pruning_core.errors import UserError
from pruning_core.masks import Masks
from pruning_core.prune import compute_masks, target_count
from pruning_core.settings import PruneSettings, preset
from tests.helpers import random_model, tiny_mnist, weights_of

MODEL = random_model(hidden=(40, 20))
WEIGHTS = weights_of(MODEL)
SIZES = {n: w.numel() for n, w in WEIGHTS.items()}
TOTAL = sum(SIZES.values())
RATES = (("fc1", 95.0), ("fc2", 80.0), ("fc3", 20.0))


@pytest.mark.parametrize("percent", [10, 50, 77.7, 92, 98.6])
def test_the_target_is_met_to_the_weight_and_the_kept_fractions_keep_the_rules_ratios(percent: float) -> None:
    masks = compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(percent, "sensitivity", layer_rates=RATES)).masks
    assert sum(int((~m).sum()) for m in masks.values()) == target_count(TOTAL, percent)
    kept = {n.split(".")[0]: int(m.sum()) / m.numel() for n, m in masks.items()}
    factor = kept["fc1"] / 0.05
    for layer, rate in RATES:  # kept = c x (1 - rate), one c for all layers, at most the whole layer
        expected = min(1.0, factor * (1 - rate / 100))  # (up to one weight of rounding)
        assert kept[layer] == pytest.approx(expected, abs=1.5 / SIZES[f"{layer}.weight"])


def test_each_layer_prunes_its_own_smallest_weights() -> None:
    result = compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(97, "sensitivity", layer_rates=RATES))
    for name, mask in result.masks.items():
        magnitude = WEIGHTS[name].detach().abs()
        assert magnitude[mask].min() >= magnitude[~mask].max()
        assert result.thresholds[name.split(".")[0]] == pytest.approx(float(magnitude[~mask].max()))


def test_a_layer_already_past_its_share_keeps_what_it_has_and_the_total_stays_exact() -> None:
    # fc3 already 90 % pruned by hand: a 60 % sensitivity step would keep 80 % of it, which it no longer has.
    masks = Masks({n: (torch.rand(w.shape, generator=torch.Generator().manual_seed(1)) >= 0.9) if n == "fc3.weight"
                   else torch.ones_like(w, dtype=torch.bool) for n, w in WEIGHTS.items()})
    new = compute_masks(WEIGHTS, masks, PruneSettings(60, "sensitivity", layer_rates=RATES)).masks
    assert new.is_within(masks)
    assert torch.equal(new["fc3.weight"], masks["fc3.weight"])
    assert sum(int((~m).sum()) for m in new.values()) == target_count(TOTAL, 60)


def test_without_rates_or_with_a_missing_layer_the_mask_computation_refuses() -> None:
    with pytest.raises(UserError, match="needs per-layer rates"):
        compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(50, "sensitivity"))
    with pytest.raises(UserError, match="missing: fc3"):
        compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(50, "sensitivity", layer_rates=RATES[:2]))


@pytest.mark.parametrize("bad", [{"layer_rates": (("fc1", 100.0),)}, {"budget": -1.0}, {"layer_rates": ("fc1",)},
                                 {"layer_rates": (("fc1", 50.0),), "scope": "global"}])
def test_bad_sensitivity_settings_are_refused(bad: dict) -> None:
    with pytest.raises(UserError):
        PruneSettings(**{"percent": 50, "scope": "sensitivity", **bad})


def test_the_rule_takes_the_largest_rate_before_the_first_one_over_budget() -> None:
    grid = (10.0, 50.0, 90.0, 99.0)
    curves = {"fc1": [0.98, 0.975, 0.97, 0.90],   # drops 0, 0.5, 1.0, 8.0 points
              "fc2": [0.98, 0.96, 0.979, 0.979],  # 50 % costs 2 points: 90 % is not taken though it recovers
              "fc3": [0.95, 0.95, 0.95, 0.95]}    # even 10 % costs 3 points
    rates = sensitivity.choose_rates(curves, 0.98, budget=1.0, grid=grid)
    assert rates == {"fc1": 90.0, "fc2": 10.0, "fc3": 0.0}
    assert sensitivity.choose_rates(curves, 0.98, budget=10.0, grid=grid)["fc1"] == 99.0


def test_the_curves_are_measured_on_the_last_training_images_never_on_test(monkeypatch) -> None:
    mnist = load_mnist("cpu")
    split = sensitivity.validation_split()
    assert torch.equal(split.labels, mnist.train.labels[-sensitivity.VALIDATION_IMAGES:])
    seen = []
    monkeypatch.setattr(sensitivity, "evaluate", lambda model, data: seen.append(data) or 0.5)
    ckpt = lab.train_baseline(preset("seed", epochs=0), device="cpu", data=tiny_mnist())
    rates, measured = sensitivity.measure_rates(ckpt, budget=1.0)
    assert len(seen) == 1 + 3 * len(sensitivity.GRID)
    assert all(torch.equal(s.labels, split.labels) for s in seen)
    assert not any(s.labels.numel() == mnist.test.labels.numel() for s in seen)
    assert rates == {"fc1": 99.0, "fc2": 99.0, "fc3": 99.0}  # a flat curve loses nothing at any rate
    assert measured["split"] == "last 5000 training"


def test_a_schedule_measures_the_rates_once_and_holds_them(monkeypatch) -> None:
    calls = []

    def fake_rates(checkpoint, budget):
        calls.append(budget)
        return {"fc1": 90.0, "fc2": 80.0, "fc3": 50.0}, {}
    monkeypatch.setattr(sensitivity, "measure_rates", fake_rates)
    data = tiny_mnist()
    start = lab.train_baseline(preset("seed", epochs=0), device="cpu", data=data)
    steps = list(lab.schedule(start, [50, 80], "sensitivity", retrain_epochs=0, data=data))
    assert calls == [1.0]
    last = steps[-1].masks
    kept = {n.split(".")[0]: int(m.sum()) / m.numel() for n, m in last.items()}
    assert kept["fc3"] / kept["fc1"] == pytest.approx(5, rel=0.01)  # (1 - 0.5) / (1 - 0.9)
    assert steps[-1].history[-1].scope == "sensitivity"
    assert sum(int((~m).sum()) for m in last.values()) == target_count(sum(m.numel() for m in last.values()), 80)


def test_the_cli_prunes_with_the_sensitivity_scope_to_the_exact_target(capsys, tmp_path) -> None:
    assert main(["prune", "--checkpoint", "baseline-paper", "--percent", "92", "--scope", "sensitivity",
                 "--retrain-epochs", "0", "--out", str(tmp_path / "s.pt"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["nonzero"] == result["total"] - target_count(result["total"], 92)
    kept = {layer: c["nonzero"] / c["total"] for layer, c in result["layers"].items()}
    assert len({round(k, 2) for k in kept.values()}) > 1  # per-layer rates, not one share for all
