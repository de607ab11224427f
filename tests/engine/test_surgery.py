"""Dead-neuron removal gives a smaller dense model with the same outputs."""
from __future__ import annotations

import torch

from pruning_core import checkpoint, lab
from pruning_core.data import load_mnist
from pruning_core.settings import PruneSettings
from pruning_core.surgery import parameter_count, shrink


def test_shrunk_model_is_smaller_and_computes_the_same_function() -> None:
    pruned = lab.prune_step(checkpoint.load("baseline"), PruneSettings(99.5, "global"), retrain_epochs=0)
    with torch.no_grad():  # a neuron with no inputs but a positive bias: its constant must be folded forward
        dead_input = int((~pruned.masks["fc1.weight"].any(dim=1)).nonzero()[0])
        pruned.model.fc1.bias[dead_input] = 0.7
    shrunk, report = shrink(pruned)
    assert report["after"]["fc1"] < report["before"]["fc1"] == 300
    assert report["after"]["fc2"] <= report["before"]["fc2"] == 100
    assert shrunk.model.fc1.weight.shape == (report["after"]["fc1"], 784)
    assert parameter_count(shrunk.model) < parameter_count(pruned.model)
    # Connections into a neuron with no outputs (or out of one with no inputs) are useless and go with it.
    assert sum(shrunk.masks.kept().values()) < sum(pruned.masks.kept().values())
    images = load_mnist("cpu").test.images
    with torch.no_grad():
        torch.testing.assert_close(shrunk.model(images), pruned.model(images), rtol=1e-5, atol=1e-5)


def test_dense_model_is_unchanged() -> None:
    baseline = checkpoint.load("baseline")
    shrunk, report = shrink(baseline)
    assert report["removed"] == {"fc1": 0, "fc2": 0}
    assert torch.equal(shrunk.model.fc1.weight, baseline.model.fc1.weight)
