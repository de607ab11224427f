"""Pruning by hand, one fc1 neuron at a time: a student's own idea tried against the method.

Removing a hidden neuron of LeNet-300-100 prunes all of its connections: its fc1 row (the 784 inputs) and its
fc2 column (its outputs to the second hidden layer). Nothing else changes, and no retraining follows, so the
step's accuracy is exactly what the removal costs. The mask is a pure function (``without_neurons``);
``remove`` makes the prune step, recorded in the history like any other with scope ``hand`` and the neurons
named. "The neurons with the fewest connections left" ranks the neurons dead-neuron removal would keep
(``surgery.live_neurons``): a neuron already dead has nothing left to remove.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from .checkpoint import Checkpoint
from .data import Mnist
from .errors import UserError
from .masks import Masks
from .records import StepRecord
from .settings import HAND_SCOPE
from .surgery import live_neurons
from .train import evaluate

LAYER, FOLLOWING = "fc1.weight", "fc2.weight"  # the neuron's incoming rows and its outgoing columns


def check_neurons(masks: Masks, neurons: Sequence[int]) -> list[int]:
    """The neurons as a sorted list without repeats; a UserError for none, or one outside fc1."""
    width = masks[LAYER].shape[0]
    chosen = sorted(set(neurons))
    if not chosen:
        raise UserError("choose at least one neuron to remove")
    if any(isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < width for n in chosen):
        raise UserError(f"an fc1 neuron is a whole number from 0 to {width - 1}")
    return chosen


def without_neurons(masks: Masks, neurons: Sequence[int]) -> Masks:
    """``masks`` with every connection of the fc1 ``neurons`` pruned: their fc1 rows and fc2 columns."""
    chosen = check_neurons(masks, neurons)
    incoming, outgoing = masks[LAYER].clone(), masks[FOLLOWING].clone()
    incoming[chosen, :] = False
    outgoing[:, chosen] = False
    return Masks({**masks, LAYER: incoming, FOLLOWING: outgoing})


def connections(masks: Masks, neuron: int) -> dict[str, int]:
    """How many of the fc1 ``neuron``'s connections are kept: ``inputs`` (of 784) and ``outputs`` (to fc2)."""
    check_neurons(masks, [neuron])
    return {"inputs": int(masks[LAYER][neuron].sum()), "outputs": int(masks[FOLLOWING][:, neuron].sum())}


def fewest_connections(masks: Masks, count: int) -> list[int]:
    """The ``count`` live fc1 neurons (some inputs and some outputs left) with the fewest kept connections in
    all, ties to the lower index; fewer when fewer are live."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise UserError("the number of neurons to remove is a whole number of at least 1")
    kept = masks[LAYER].sum(dim=1) + masks[FOLLOWING].sum(dim=0)
    # (live_neurons keeps one neuron even when none is live: with connections left it still has some to remove)
    candidates = torch.nonzero(live_neurons(masks[LAYER], masks[FOLLOWING]) & (kept > 0)).flatten().tolist()
    return sorted(candidates, key=lambda n: (int(kept[n]), n))[:count]


def check_removal(checkpoint: Checkpoint, neurons: Sequence[int]) -> list[int]:
    """The one rule for a hand-made step, checked before any work: LeNet-300-100, valid fc1 neurons (returned
    sorted), and at least one of their connections still kept; anything else is a UserError."""
    if checkpoint.model.settings.arch != "lenet-300-100":
        raise UserError("removing neurons by hand is implemented for LeNet-300-100 only")
    chosen = check_neurons(checkpoint.masks, neurons)
    if without_neurons(checkpoint.masks, chosen).kept() == checkpoint.masks.kept():
        raise UserError("those neurons have no connections left to remove")
    return chosen


def remove(checkpoint: Checkpoint, neurons: Sequence[int], data: Mnist) -> Checkpoint:
    """A new checkpoint without the fc1 ``neurons`` (the input is not changed): one prune step, no retraining,
    measured on ``data.test`` before and after. A UserError when it would prune nothing new."""
    chosen = check_removal(checkpoint, neurons)
    masks = without_neurons(checkpoint.masks, chosen)
    result = checkpoint.copy()
    before = evaluate(result.model, data.test)
    weights = {name: param.detach() for name, param in result.model.named_parameters()}
    pruned_now = {name: checkpoint.masks[name] & ~masks[name] for name in masks}
    result.masks = masks
    result.masks.apply_(result.model)
    after = evaluate(result.model, data.test)
    result.accuracy = after
    kept, sizes = masks.kept(), masks.sizes()
    sparsity = 1.0 - sum(kept.values()) / sum(sizes.values())
    result.history.append(StepRecord(
        step=len(checkpoint.history) + 1, percent=round(100.0 * sparsity, 2), scope=HAND_SCOPE, threshold=None,
        quality=None, thresholds={name.rsplit(".", 1)[0]: _largest(weights[name], pruned_now[name]) for name in masks},
        accuracy_before=before, accuracy_after_prune=after, accuracy_after_retrain=after, retrain_epochs=0,
        retrain_lr=checkpoint.recipe.for_retraining(0, None).lr, retrain_curve=(), nonzero=kept,
        sparsity=sparsity, neurons=tuple(chosen)))
    return result


def _largest(weight: torch.Tensor, pruned: torch.Tensor) -> float:
    """The largest |w| this step pruned in a layer (0.0 where it pruned none)."""
    return float(weight[pruned].abs().max()) if pruned.any() else 0.0
