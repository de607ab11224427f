"""Sensitivity analysis, the AGP schedule and lottery-ticket rewinding."""
from __future__ import annotations

import pytest
import torch

from pruning_core import checkpoint, lab
from pruning_core.errors import UserError
from pruning_core.models import build_model
from pruning_core.settings import PruneSettings
from pruning_core.research.studies import agp_percents, lottery_rewind, sensitivity


def test_sensitivity_prunes_one_layer_at_a_time_and_restores_it() -> None:
    baseline = checkpoint.load("baseline")
    weights = {k: v.clone() for k, v in baseline.model.state_dict().items()}
    curves = sensitivity(baseline, [0, 99])
    assert set(curves) == {"fc1", "fc2", "fc3"}
    for layer, (dense, pruned) in curves.items():
        assert dense == pytest.approx(0.9717), layer
        assert pruned < dense, layer
    assert curves["fc3"][1] < curves["fc1"][1]  # the small output layer is the fragile one
    assert all(torch.equal(v, weights[k]) for k, v in baseline.model.state_dict().items())


def test_agp_is_cubic_and_ends_at_the_target() -> None:
    steps = agp_percents(90, 5)
    assert steps[-1] == pytest.approx(90) and steps == sorted(steps)
    assert steps[0] == pytest.approx(90 * (1 - 0.8 ** 3))
    assert steps[1] - steps[0] < steps[0]  # most pruning happens early
    with pytest.raises(UserError):
        agp_percents(100, 3)


def test_lottery_rewind_resets_survivors_to_their_initial_values() -> None:
    pruned = lab.prune_step(checkpoint.load("baseline"), PruneSettings(90), retrain_epochs=0)
    rewound = lottery_rewind(pruned, epochs=0)
    init = build_model(pruned.model.settings, pruned.recipe.seed, torch.device("cpu"))
    keep = pruned.masks["fc1.weight"]
    assert torch.equal(rewound.model.fc1.weight[keep], init.fc1.weight[keep])
    assert torch.all(rewound.model.fc1.weight[~keep] == 0)
    assert torch.equal(rewound.model.fc1.bias, init.fc1.bias)
    assert not torch.equal(rewound.model.fc1.weight, pruned.model.fc1.weight)
    assert rewound.accuracy < pruned.accuracy


def test_lenet5_is_pruned_by_the_same_engine(tmp_path) -> None:
    from pruning_core.checkpoint import Checkpoint, load, save
    from pruning_core.masks import Masks
    from pruning_core.settings import ModelSettings, preset

    model = build_model(ModelSettings(arch="lenet-5"), 0, torch.device("cpu"))
    start = Checkpoint(model=model, masks=Masks.dense(model), recipe=preset("paper"))
    assert set(start.masks) == {"conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"}
    pruned = lab.prune_step(start, PruneSettings(92, "std"), retrain_epochs=0)
    assert pruned.masks.sparsity() == pytest.approx(0.92, abs=1e-5)
    assert torch.all(pruned.model.conv2.weight[~pruned.masks["conv2.weight"]] == 0)
    reloaded = load(str(save(pruned, tmp_path / "lenet5.pt")))
    assert reloaded.config["arch"] == "lenet-5" and reloaded.masks.sparsity() == pruned.masks.sparsity()
    with pytest.raises(UserError, match="LeNet-300-100 only"):
        from pruning_core.analyze import pixel_connections
        pixel_connections(reloaded)


def test_dropout_is_lowered_for_retraining_as_connections_go() -> None:
    from pruning_core.checkpoint import Checkpoint
    from pruning_core.masks import Masks
    from pruning_core.settings import ModelSettings, preset

    model = build_model(ModelSettings(hidden=(30, 20), dropout=0.5), 0, torch.device("cpu"))
    start = Checkpoint(model=model, masks=Masks.dense(model), recipe=preset("seed"))
    pruned = lab.prune_step(start, PruneSettings(75, "layer"), retrain_epochs=0)
    expected = 0.5 * (pruned.masks.kept()["fc1"] / (784 * 30)) ** 0.5
    assert pruned.model.dropout[0] == pytest.approx(expected) and expected == pytest.approx(0.25, abs=1e-3)
    assert start.model.dropout == [0.5, 0.5]
    pruned.model.train()
    x = torch.ones(4, 784)
    assert not torch.equal(pruned.model(x), pruned.model(x))  # dropout active while training
    pruned.model.eval()
    assert torch.equal(pruned.model(x), pruned.model(x))
