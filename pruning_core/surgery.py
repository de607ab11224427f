"""Dead-neuron removal: physically shrink the hidden layers of a pruned LeNet-300-100.

Han et al. (2015): "neurons with zero input connections or zero output connections may be safely pruned".
With biases, "safely" needs care: a hidden neuron with no inputs still outputs the constant relu(bias), so its
contribution is folded into the next layer's bias before it is removed. A neuron with no outputs contributes
nothing and goes as it is. Removing neurons can orphan others, so this repeats until nothing changes. The
result is a smaller *dense* model whose outputs are identical (up to float rounding) to the pruned one.
"""
from __future__ import annotations

import torch
from torch import nn

from .checkpoint import Checkpoint
from .errors import UserError
from .masks import Masks
from .models import LeNet300100
from .settings import ModelSettings


def shrink(checkpoint: Checkpoint) -> tuple[Checkpoint, dict]:
    """A copy of ``checkpoint`` without dead hidden neurons, and a report of what was removed."""
    if checkpoint.model.settings.arch != "lenet-300-100":
        raise UserError("dead-neuron removal is implemented for LeNet-300-100 only")
    weights = {k: v.detach().clone().cpu() for k, v in checkpoint.model.state_dict().items()}
    masks = {k: v.detach().clone().cpu() for k, v in checkpoint.masks.items()}
    before = {layer: weights[f"{layer}.weight"].shape[0] for layer in ("fc1", "fc2")}
    changed = True
    while changed:
        changed = False
        for layer, following in (("fc1", "fc2"), ("fc2", "fc3")):
            keep = live_neurons(masks[f"{layer}.weight"], masks[f"{following}.weight"])
            if keep.all():
                continue
            _fold_constant_neurons(weights, masks, layer, following, keep)
            _drop_neurons(weights, masks, layer, following, keep)
            changed = True
    model = LeNet300100(ModelSettings(hidden=(weights["fc1.weight"].shape[0], weights["fc2.weight"].shape[0])))
    model.load_state_dict(weights)
    device = next(checkpoint.model.parameters()).device
    shrunk = Checkpoint(model=model.to(device), masks=Masks(masks).to(device), recipe=checkpoint.recipe,
                        history=list(checkpoint.history), accuracy=checkpoint.accuracy, origin=checkpoint.origin)
    after = {layer: weights[f"{layer}.weight"].shape[0] for layer in ("fc1", "fc2")}
    return shrunk, {"before": before, "after": after,
                    "removed": {layer: before[layer] - after[layer] for layer in before}}


def live_neurons(incoming: torch.Tensor, outgoing: torch.Tensor) -> torch.Tensor:
    """Neurons with at least one input and one output connection (always at least one neuron kept, since a
    layer of width 0 is not a LeNet any more)."""
    keep = incoming.any(dim=1) & outgoing.any(dim=0)
    if not keep.any():
        keep[0] = True
    return keep


def _fold_constant_neurons(weights: dict, masks: dict, layer: str, following: str, keep: torch.Tensor) -> None:
    """A removed neuron with outputs but no inputs emits relu(bias): add that into the next layer's bias."""
    constant = ~masks[f"{layer}.weight"].any(dim=1) & ~keep
    if constant.any():
        emitted = torch.relu(weights[f"{layer}.bias"][constant])
        weights[f"{following}.bias"] += weights[f"{following}.weight"][:, constant] @ emitted


def _drop_neurons(weights: dict, masks: dict, layer: str, following: str, keep: torch.Tensor) -> None:
    for store in (weights, masks):
        store[f"{layer}.weight"] = store[f"{layer}.weight"][keep]
        store[f"{following}.weight"] = store[f"{following}.weight"][:, keep]
    weights[f"{layer}.bias"] = weights[f"{layer}.bias"][keep]


def parameter_count(model: nn.Module) -> int:
    """All parameters, biases included."""
    return sum(p.numel() for p in model.parameters())
