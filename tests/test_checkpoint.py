"""Checkpoints: round trip, plain-module compatibility, refusing unsafe or malformed files."""
from __future__ import annotations

import io
import os
import pickle

import pytest
import torch
from torch import nn

from pruning_core import checkpoint
from pruning_core.checkpoint import Checkpoint
from pruning_core.errors import UserError
from pruning_core.masks import Masks
from pruning_core.prune import compute_masks
from pruning_core.settings import PruneSettings, preset
from tests.helpers import random_model, weights_of


def pruned_checkpoint() -> Checkpoint:
    model = random_model(hidden=(30, 20))
    masks = compute_masks(weights_of(model), Masks.dense(model), PruneSettings(75)).masks
    masks.apply_(model)
    return Checkpoint(model=model, masks=masks, recipe=preset("paper"), history=[{"step": 1, "percent": 75.0}],
                      accuracy=0.5)


class PlainNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 30), nn.Linear(30, 20), nn.Linear(20, 10)


def test_round_trip_keeps_everything(tmp_path) -> None:
    original = pruned_checkpoint()
    path = checkpoint.save(original, tmp_path / "c.pt")
    loaded = checkpoint.load(str(path))
    for (name, a), b in zip(original.model.state_dict().items(), loaded.model.state_dict().values()):
        assert torch.equal(a, b), name
    assert all(torch.equal(original.masks[n], loaded.masks[n]) for n in original.masks)
    assert loaded.recipe == preset("paper")
    assert loaded.history == original.history and loaded.accuracy == 0.5


def test_file_is_plain_tensors_loadable_into_a_plain_module(tmp_path) -> None:
    path = checkpoint.save(pruned_checkpoint(), tmp_path / "c.pt")
    raw = torch.load(path, weights_only=True)
    assert raw["config"]["hidden"] == [30, 20]
    assert raw["config"]["normalize"] == {"mean": 0.1307, "std": 0.3081}
    assert set(raw["masks"]) == {"fc1.weight", "fc2.weight", "fc3.weight"}
    plain = PlainNet()
    plain.load_state_dict(raw["state_dict"])  # strict: no weight_orig / mask buffers
    for name, mask in raw["masks"].items():
        assert mask.dtype == torch.bool
        assert torch.all(dict(plain.named_parameters())[name][~mask] == 0.0)


def test_malicious_pickle_is_refused(tmp_path) -> None:
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    buffer = io.BytesIO()
    torch.save({"format": "prune-lab-checkpoint", "payload": Exploit()}, buffer)
    with pytest.raises(UserError, match="not a safe Prune Lab checkpoint"):
        checkpoint.from_bytes(buffer.getvalue())
    plain_pickle = pickle.dumps(Exploit())
    with pytest.raises(UserError):
        checkpoint.from_bytes(plain_pickle)
    assert not marker.exists()


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("masks"), "missing"),
    (lambda d: d.update(format="other"), "not a Prune Lab checkpoint"),
    (lambda d: d["state_dict"].update({"fc1.weight": torch.zeros(3, 3)}), "wrong type or shape"),
    (lambda d: d["state_dict"]["fc2.weight"].fill_(float("nan")), "NaN"),
    (lambda d: d["masks"]["fc1.weight"].fill_(False), "nonzero weights where its masks say pruned"),
    (lambda d: d["recipe"].update(lr=-1.0), "learning rate"),
])
def test_malformed_checkpoints_are_refused(mutate, message) -> None:
    data = pruned_checkpoint().to_dict()
    mutate(data)
    buffer = io.BytesIO()
    torch.save(data, buffer)
    with pytest.raises(UserError, match=message):
        checkpoint.from_bytes(buffer.getvalue())


def test_garbage_and_missing_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(UserError, match="not a safe"):
        checkpoint.from_bytes(b"this is not a checkpoint")
    with pytest.raises(UserError, match="not found"):
        checkpoint.load(str(tmp_path / "missing.pt"))


def test_builtin_baseline_resolves_and_loads() -> None:
    loaded = checkpoint.load("baseline")
    assert loaded.recipe == preset("seed")
    assert loaded.masks.sparsity() == 0.0
    assert loaded.accuracy is not None and loaded.accuracy > 0.96
