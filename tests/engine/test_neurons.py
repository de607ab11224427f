"""Removing fc1 neurons by hand: exactly their connections go, the step is recorded, and the records that
carry the new fields (hand-removed neurons, the random scope's seed) survive a save and load."""
from __future__ import annotations

import pytest
import torch

from pruning_core import checkpoint, lab, neurons
from pruning_core.errors import UserError
from pruning_core.records import StepRecord
from pruning_core.settings import PruneSettings
from tests.helpers import tiny_mnist


def test_without_neurons_prunes_their_fc1_rows_and_fc2_columns_and_nothing_else(baseline) -> None:
    masks = lab.prune_step(baseline, PruneSettings(60, "global"), retrain_epochs=0, data=tiny_mnist()).masks
    removed = neurons.without_neurons(masks, [17, 3, 17])
    for name in masks:
        changed = masks[name] != removed[name]
        if name == "fc1.weight":
            assert not removed[name][[3, 17]].any()
            assert torch.equal(changed.any(dim=1).nonzero().flatten(), torch.tensor([3, 17]))
        elif name == "fc2.weight":
            assert not removed[name][:, [3, 17]].any()
            assert torch.equal(changed.any(dim=0).nonzero().flatten(), torch.tensor([3, 17]))
        else:
            assert not changed.any()
    assert neurons.connections(removed, 17) == {"inputs": 0, "outputs": 0}
    assert neurons.connections(masks, 17) == {"inputs": int(masks["fc1.weight"][17].sum()),
                                              "outputs": int(masks["fc2.weight"][:, 17].sum())}


def test_remove_is_a_recorded_step_measured_without_retraining(baseline) -> None:
    data = tiny_mnist()
    removed = neurons.remove(baseline, [5], data)
    assert not removed.model.fc1.weight[5].any() and not removed.model.fc2.weight[:, 5].any()
    assert torch.equal(removed.model.fc1.weight[6], baseline.model.fc1.weight[6])
    assert torch.equal(removed.model.fc3.weight, baseline.model.fc3.weight)
    assert baseline.model.fc1.weight[5].all()  # the input is not changed
    step = removed.history[-1]
    assert (step.scope, step.neurons, step.retrain_epochs, step.step) == ("hand", (5,), 0, 1)
    assert step.nonzero["fc1"] == 299 * 784 and step.nonzero["fc2"] == 100 * 299
    assert step.accuracy_after_retrain == step.accuracy_after_prune == removed.accuracy
    assert step.accuracy_after_prune == pytest.approx(lab.evaluate(removed.model, data.test))
    assert step.sparsity == pytest.approx(removed.masks.sparsity())
    # A step after it goes on from the hand-made masks: pruned weights never come back.
    further = lab.prune_step(removed, PruneSettings(50, "global"), retrain_epochs=0, data=data)
    assert further.masks.is_within(removed.masks)


def test_fewest_connections_ranks_live_neurons_only(baseline) -> None:
    masks = lab.prune_step(baseline, PruneSettings(95, "global"), retrain_epochs=0, data=tiny_mnist()).masks
    total = masks["fc1.weight"].sum(dim=1) + masks["fc2.weight"].sum(dim=0)
    live = masks["fc1.weight"].any(dim=1) & masks["fc2.weight"].any(dim=0)
    weakest = neurons.fewest_connections(masks, 4)
    assert len(weakest) == 4 and all(live[n] for n in weakest)
    ranked = sorted(range(300), key=lambda n: (int(total[n]), n))
    assert weakest == [n for n in ranked if live[n]][:4]
    assert neurons.fewest_connections(neurons.without_neurons(masks, weakest), 4)[0] not in weakest


def test_bad_neurons_are_one_line_errors(baseline) -> None:
    for bad in ([], [300], [-1], [1.5], [True]):
        with pytest.raises(UserError):
            neurons.without_neurons(baseline.masks, bad)
    with pytest.raises(UserError, match="at least 1"):
        neurons.fewest_connections(baseline.masks, 0)
    once = neurons.remove(baseline, [2], tiny_mnist())
    with pytest.raises(UserError, match="no connections left"):
        neurons.remove(once, [2], tiny_mnist())


def test_new_record_fields_round_trip_and_old_records_still_read(baseline, tmp_path) -> None:
    data = tiny_mnist()
    hand = neurons.remove(baseline, [7, 9], data)
    random = lab.prune_step(hand, PruneSettings(40, "random", mask_seed=5), retrain_epochs=0, data=data)
    magnitude = lab.prune_step(random, PruneSettings(50, "global"), retrain_epochs=0, data=data)
    assert [s.mask_seed for s in magnitude.history] == [None, 5, None]
    assert "mask_seed" not in magnitude.history[2].to_dict() and "neurons" not in magnitude.history[2].to_dict()
    checkpoint.save(magnitude, tmp_path / "m.pt")
    loaded = checkpoint.load(str(tmp_path / "m.pt"))
    assert loaded.history == magnitude.history
    old = magnitude.history[2].to_dict()  # a record written before the new fields existed
    assert StepRecord.from_dict(old) == magnitude.history[2]
    with pytest.raises(UserError):
        StepRecord.from_dict({**old, "neurons": ["x"]})
