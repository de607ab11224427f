"""Checkpoints: round trip, plain-module compatibility, refusing unsafe or malformed files."""
from __future__ import annotations

import dataclasses
import io
import os
import pickle
import sys
import warnings

import pytest
import torch
from torch import nn

from pruning_core import checkpoint
from pruning_core.checkpoint import Checkpoint
from pruning_core.errors import UserError
from pruning_core.masks import Masks
from pruning_core.prune import compute_masks
from pruning_core.records import StepRecord
from pruning_core.settings import PruneSettings, preset
from tests.helpers import random_model, weights_of

LAYERS = ("fc1", "fc2", "fc3")


def step_record(**changes) -> StepRecord:
    fields = dict(step=1, percent=75.0, scope="global", threshold=0.1, quality=None,
                  thresholds={layer: 0.1 for layer in LAYERS}, accuracy_before=0.9, accuracy_after_prune=0.8,
                  accuracy_after_retrain=0.85, retrain_epochs=2, retrain_lr=0.001, retrain_curve=(0.84, 0.85),
                  nonzero={layer: 10 for layer in LAYERS}, sparsity=0.75)
    return StepRecord(**{**fields, **changes})


def pruned_checkpoint() -> Checkpoint:
    model = random_model(hidden=(30, 20))
    masks = compute_masks(weights_of(model), Masks.dense(model), PruneSettings(75)).masks
    masks.apply_(model)
    return Checkpoint(model=model, masks=masks, recipe=preset("paper"), history=[step_record()], accuracy=0.5)


def saved(data: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(data, buffer)
    return buffer.getvalue()


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
    with pytest.raises(UserError, match=message):
        checkpoint.from_bytes(saved(data))


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


def step_dict(**changes) -> dict:
    return {**step_record().to_dict(), **changes}


@pytest.mark.parametrize("history, message", [
    ([{"step": 1, "percent": 75.0}], "lacks the fields scope"),      # once crashed the Prune page (KeyError)
    ([step_dict(extra="x")], "unknown fields"),
    ([step_dict(accuracy_after_retrain=5.0)], "accuracy_after_retrain must be in"),  # once shown as "500 %"
    ([step_dict(percent=100.0)], "percent must be in"),
    ([step_dict(percent=float("nan"))], "percent must be a finite number"),
    ([step_dict(percent="90")], "percent must be a finite number"),
    ([step_dict(step=True)], "step must be an integer"),
    ([step_dict(step=2)], "numbered 2"),
    ([step_dict(scope="magic")], "scope must be one of"),
    ([step_dict(nonzero={"fc1": -1, "fc2": 1, "fc3": 1})], "nonzero entry must be an integer"),
    ([step_dict(nonzero={"fc1": 1.5, "fc2": 1, "fc3": 1})], "nonzero entry must be an integer"),
    ([step_dict(thresholds={"fc1": 0.1})], "other layers"),
    ([step_dict(retrain_curve=[0.5] * 3)], "more than its 2 epochs"),
    ([step_dict(retrain_curve=[2.0, 0.5])], "retrain_curve entry"),
    ([step_dict(threshold=-0.1)], "threshold must be in"),
    (["not a record"], "must be a dictionary"),
    ({"step": 1}, "history must be a list"),
    ([step_dict(step=i + 1) for i in range(1001)], "at most 1000"),
])
def test_hostile_history_is_refused_in_one_line(history, message) -> None:
    data = pruned_checkpoint().to_dict()
    data["history"] = history
    with pytest.raises(UserError, match=message) as caught:
        checkpoint.from_bytes(saved(data))
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 300


@pytest.mark.parametrize("field, value, message", [
    ("accuracy", 5.0, "accuracy must be in"),
    ("accuracy", float("nan"), "accuracy must be a finite"),
    ("accuracy", "0.9", "accuracy must be a finite"),
    ("config", {"hidden": [30, 20], "evil": 1}, "config must hold"),
    ("config", {"hidden": [30, 20], "normalize": {"mean": 0.5, "std": 0.5}}, "normalized"),
    ("recipe", {**dataclasses.asdict(preset("paper")), "preset": ["x"]}, "recipe preset"),
    ("recipe", {**dataclasses.asdict(preset("paper")), "extra": 1}, "unknown fields"),
    ("recipe", "paper", "recipe must be a dictionary"),
    ("padding", "x" * 58_000_000, "structure unpacks to 55.3 MB"),  # refused before it is unpickled
    ("padding", "x" * 5_000_000, "string of 5,000,000 characters"),
    ("padding", list(range(300_000)), "more than 200,000 entries"),
    ("padding", b"bytes", "only plain data"),
])
def test_hostile_fields_are_refused(field, value, message) -> None:
    data = pruned_checkpoint().to_dict()
    data[field] = value
    with pytest.raises(UserError, match=message) as caught:
        checkpoint.from_bytes(saved(data))
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 300


def test_a_5000_deep_nesting_is_a_user_error_not_a_recursion_error() -> None:
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    data = pruned_checkpoint().to_dict()
    for where in (("history",), ("recipe", "lr"), ("config", "hidden")):
        poisoned = copy_with(data, where, deep)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(30_000)  # only so that torch.save can write the attacker's file
        try:
            payload = saved(poisoned)
        finally:
            sys.setrecursionlimit(limit)
        with pytest.raises(UserError, match="nested deeper"):
            checkpoint.from_bytes(payload)


def copy_with(data: dict, where: tuple[str, ...], value: object) -> dict:
    return {**data, where[0]: value if len(where) == 1 else {**data[where[0]], where[1]: value}}


@pytest.mark.parametrize("convert", [torch.Tensor.to_sparse, torch.Tensor.to_sparse_csr])
@pytest.mark.parametrize("where", ["state_dict", "masks"])
def test_sparse_tensors_are_refused(convert, where) -> None:
    data = pruned_checkpoint().to_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's beta-feature warning for CSR
        data[where]["fc2.weight"] = convert(data[where]["fc2.weight"])
        payload = saved(data)
    with pytest.raises(UserError, match="only dense tensors"):
        checkpoint.from_bytes(payload)


@pytest.mark.parametrize("dtype", [torch.int64, torch.complex64, torch.uint8])
def test_non_float_tensors_are_refused(dtype) -> None:
    data = pruned_checkpoint().to_dict()
    data["state_dict"]["fc3.bias"] = data["state_dict"]["fc3.bias"].to(dtype)
    with pytest.raises(UserError, match="only float and bool tensors"):
        checkpoint.from_bytes(saved(data))


def test_records_round_trip_through_plain_dicts() -> None:
    record = step_record()
    assert StepRecord.from_dict(record.to_dict()) == record
    assert list(record.to_dict()) == ["step", "percent", "scope", "threshold", "quality", "thresholds",
                                      "accuracy_before", "accuracy_after_prune", "accuracy_after_retrain",
                                      "retrain_epochs", "retrain_lr", "retrain_curve", "nonzero", "sparsity"]


@pytest.mark.parametrize("name", ["baseline", "baseline-paper", "paper-92", "paper-98", "paper-68x", "lenet5-92"])
def test_shipped_checkpoints_load_and_write_back_the_same_history(name) -> None:
    raw = torch.load(checkpoint.resolve(name), weights_only=True)
    loaded = checkpoint.load(name)
    assert all(isinstance(step, StepRecord) for step in loaded.history)
    assert loaded.to_dict()["history"] == raw["history"]
