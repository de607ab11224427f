"""The fast MLP step (pruning_core/fast_mlp.py) against the autograd step it replaces.

One step, then a second (momentum and the lr schedule come in), from identical weights, rows and RNG state:
the gradients, the loss and the updated weights agree within float32 rounding for both presets, with and
without masks, and with each regulariser (L1, L2 weight decay, dropout). The fast path keeps a velocity
``v = -lr * momentum_buffer`` instead of a gradient, so its gradient is read back from the first step's
velocity: ``grad = -v / lr - weight_decay * w``. It does not clear the velocity of pruned weights (their
update is multiplied by 0), so gradients are compared where the mask keeps a connection and the pruned
weights are checked to be exactly 0.0. Dropout is compared with the same dropout mask: both paths draw it
with ``bernoulli_`` from the global generator, which each side reseeds identically before its step.
"""
from __future__ import annotations

import dataclasses

import pytest
import torch

from pruning_core import fast_mlp
from pruning_core.data import load_mnist
from pruning_core.masks import Masks
from pruning_core.models import LeNet300100, build_model
from pruning_core.prune import compute_masks
from pruning_core.settings import ModelSettings, PruneSettings, TrainSettings, preset
from pruning_core.train import AutogradStep, evaluate, train

DATA = load_mnist("cpu")
REGULARISERS = {"none": {}, "l1": {"l1": 1e-3}, "l2": {"weight_decay": 5e-4}, "dropout": {}}


def model_and_masks(dropout: float, masked: bool, hidden: tuple[int, int] = (300, 100)
                    ) -> tuple[LeNet300100, Masks | None]:
    model = build_model(ModelSettings(hidden=hidden, dropout=dropout), 7, torch.device("cpu"))
    if not masked:
        return model, None
    weights = {n: p for n, p in model.named_parameters() if n.endswith("weight")}
    masks = compute_masks(weights, Masks.dense(model), PruneSettings(70)).masks
    masks.apply_(model)
    return model, masks


def twin(model: LeNet300100) -> LeNet300100:
    copy = LeNet300100(model.settings)
    copy.load_state_dict(model.state_dict())
    copy.dropout = list(model.dropout)
    return copy


@pytest.mark.parametrize("masked", [False, True], ids=["dense", "masked"])
@pytest.mark.parametrize("regulariser", REGULARISERS)
@pytest.mark.parametrize("name", ["seed", "paper"])
def test_two_steps_match_autograd(name: str, regulariser: str, masked: bool) -> None:
    settings = preset(name, **REGULARISERS[regulariser])
    if name == "paper":  # a visible lr decay between the two steps
        settings = dataclasses.replace(settings, lr_gamma=0.05)
    compare_two_steps(settings, 0.3 if regulariser == "dropout" else 0.0, masked)


def test_other_widths_and_every_regulariser_at_once_match_autograd() -> None:
    compare_two_steps(preset("paper", l1=1e-4, lr_gamma=0.05), 0.2, True, hidden=(37, 11))


def compare_two_steps(settings: TrainSettings, dropout: float, masked: bool,
                      hidden: tuple[int, int] = (300, 100)) -> None:
    reference, masks = model_and_masks(dropout, masked, hidden)
    fast = twin(reference)
    start = {n: p.detach().clone() for n, p in reference.named_parameters()}
    images, labels = DATA.train.images, DATA.train.labels
    autograd_step = AutogradStep(reference, images, labels, settings, masks)
    fast_step = fast_mlp.FastMLP(fast, images, labels, settings, masks)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(1))
    for step, rows in enumerate(order[:2 * settings.batch_size].split(settings.batch_size)):
        lr = settings.lr_at(step)
        losses = []
        for stepper in (autograd_step, fast_step):
            loss = torch.zeros(())
            torch.manual_seed(100 + step)  # the same dropout draws on both sides
            stepper.step(rows, lr, loss)
            losses.append(float(loss))
        assert losses[1] == pytest.approx(losses[0], rel=1e-5)
        if step == 0:
            for (n, p), velocity in zip(reference.named_parameters(), fast_step.velocities()):
                gradient = -velocity / lr - settings.weight_decay * start[n]
                kept = masks[n] if masks and n in masks else torch.ones_like(p, dtype=torch.bool)
                torch.testing.assert_close(gradient[kept], p.grad[kept], rtol=1e-4, atol=1e-6)
        for (n, a), b in zip(reference.named_parameters(), fast.parameters()):
            torch.testing.assert_close(b, a.detach(), rtol=1e-5, atol=1e-6)
            if masks and n in masks:
                assert torch.all(b.detach()[~masks[n]] == 0.0), n


@pytest.mark.parametrize("momentum", [0.0, 0.25, 0.9])
def test_the_scaled_velocity_folds_back_and_still_matches_autograd(momentum: float) -> None:
    """Enough steps for the velocity's scale to fall below ``RESCALE_BELOW`` and fold back into it (every
    17 steps at momentum 0.25; the threshold is raised for 0.9 so that it folds within the run too), with
    a decaying lr, L2 and masks: the weights still follow autograd's."""
    settings = preset("paper", momentum=momentum, lr_gamma=0.05, batch_size=32)
    reference, masks = model_and_masks(0.0, True, (37, 11))
    fast = twin(reference)
    autograd_step = AutogradStep(reference, DATA.train.images, DATA.train.labels, settings, masks)
    fast_step = fast_mlp.FastMLP(fast, DATA.train.images, DATA.train.labels, settings, masks)
    folds, threshold = 0, (0.05 if momentum == 0.9 else fast_mlp.RESCALE_BELOW)
    order = torch.randperm(len(DATA.train.labels), generator=torch.Generator().manual_seed(2))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast_mlp, "RESCALE_BELOW", threshold)
        for step, rows in enumerate(order[:40 * settings.batch_size].split(settings.batch_size)):
            for stepper in (autograd_step, fast_step):
                stepper.step(rows, settings.lr_at(step), torch.zeros(()))
            folds += step > 0 and fast_step.scale == 1.0
    assert folds == 39 if momentum == 0.0 else folds >= 1, folds  # 0: every step starts afresh
    for (n, a), b in zip(reference.named_parameters(), fast.parameters()):
        torch.testing.assert_close(b, a.detach(), rtol=1e-4, atol=1e-5)
        if n in masks:
            assert torch.all(b.detach()[~masks[n]] == 0.0), n


def test_train_takes_the_fast_path_for_the_mlp_only(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = fast_mlp.FastMLP.step
    monkeypatch.setattr(fast_mlp.FastMLP, "step", lambda self, *a: calls.append(1) or original(self, *a))
    small = dataclasses.replace(DATA, train=dataclasses.replace(DATA.train, images=DATA.train.images[:256],
                                                                labels=DATA.train.labels[:256]))
    recipe = preset("seed", epochs=1, batch_size=64)
    train(build_model(ModelSettings(), 1, torch.device("cpu")), small, recipe, evaluate_each_epoch=False)
    assert len(calls) == 4
    train(build_model(ModelSettings(), 1, torch.device("cpu")), small, recipe, evaluate_each_epoch=False, fast=False)
    train(build_model(ModelSettings(arch="lenet-5"), 1, torch.device("cpu")), small, recipe, evaluate_each_epoch=False)
    assert len(calls) == 4


def test_one_epoch_reaches_the_same_accuracy() -> None:
    """A full epoch from the same seed on the whole training set: the seed preset from scratch, and the paper
    preset (momentum 0.9, L2, lr decay) retraining a 90 %-pruned model with its masks. One thread: the
    result does not depend on it, and two OpenMP threads on a busy shared machine wait for each other."""
    scratch = preset("seed", epochs=1)
    retrain = preset("paper", epochs=1, lr=0.002)
    base = build_model(ModelSettings(), scratch.seed, torch.device("cpu"))
    train(base, DATA, scratch, evaluate_each_epoch=False, threads=1)
    weights = {n: p for n, p in base.named_parameters() if n.endswith("weight")}
    masks = compute_masks(weights, Masks.dense(base), PruneSettings(90)).masks
    for recipe, start, held in ((scratch, None, None), (retrain, base, masks)):
        accuracies = []
        for fast in (True, False):
            model = build_model(ModelSettings(), recipe.seed, torch.device("cpu")) if start is None else twin(start)
            accuracies.append(train(model, DATA, recipe, held, fast=fast, threads=1)[-1])
            if held:
                assert all(torch.all(p.detach()[~held[n]] == 0.0) for n, p in model.named_parameters() if n in held)
        assert abs(accuracies[0] - accuracies[1]) <= 0.001, (recipe.preset, accuracies)
    assert evaluate(base, DATA.test) > 0.85
