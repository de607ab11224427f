"""The compressed retraining step (pruning_core/sparse_mlp.py) against the dense masked paths.

The shipped baseline is pruned globally to 90, 95 and 99 % (so the layers keep the very different shares a
real schedule gives them), then the same rows are stepped through the autograd step, the dense fast path
(``FastMLP`` with masks) and ``SparseMLP`` with every layer compressed (and with a mix of dense and
compressed layers). Gradients (read back from the first step's velocity, at the kept positions), the loss and
the weights after several steps agree within float32 rounding; pruned weights are exactly 0.0. Which layers
go compressed comes from a measured table; here the table is replaced by known values so the choice is
tested without depending on the machine.
"""
from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from pruning_core import checkpoint, fast_mlp, sparse_mlp
from pruning_core.data import Mnist, load_mnist
from pruning_core.masks import Masks
from pruning_core.models import LeNet300100
from pruning_core.prune import compute_masks
from pruning_core.settings import PruneSettings, TrainSettings, preset
from pruning_core.train import AutogradStep, Cancelled, train

DATA = load_mnist("cpu")
RECIPES = {"seed": preset("seed"), "paper + L1": preset("paper", l1=1e-4, lr_gamma=0.05)}


def pruned_baseline(percent: float) -> tuple[LeNet300100, Masks]:
    start = checkpoint.load("baseline")
    weights = dict(start.model.named_parameters())
    masks = compute_masks({n: weights[n] for n in start.masks}, start.masks, PruneSettings(percent)).masks
    masks.apply_(start.model)
    return start.model, masks


def twin(model: LeNet300100, dropout: float = 0.0) -> LeNet300100:
    copy = LeNet300100(model.settings)
    copy.load_state_dict(model.state_dict())
    copy.dropout = [dropout, dropout]
    return copy


def assert_pruned_are_zero(model: LeNet300100, masks: Masks) -> None:
    for name, p in model.named_parameters():
        if name in masks:
            assert torch.all(p.detach()[~masks[name]] == 0.0), name


@pytest.mark.parametrize("recipe", RECIPES)
@pytest.mark.parametrize("percent", [90, 95, 99])
def test_steps_match_the_dense_masked_paths(percent: float, recipe: str) -> None:
    compare_steps(RECIPES[recipe], percent, [True, True, True], steps=3)


@pytest.mark.parametrize("layers", [(True, False, False), (False, True, True)], ids=["fc1", "fc2+fc3"])
def test_dense_and_compressed_layers_mix(layers: tuple[bool, ...]) -> None:
    compare_steps(RECIPES["paper + L1"], 95, list(layers), steps=3)


def test_dropout_and_many_steps_with_momentum_match() -> None:
    """Dropout (the same draws on each side) and 25 steps at momentum 0.9 with a decaying lr and L2."""
    compare_steps(preset("paper", lr_gamma=0.05, batch_size=32), 95, [True, True, True], steps=25, dropout=0.3)


def compare_steps(settings: TrainSettings, percent: float, layers: list[bool], steps: int,
                  dropout: float = 0.0) -> None:
    start, masks = pruned_baseline(percent)
    models = [twin(start, dropout) for _ in range(3)]
    initial = {n: p.detach().clone() for n, p in start.named_parameters()}
    images, labels = DATA.train.images, DATA.train.labels
    autograd_step = AutogradStep(models[0], images, labels, settings, masks)
    dense_step = fast_mlp.FastMLP(models[1], images, labels, settings, masks)
    sparse_step = sparse_mlp.SparseMLP(models[2], images, labels, settings, masks, layers)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(3))
    for step, rows in enumerate(order[:steps * settings.batch_size].split(settings.batch_size)):
        lr, losses = settings.lr_at(step), []
        for stepper in (autograd_step, dense_step, sparse_step):
            loss = torch.zeros(())
            torch.manual_seed(100 + step)  # the same dropout draws on every side
            stepper.step(rows, lr, loss)
            losses.append(float(loss))
        assert losses[2] == pytest.approx(losses[0], rel=1e-5) and losses[2] == pytest.approx(losses[1], rel=1e-5)
        if step == 0:
            for (n, p), velocity in zip(models[0].named_parameters(), sparse_step.velocities()):
                gradient = -velocity / lr - settings.weight_decay * initial[n]
                kept = masks[n] if n in masks else torch.ones_like(p, dtype=torch.bool)
                torch.testing.assert_close(gradient[kept], p.grad[kept], rtol=1e-4, atol=1e-6)
    sparse_step.sync_model()
    for reference, dense, compressed in zip(*(m.parameters() for m in models)):
        torch.testing.assert_close(compressed.detach(), reference.detach(), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(compressed.detach(), dense.detach(), rtol=1e-5, atol=1e-6)
    assert_pruned_are_zero(models[2], masks)
    assert sum(isinstance(layer, sparse_mlp.SparseLayer) for layer in sparse_step.layers) == sum(layers)


def test_a_layer_with_no_weight_left_trains_compressed() -> None:
    start, masks = pruned_baseline(90)
    masks = Masks({**masks, "fc2.weight": torch.zeros_like(masks["fc2.weight"])})
    masks.apply_(start)
    model = twin(start)
    stepper = sparse_mlp.SparseMLP(model, DATA.train.images, DATA.train.labels, preset("seed"), masks, [True] * 3)
    for rows in torch.arange(256).split(128):
        stepper.step(rows, 0.01, torch.zeros(()))
    stepper.sync_model()
    assert torch.all(model.fc2.weight == 0.0)
    # No gradient reaches fc1 through an empty fc2 (and the seed recipe has no weight decay); fc3 still learns.
    assert torch.equal(model.fc1.weight, start.fc1.weight) and not torch.equal(model.fc3.weight, start.fc3.weight)


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A known crossover table in place of the measured one: fc1 compressed below 20 % at 1 thread and 10 %
    from 2 threads on, fc2 below 5 % at 1 thread; fc3's shape is not in it."""
    known = {(784, 300, 1): 0.2, (784, 300, 2): 0.1, (300, 100, 1): 0.05}
    monkeypatch.setattr(sparse_mlp, "crossover_table", lambda: known)
    return known


def test_the_crossover_table_decides_which_layers_go_compressed(table: dict) -> None:
    model, masks = pruned_baseline(95)
    kept = {n: float(m.float().mean()) for n, m in masks.items()}
    assert kept["fc1.weight"] < 0.1 and 0.05 < kept["fc2.weight"] < 1.0  # what the cases below rely on
    assert sparse_mlp.sparse_layers(model, masks, 1) == [True, False, False]
    assert sparse_mlp.sparse_layers(model, masks, 8) == [True, False, False]  # 8 threads: the 2-thread entry
    assert sparse_mlp.sparse_layers(model, masks, 1, force=True) == [True, True, True]
    assert sparse_mlp.sparse_layers(model, masks, 1, force=False) == [False, False, False]
    assert sparse_mlp.sparse_layers(model, None, 1) == [False, False, False]
    assert sparse_mlp.crossover((300, 784), 3) == 0.1 and sparse_mlp.crossover((10, 100), 1) == 0.0
    model, masks = pruned_baseline(50)  # fc1 keeps more than its crossover share at 2 threads
    assert sparse_mlp.sparse_layers(model, masks, 2) == [False, False, False]


def test_the_shipped_table_was_measured_for_every_layer_and_thread_count() -> None:
    record = json.loads(sparse_mlp.CROSSOVER_FILE.read_text())
    assert record["command"].startswith("python -m bench.sparse --calibrate")
    measured = {(e["outputs"], e["inputs"], e["threads"]) for e in record["crossover"]}
    assert {(300, 784, 1), (100, 300, 1), (10, 100, 1)} <= measured
    assert all(0.0 <= e["kept_share"] <= 1.0 and e["compressed_over_dense"] for e in record["crossover"])


def small_data(rows: int = 512) -> Mnist:
    """The first ``rows`` training images; the full test split."""
    return dataclasses.replace(DATA, train=dataclasses.replace(DATA.train, images=DATA.train.images[:rows],
                                                               labels=DATA.train.labels[:rows]))


def test_train_takes_the_compressed_path_and_writes_the_dense_weights_back(table: dict,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    start, masks = pruned_baseline(95)
    steps, original = [], sparse_mlp.SparseMLP.step
    monkeypatch.setattr(sparse_mlp.SparseMLP, "step", lambda self, *a: steps.append(1) or original(self, *a))
    recipe = preset("seed", epochs=2, batch_size=128)
    dense, compressed = twin(start), twin(start)
    accuracies = [train(model, small_data(), recipe, masks, threads=1, sparse=choice)
                  for model, choice in ((dense, False), (compressed, None))]
    assert len(steps) == 8  # 2 epochs x 4 batches, all on the compressed path
    assert accuracies[0] == pytest.approx(accuracies[1], abs=1e-3)  # evaluated on the written-back weights
    for a, b in zip(dense.parameters(), compressed.parameters()):
        torch.testing.assert_close(b.detach(), a.detach(), rtol=1e-5, atol=1e-6)
    assert not torch.equal(compressed.fc1.weight, start.fc1.weight)
    assert_pruned_are_zero(compressed, masks)


def test_a_cancelled_call_leaves_the_last_finished_step_in_the_model(table: dict) -> None:
    start, masks = pruned_baseline(95)
    model, polls = twin(start), []
    with pytest.raises(Cancelled):
        train(model, small_data(), preset("seed", epochs=1), masks, threads=1,
              should_stop=lambda: polls.append(1) or len(polls) > 2)
    assert not torch.equal(model.fc1.weight, start.fc1.weight)  # two steps were written back
    assert_pruned_are_zero(model, masks)


@pytest.mark.slow
def test_one_epoch_reaches_the_dense_paths_accuracy() -> None:
    """A full retraining epoch (paper preset's retraining: momentum 0.9, L2) of the baseline pruned to 95 %,
    every pruned layer compressed against the dense masked path: within 0.1 points of test accuracy."""
    start, masks = pruned_baseline(95)
    recipe = preset("paper", epochs=1, lr=0.002)
    accuracies = [train(twin(start), DATA, recipe, masks, threads=1, sparse=choice)[-1] for choice in (False, True)]
    assert abs(accuracies[0] - accuracies[1]) <= 0.001, accuracies


class ReachedTheCompressedStep(Exception):
    """Ends a call as soon as it builds its compressed stepper: which path it takes is all these tests ask."""


@pytest.fixture
def chosen_layers(monkeypatch: pytest.MonkeyPatch) -> list[list[bool]]:
    """The compressed layers of every ``SparseMLP`` built (the call then ends with ``ReachedTheCompressedStep``)."""
    built: list[list[bool]] = []

    def record(self, model, images, labels, settings, masks, layers) -> None:
        built.append(list(layers))
        raise ReachedTheCompressedStep()

    monkeypatch.setattr(sparse_mlp.SparseMLP, "__init__", record)
    return built


@pytest.mark.parametrize("threads", [1, 2])
def test_the_cli_and_the_dashboards_jobs_retrain_compressed_without_being_asked(
        chosen_layers: list[list[bool]], tmp_path, threads: int) -> None:
    """With the shipped crossover table, at 99 % the CLI's ``prune`` and the dashboard's job work (the one
    ``executors/training.schedule`` every Prune press runs, here in this thread) retrain fc1 compressed."""
    from pruning_core import cli, cpus
    from pruning_core.service.executors import training

    class Job:  # the ``Context`` of a work: never cancelled, ignores progress
        report, should_stop = staticmethod(lambda event: None), staticmethod(lambda: False)

    start = checkpoint.resolve("baseline").read_bytes()
    with cpus.threads(threads):
        with pytest.raises(ReachedTheCompressedStep):
            cli.main(["prune", "--checkpoint", "baseline", "--percent", "99", "--retrain-epochs", "1",
                      "--out", str(tmp_path / "p99.pt")])
        with pytest.raises(ReachedTheCompressedStep):
            training.schedule(Job(), start, "baseline", [PruneSettings(99.0)], 1, None)
    assert len(chosen_layers) == 2 and all(layers[0] for layers in chosen_layers)
    assert not (tmp_path / "p99.pt").exists()
