"""Magnitude pruning as a pure function: (weights, current masks, settings) -> new masks + thresholds.

``percent`` is a cumulative target: after the step exactly round(percent% x all prunable weights) are pruned.
Connections already pruned always stay pruned (masks only shrink), so they are ranked first. Then:

* ``global`` - rank |w| over all layers together: one threshold (the reference's method, a percentile).
* ``layer``  - rank |w| inside each layer: every layer loses the same percentage (largest-remainder rounding
  so the total is still exact); after another scope, a layer already pruned beyond that percentage keeps what
  it has and the rest is spread over the layers that can still lose weights.
* ``std``    - rank |w| / std(layer) over all layers: Han et al.'s "quality parameter x layer std"
  thresholds, with the one quality q that meets the target. The std is over the layer's surviving weights.

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

ALREADY_PRUNED = -1.0  # rank score of dead connections: below every |w| >= 0, so they are chosen first


@dataclass(frozen=True)
class PruneResult:
    masks: Masks
    thresholds: dict[str, float]  # per layer: the largest |w| pruned there (the effective cut-off)
    threshold: float | None       # global scope: the single threshold over all layers
    quality: float | None         # std scope: the quality parameter q (threshold = q x layer std)


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

    if settings.scope == "layer":
        counts = _split_by_layer(k, sizes, [numel - int(current[n].sum()) for n, numel in zip(names, sizes)])
        new = {n: _prune_smallest(_scores(magnitudes[n], current[n]), c) for n, c in zip(names, counts)}
        quality = threshold = None
    else:
        scale = {n: _surviving_std(weights[n], current[n]) if settings.scope == "std" else 1.0 for n in names}
        scores = torch.cat([_scores(magnitudes[n] / scale[n], current[n]).flatten() for n in names])
        flat = _prune_smallest(scores, k)
        cut = _largest_pruned(scores, flat)
        new = dict(zip(names, (part.view_as(current[n]) for part, n in zip(flat.split(sizes), names))))
        threshold = cut if settings.scope == "global" else None
        quality = cut if settings.scope == "std" else None

    masks = Masks(new)
    thresholds = {layer_of(n): _largest_pruned(magnitudes[n], masks[n]) for n in names}
    return PruneResult(masks=masks, thresholds=thresholds, threshold=threshold, quality=quality)


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


def _split_by_layer(k: int, sizes: list[int], already: list[int]) -> list[int]:
    """Per-layer prune counts summing exactly to k, never fewer than a layer has already lost: every layer that
    can still lose weights ends at the same fraction (largest-remainder rounding), and a layer an earlier step
    (say, a global one) already pruned beyond that fraction keeps what it has. From dense masks this is the
    same fraction k/total of every layer."""
    fixed: set[int] = set()
    while True:  # water-filling: each pass fixes the layers already beyond the common fraction of the rest
        free = [i for i in range(len(sizes)) if i not in fixed]
        left, free_total = k - sum(already[i] for i in fixed), sum(sizes[i] for i in free)
        over = {i for i in free if already[i] * free_total > left * sizes[i]}  # integers: exact
        if not over:
            break
        fixed |= over
    counts = list(already)
    shares = {i: left * sizes[i] / free_total for i in free}
    for i in free:
        counts[i] = math.floor(shares[i])
    by_remainder = sorted(free, key=lambda i: shares[i] - counts[i], reverse=True)
    for i in by_remainder[: left - sum(counts[i] for i in free)]:
        counts[i] += 1
    return counts
