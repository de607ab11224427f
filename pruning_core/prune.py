"""Magnitude pruning as a pure function: (weights, current masks, settings) -> new masks + thresholds.

``percent`` is a cumulative target: after the step exactly round(percent% x all prunable weights) are pruned.
Connections already pruned always stay pruned (masks only shrink), so they are ranked first. Then:

* ``global`` - rank |w| over all layers together: one threshold (the reference's method, a percentile).
* ``layer``  - rank |w| inside each layer: every layer loses the same percentage (largest-remainder rounding
  so the total is still exact); after another scope, a layer already pruned beyond that percentage keeps what
  it has and the rest is spread over the layers that can still lose weights.
* ``std``    - rank |w| / std(layer) over all layers: Han et al.'s "quality parameter x layer std"
  thresholds, with the one quality q that meets the target. The std is over the layer's surviving weights.
* ``sensitivity`` - Han et al.'s per-layer rates: each layer keeps c x (1 - rate/100) of its weights, with the
  rates from validation sensitivity curves (sensitivity.py, carried in ``settings.layer_rates``) and the one
  factor c that meets the target exactly; then the smallest |w| inside each layer go.

Two controls, to show why magnitude is the criterion (a classroom demonstration, not methods to use):

* ``random``  - the same share chosen uniformly at random among the still-kept weights of all layers: each
  weight gets a uniform score from a generator seeded with ``settings.mask_seed``, so a seed always gives the
  same mask (for the same shapes and current masks), and steps with one seed prune along one random order.
* ``largest`` - rank -|w| over all layers: the largest |w| go first, the opposite of magnitude pruning.

Choosing exactly k weights (not "every |w| <= threshold") keeps the target exact even when weights tie.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from .errors import UserError
from .masks import Masks, layer_of
from .settings import PruneSettings

ALREADY_PRUNED = -math.inf  # rank score of dead connections: below every other score, so they are chosen first


@dataclass(frozen=True)
class PruneResult:
    masks: Masks
    thresholds: dict[str, float]  # per layer: the largest |w| pruned there (the effective cut-off)
    threshold: float | None       # global scope: the single threshold over all layers
    quality: float | None         # std scope: the quality parameter q (threshold = q x layer std)
    # (thresholds stay "the largest |w| pruned" for every scope; for largest and random no cut-off exists)


def target_count(total: int, percent: float) -> int:
    return int(round(total * percent / 100.0))


class Unreachable(UserError):
    """A target below the current sparsity: only going back to an earlier, less pruned model can meet it."""


def check_reachable(current: Masks, percent: float) -> int:
    """How many weights ``percent`` prunes in all; ``Unreachable`` if that is fewer than ``current`` already
    has pruned (pruned weights never come back)."""
    total = sum(m.numel() for m in current.values())
    already = total - sum(int(m.sum()) for m in current.values())
    k = target_count(total, percent)
    if k < already:
        raise Unreachable(f"the model is already {100 * already / total:.2f}% pruned and pruned weights never "
                        f"come back; choose a percent >= {100 * already / total:.2f}")
    return k


def compute_masks(weights: Mapping[str, torch.Tensor], current: Masks, settings: PruneSettings) -> PruneResult:
    """New masks for ``weights`` (name -> tensor, same keys as ``current``) meeting ``settings.percent``."""
    names = list(current)
    sizes = [current[n].numel() for n in names]
    k = check_reachable(current, settings.percent)
    magnitudes = {n: weights[n].detach().abs().float() for n in names}

    if settings.scope in ("layer", "sensitivity"):
        keep = _keep_weights(settings, names) if settings.scope == "sensitivity" else [1] * len(names)
        already = [numel - int(current[n].sum()) for n, numel in zip(names, sizes)]
        counts = _split_by_layer(k, sizes, already, keep)
        new = {n: _prune_smallest(_scores(magnitudes[n], current[n]), c) for n, c in zip(names, counts)}
        quality = threshold = None
    else:
        ranked = _ranking(settings, weights, current, magnitudes)
        scores = torch.cat([_scores(ranked[n], current[n]).flatten() for n in names])
        flat = _prune_smallest(scores, k)
        cut = _largest_pruned(scores, flat)
        new = dict(zip(names, (part.view_as(current[n]) for part, n in zip(flat.split(sizes), names))))
        threshold = cut if settings.scope == "global" else None
        quality = cut if settings.scope == "std" else None

    masks = Masks(new)
    thresholds = {layer_of(n): _largest_pruned(magnitudes[n], masks[n]) for n in names}
    return PruneResult(masks=masks, thresholds=thresholds, threshold=threshold, quality=quality)


def _ranking(settings: PruneSettings, weights: Mapping[str, torch.Tensor], current: Masks,
             magnitudes: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Per layer, the score of every weight for the scopes that rank all layers together: lowest goes first."""
    if settings.scope == "largest":
        return {n: -m for n, m in magnitudes.items()}
    if settings.scope == "random":
        # Drawn on the CPU in the layers' order whatever the device, so one seed gives one mask everywhere.
        generator = torch.Generator().manual_seed(settings.mask_seed)
        return {n: torch.rand(m.shape, generator=generator).to(m.device) for n, m in magnitudes.items()}
    if settings.scope == "std":
        return {n: m / _surviving_std(weights[n], current[n]) for n, m in magnitudes.items()}
    return magnitudes


def _scores(magnitude: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return torch.where(mask, magnitude, torch.full_like(magnitude, ALREADY_PRUNED))


def _prune_smallest(scores: torch.Tensor, k: int) -> torch.Tensor:
    """A keep-mask (same shape as ``scores``) with exactly the k lowest scores pruned (stable on ties)."""
    keep = torch.ones(scores.numel(), dtype=torch.bool, device=scores.device)
    if k > 0:
        order = torch.argsort(scores.flatten(), stable=True)
        keep[order[:k]] = False
    return keep.view_as(scores)


def _largest_pruned(values: torch.Tensor, keep: torch.Tensor) -> float:
    pruned = values[~keep]
    return max(0.0, float(pruned.max())) if pruned.numel() else 0.0


def _surviving_std(weight: torch.Tensor, mask: torch.Tensor) -> float:
    # Over the surviving weights only: the zeros of earlier steps would otherwise shrink the std and with it
    # the threshold, making each later step prune less than its quality parameter says.
    alive = weight.detach().float()[mask]
    std = float(alive.std()) if alive.numel() >= 2 else 0.0
    return std if std > 0 else 1.0


def _keep_weights(settings: PruneSettings, names: list[str]) -> list[float]:
    """The sensitivity scope's relative kept fractions 1 - rate/100, in the order of ``names``."""
    if not settings.layer_rates:
        raise UserError("the sensitivity scope needs per-layer rates: lab.prune_step measures them on the "
                        "validation split (sensitivity.with_rates)")
    rates = dict(settings.layer_rates)
    missing = [layer_of(n) for n in names if layer_of(n) not in rates]
    if missing:
        raise UserError(f"the sensitivity scope needs a rate for every layer; missing: {', '.join(missing)}")
    return [1.0 - rates[layer_of(n)] / 100.0 for n in names]


def _split_by_layer(k: int, sizes: list[int], already: list[int], keep: list[float]) -> list[int]:
    """Per-layer prune counts summing exactly to k, never fewer than a layer has already lost: every layer that
    can still lose weights keeps c x keep[i] of its size, with the one factor c that leaves total - k weights
    (largest-remainder rounding), and a layer an earlier step already pruned below that keeps what it has.
    With keep all 1 every such layer ends at the same fraction; from dense masks that is k/total of each."""
    available = [size - gone for size, gone in zip(sizes, already)]
    fixed: set[int] = set()
    while True:  # water-filling: each pass fixes the layers that cannot keep their share of the rest
        free = [i for i in range(len(sizes)) if i not in fixed]
        left = sum(sizes) - k - sum(available[i] for i in fixed)
        weight = sum(keep[i] * sizes[i] for i in free)
        over = {i for i in free if available[i] * weight < left * keep[i] * sizes[i]}  # integer keep: exact
        if not over:
            break
        fixed |= over
    kept = list(available)
    shares = {i: left * keep[i] * sizes[i] / weight for i in free}
    for i in free:
        kept[i] = math.floor(shares[i])
    by_remainder = sorted(free, key=lambda i: shares[i] - kept[i], reverse=True)
    for i in by_remainder[: left - sum(kept[i] for i in free)]:
        kept[i] += 1
    return [size - k_i for size, k_i in zip(sizes, kept)]
