"""Pruning: exact targets, the global ordering, per-layer and std scopes, masks that only shrink."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings, strategies as st

from pruning_core.errors import UserError
from pruning_core.masks import Masks
from pruning_core.prune import compute_masks, target_count
from pruning_core.settings import PRUNE_SCOPES, PruneSettings
from tests.helpers import random_model, weights_of

MODEL = random_model(hidden=(40, 20))
WEIGHTS = weights_of(MODEL)
TOTAL = sum(w.numel() for w in WEIGHTS.values())


RATES = (("fc1", 90.0), ("fc2", 80.0), ("fc3", 50.0))  # per-layer rates for the sensitivity scope


def step(percent: float, scope: str = "global") -> PruneSettings:
    """A prune step; a sensitivity one carries fixed per-layer rates (measuring them needs a trained model)."""
    return PruneSettings(percent, scope, layer_rates=RATES if scope == "sensitivity" else ())


def pruned_count(masks: Masks) -> int:
    return sum(int((~m).sum()) for m in masks.values())


@settings(max_examples=40, deadline=None)
@given(percent=st.floats(0, 99.99), scope=st.sampled_from(PRUNE_SCOPES))
def test_target_is_met_exactly(percent: float, scope: str) -> None:
    result = compute_masks(WEIGHTS, Masks.dense(MODEL), step(percent, scope))
    assert abs(pruned_count(result.masks) - TOTAL * percent / 100) <= 1


def test_global_keeps_every_larger_weight() -> None:
    result = compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(70, "global"))
    kept = torch.cat([w.detach().abs()[result.masks[n]] for n, w in WEIGHTS.items()])
    pruned = torch.cat([w.detach().abs()[~result.masks[n]] for n, w in WEIGHTS.items()])
    assert kept.min() >= pruned.max()
    assert result.threshold == pytest.approx(float(pruned.max()))
    # The threshold equals the 70th percentile of |w| over all layers (the reference's definition).
    assert result.threshold == pytest.approx(float(torch.cat([w.detach().abs().flatten() for w in WEIGHTS.values()])
                                                   .sort().values[target_count(TOTAL, 70) - 1]))


def test_layer_scope_prunes_the_same_share_of_every_layer() -> None:
    result = compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(60, "layer"))
    for name, mask in result.masks.items():
        assert abs(int((~mask).sum()) - 0.6 * mask.numel()) <= 1, name
        kept, gone = WEIGHTS[name].detach().abs()[mask], WEIGHTS[name].detach().abs()[~mask]
        assert kept.min() >= gone.max()


def test_std_scope_uses_one_quality_times_each_layer_std() -> None:
    result = compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(50, "std"))
    assert result.quality is not None and result.quality > 0
    for name, mask in result.masks.items():
        w = WEIGHTS[name].detach()
        cut = result.quality * float(w.std())
        assert w.abs()[~mask].max() <= cut + 1e-6
        assert w.abs()[mask].min() >= cut - 1e-6


@pytest.mark.parametrize("scope", PRUNE_SCOPES)
def test_masks_only_shrink_across_steps(scope: str) -> None:
    masks = Masks.dense(MODEL)
    model = random_model(hidden=(40, 20))
    for percent in (10, 30, 30, 55, 80, 95):
        weights = weights_of(model)
        new = compute_masks(weights, masks, step(percent, scope)).masks
        assert new.is_within(masks)
        assert abs(pruned_count(new) - TOTAL * percent / 100) <= 1
        new.apply_(model)
        with torch.no_grad():  # weights move between steps, as they do during retraining
            for name, w in weights_of(model).items():
                w.add_(torch.randn_like(w) * 0.05 * new[name])
        masks = new


def test_lower_target_than_current_sparsity_is_refused() -> None:
    masks = compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(50)).masks
    with pytest.raises(UserError, match="already 50.00% pruned"):
        compute_masks(WEIGHTS, masks, PruneSettings(40))


@pytest.mark.parametrize("bad", [-1, 100, 100.5, 120, float("nan"), float("inf"), "90"])
def test_invalid_percent_is_refused(bad: object) -> None:
    with pytest.raises(UserError):
        PruneSettings(bad)  # type: ignore[arg-type]


def test_masks_are_validated() -> None:
    with pytest.raises(UserError, match="bool"):
        Masks({"fc1.weight": torch.ones(3, 3)})
    wrong_shape = Masks({n: torch.ones(2, 2, dtype=torch.bool) for n in WEIGHTS})
    with pytest.raises(UserError, match="shape"):
        wrong_shape.check_fits(MODEL)


def test_layer_scope_after_global_meets_the_target_exactly() -> None:
    # Global 90 % then per-layer 90.5 % once left 93.93 % pruned: a layer past its share pushed the total up.
    masks = compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(90, "global")).masks
    result = compute_masks(WEIGHTS, masks, PruneSettings(90.5, "layer")).masks
    assert pruned_count(result) == target_count(TOTAL, 90.5)
    assert result.is_within(masks)


def random_masks(seed: int, fractions: list[float]) -> Masks:
    """Masks with a different random share of each layer already pruned (not what any scope would make)."""
    generator = torch.Generator().manual_seed(seed)
    return Masks({name: torch.rand(w.shape, generator=generator) >= fraction
                  for (name, w), fraction in zip(WEIGHTS.items(), fractions)})


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), fractions=st.lists(st.floats(0, 0.99), min_size=3, max_size=3),
       steps=st.lists(st.tuples(st.floats(0, 99.9), st.sampled_from(PRUNE_SCOPES)), min_size=1, max_size=6))
def test_any_sequence_of_mixed_scopes_meets_every_target_exactly(seed, fractions, steps) -> None:
    masks = random_masks(seed, fractions)
    model = random_model(hidden=(40, 20), seed=seed)
    weights = weights_of(model)
    for percent, scope in steps:
        already = {n: int((~m).sum()) for n, m in masks.items()}
        if target_count(TOTAL, percent) < sum(already.values()):
            with pytest.raises(UserError, match="already"):
                compute_masks(weights, masks, step(percent, scope))
            continue
        new = compute_masks(weights, masks, step(percent, scope)).masks
        assert pruned_count(new) == target_count(TOTAL, percent)
        assert new.is_within(masks)
        if scope == "layer":  # the layers that lost weights now share one fraction; the others were past it
            lost = {n: int((~m).sum()) / m.numel() for n, m in new.items()}
            gained = [n for n in new if int((~new[n]).sum()) > already[n]]
            slack = {n: 1 / new[n].numel() for n in new}
            for a in gained:
                assert all(abs(lost[a] - lost[b]) <= slack[a] + slack[b] for b in gained)
                assert all(lost[b] >= lost[a] - slack[a] - slack[b] for b in new if b not in gained)
        new.apply_(model)
        with torch.no_grad():
            for name, w in weights.items():
                w.add_(torch.randn_like(w) * 0.05 * new[name])
        masks = new


def all_magnitudes(weights: dict[str, torch.Tensor], masks: Masks | None = None, kept: bool = True) -> torch.Tensor:
    """|w| of every weight (or of the kept / pruned ones under ``masks``), all layers in one sorted vector."""
    parts = [w.detach().abs()[masks[n] if kept else ~masks[n]] if masks else w.detach().abs().flatten()
             for n, w in weights.items()]
    return torch.cat(parts).sort().values


def test_largest_scope_keeps_exactly_the_smallest_weights() -> None:
    result = compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(50, "largest"))
    k = target_count(TOTAL, 50)
    assert torch.equal(all_magnitudes(WEIGHTS, result.masks), all_magnitudes(WEIGHTS)[: TOTAL - k])
    assert pruned_count(result.masks) == k and result.threshold is None and result.quality is None


def test_random_scope_is_exact_seed_stable_and_blind_to_the_weights() -> None:
    def draw(seed: int, weights=WEIGHTS) -> Masks:
        return compute_masks(weights, Masks.dense(MODEL), PruneSettings(50, "random", mask_seed=seed)).masks

    first = draw(7)
    assert pruned_count(first) == target_count(TOTAL, 50)
    assert all(torch.equal(first[n], draw(7)[n]) for n in first)             # same seed, same mask
    assert any(not torch.equal(first[n], draw(8)[n]) for n in first)         # another seed, another mask
    other_weights = weights_of(random_model(hidden=(40, 20), seed=3))
    assert all(torch.equal(first[n], draw(7, other_weights)[n]) for n in first)  # |w| plays no part
    for name, mask in first.items():  # uniform over all layers: each loses about half
        assert abs(float((~mask).float().mean()) - 0.5) < 0.1, name
    # Neither the smallest nor the largest: the pruned and the kept |w| overlap.
    assert all_magnitudes(WEIGHTS, first, kept=False).max() > all_magnitudes(WEIGHTS, first).min()


@pytest.mark.parametrize("scope", ["random", "largest"])
def test_controls_compose_with_an_earlier_mask(scope: str) -> None:
    earlier = compute_masks(WEIGHTS, Masks.dense(MODEL), PruneSettings(30, "global")).masks
    new = compute_masks(WEIGHTS, earlier, PruneSettings(60, scope, mask_seed=1)).masks
    assert new.is_within(earlier) and pruned_count(new) == target_count(TOTAL, 60)
    if scope == "largest":  # the 30 % smallest stay pruned, and the next 30 % are the largest of the rest
        survivors = all_magnitudes(WEIGHTS, earlier)
        assert torch.equal(all_magnitudes(WEIGHTS, new), survivors[: TOTAL - target_count(TOTAL, 60)])
