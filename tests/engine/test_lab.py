"""The engine verbs the CLI and dashboard share: prune_step, schedule, step_table, summary."""
from __future__ import annotations

import pytest
import torch

from pruning_core import checkpoint, lab
from pruning_core.errors import UserError
from pruning_core.settings import PruneSettings
from pruning_core.train import Cancelled


@pytest.fixture(scope="module")
def baseline():
    return checkpoint.load("baseline")


def test_prune_step_records_and_leaves_its_input_alone(baseline) -> None:
    before_weights = baseline.model.fc1.weight.detach().clone()
    events = []
    result = lab.prune_step(baseline, PruneSettings(80, "layer"), retrain_epochs=0, callbacks=[events.append])
    assert torch.equal(baseline.model.fc1.weight, before_weights) and baseline.history == []
    step = result.history[-1]
    assert step.step == 1 and step.scope == "layer" and step.threshold is None
    assert set(step.thresholds) == {"fc1", "fc2", "fc3"}
    assert step.accuracy_before == pytest.approx(0.9717)
    assert events[0].kind == "pruned" and events[0].accuracy == step.accuracy_after_prune
    assert step.sparsity == pytest.approx(0.8, abs=1e-5)
    assert step.nonzero["fc2"] == pytest.approx(0.2 * 30000, abs=1)
    assert lab.summary(result)["accuracy"] == step.accuracy_after_retrain == result.accuracy


def test_cancelled_step_keeps_the_last_completed_model(baseline) -> None:
    first = lab.prune_step(baseline, PruneSettings(50), retrain_epochs=0)
    with pytest.raises(Cancelled):
        lab.prune_step(first, PruneSettings(90), retrain_epochs=1, should_stop=lambda: True)
    assert first.masks.sparsity() == pytest.approx(0.5, abs=1e-5) and len(first.history) == 1


def test_schedule_and_table(baseline) -> None:
    steps = list(lab.schedule(baseline, [30, 60, 60], retrain_epochs=0))
    table = lab.step_table(steps[-1].history)
    assert [row["percent"] for row in table] == [30, 60, 60]
    assert table[0]["nonzero"] == pytest.approx(0.7 * 266200, abs=1)
    assert table[2]["nonzero"] == table[1]["nonzero"]
    assert {"threshold_fc1", "nonzero_fc1", "accuracy_after_retrain"} <= set(table[0])
    with pytest.raises(UserError, match="already 60.00% pruned"):
        next(lab.schedule(steps[-1], [50]))


@pytest.mark.parametrize("percents, message", [
    ([50, 40], "must not decrease"),
    ([], "at least one percent"),
    ([50, 100], "percent must be in"),
    ([float("nan")], "percent"),
])
def test_schedule_validates_when_called_not_when_iterated(baseline, percents, message) -> None:
    with pytest.raises(UserError, match=message):
        lab.schedule(baseline, percents, retrain_epochs=0)  # no next(): the call itself refuses


@pytest.mark.parametrize("changes, message", [
    ({"scope": "magic"}, "scope"), ({"lr": -1.0}, "learning rate"), ({"retrain_epochs": -1}, "epochs"),
    ({"scope": "random", "mask_seed": -1}, "mask seed")])
def test_schedule_checks_scope_and_retraining_up_front(baseline, changes, message) -> None:
    with pytest.raises(UserError, match=message):
        lab.schedule(baseline, [50], **changes)
