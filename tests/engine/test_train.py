"""Training and retraining: masks held through momentum, determinism, callbacks, cancel, divergence."""
from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest
import torch

from pruning_core import cpus
from pruning_core.masks import Masks
from pruning_core.prune import compute_masks
from pruning_core.settings import PruneSettings, preset
from pruning_core.train import Cancelled, Diverged, evaluate, predict, train
from tests.helpers import random_model, tiny_mnist, weights_of

DATA = tiny_mnist()
RECIPE = preset("seed", epochs=2, batch_size=64)


def pruned_model(percent: float = 80) -> tuple[torch.nn.Module, Masks]:
    model = random_model()
    train(model, DATA, RECIPE, evaluate_each_epoch=False)
    masks = compute_masks(weights_of(model), Masks.dense(model), PruneSettings(percent)).masks
    masks.apply_(model)
    return model, masks


def test_pruned_weights_stay_exactly_zero_through_momentum_retraining() -> None:
    model, masks = pruned_model()
    retrain = dataclasses.replace(RECIPE, momentum=0.9, weight_decay=5e-4, lr=0.05)
    train(model, DATA, retrain, masks, evaluate_each_epoch=False)
    for name, w in weights_of(model).items():
        assert torch.all(w[~masks[name]] == 0.0), name
        assert w[masks[name]].count_nonzero() > 0.99 * masks[name].sum()


def test_reference_style_retraining_would_regrow_pruned_weights() -> None:
    # The reference retrains without masks; this is the defect the test above guards against.
    model, masks = pruned_model()
    train(model, DATA, RECIPE, masks=None, evaluate_each_epoch=False)
    regrown = sum(int(w[~masks[n]].count_nonzero()) for n, w in weights_of(model).items())
    assert regrown > 0


def test_training_is_deterministic_under_a_seed() -> None:
    first, second = random_model(seed=3), random_model(seed=3)
    train(first, DATA, RECIPE, evaluate_each_epoch=False)
    train(second, DATA, RECIPE, evaluate_each_epoch=False)
    for (name, a), b in zip(first.state_dict().items(), second.state_dict().values()):
        assert torch.equal(a, b), name


def test_training_learns_and_reports_progress() -> None:
    model = random_model()
    before = evaluate(model, DATA.test)
    events = []
    accuracies = train(model, DATA, preset("seed", epochs=3, batch_size=8), callbacks=[events.append])
    assert accuracies[-1] > before + 0.3
    epochs = [e for e in events if e.kind == "epoch"]
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert [e.accuracy for e in epochs] == accuracies
    assert any(e.kind == "batch" for e in events)
    assert epochs[-1].step == epochs[-1].total_steps == 3 * 64


def test_evaluate_matches_a_hand_computation() -> None:
    model = random_model(seed=5)
    w1, b1 = model.fc1.weight.detach().numpy(), model.fc1.bias.detach().numpy()
    w2, b2 = model.fc2.weight.detach().numpy(), model.fc2.bias.detach().numpy()
    w3, b3 = model.fc3.weight.detach().numpy(), model.fc3.bias.detach().numpy()
    x = DATA.test.images.numpy()
    logits = np.maximum(np.maximum(x @ w1.T + b1, 0) @ w2.T + b2, 0) @ w3.T + b3
    expected = float((logits.argmax(1) == DATA.test.labels.numpy()).mean())
    assert evaluate(model, DATA.test) == pytest.approx(expected, abs=1e-12)


def test_cancel_stops_at_a_batch_boundary() -> None:
    model = random_model()
    calls = []

    def stop_after_five() -> bool:
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(Cancelled):
        train(model, DATA, RECIPE, should_stop=stop_after_five)
    assert len(calls) == 6


def test_divergence_is_a_clear_error() -> None:
    model = random_model()
    with pytest.raises(Diverged, match="diverged"):
        train(model, DATA, preset("seed", epochs=1, lr=10.0, batch_size=8), evaluate_each_epoch=False)


def test_l1_shrinks_weights_and_keeps_pruned_ones_dead() -> None:
    plain, lasso = random_model(seed=4), random_model(seed=4)
    train(plain, DATA, RECIPE, evaluate_each_epoch=False)
    train(lasso, DATA, dataclasses.replace(RECIPE, l1=1e-3), evaluate_each_epoch=False)
    steps = RECIPE.epochs * len(DATA.train) // RECIPE.batch_size
    shrink_floor = 0.5 * RECIPE.lr * 1e-3 * steps * lasso.fc1.weight.numel()  # each step pulls |w| by lr*l1
    assert plain.fc1.weight.abs().sum() - lasso.fc1.weight.abs().sum() > shrink_floor
    assert torch.equal(lasso.fc1.bias.abs() > 0, plain.fc1.bias.abs() > 0)  # biases are not L1-regularised
    model, masks = pruned_model()
    train(model, DATA, dataclasses.replace(RECIPE, l1=1e-3, momentum=0.9), masks, evaluate_each_epoch=False)
    assert all(torch.all(w[~masks[n]] == 0.0) for n, w in weights_of(model).items())


def test_thread_count_is_an_argument_and_leaks_nowhere() -> None:
    seen = []
    train(random_model(), DATA, preset("seed", epochs=1, batch_size=256), threads=1,
          callbacks=[lambda event: seen.append((torch.get_num_threads(), cpus.current()))])
    assert seen and set(seen) == {(1, 1)}
    assert cpus.current() == cpus.AVAILABLE  # nothing outside the call changed


def test_a_threads_block_applies_to_its_own_thread_only() -> None:
    inside, other = [], []
    with cpus.threads(1):
        worker = threading.Thread(target=lambda: other.append(cpus.current()))
        worker.start()
        worker.join()
        inside.append(cpus.current())
        with cpus.threads(None):  # None keeps the enclosing block's count
            inside.append(torch.get_num_threads())
    assert inside == [1, 1] and other == [cpus.AVAILABLE]
    assert cpus.current() == cpus.AVAILABLE


def test_evaluate_sees_every_change_of_the_weights() -> None:
    """evaluate() reuses its previous result only for identical weights: an in-place change, a copy with one
    weight changed, another split or another thread count is evaluated again."""
    model = random_model(seed=6)
    first = evaluate(model, DATA.test)
    twin = random_model(seed=6)
    assert evaluate(twin, DATA.test) == first
    with torch.no_grad():
        twin.fc3.bias[int(DATA.test.labels[0])] += 100.0  # every image now predicted as the first label
    expected = float((DATA.test.labels == DATA.test.labels[0]).float().mean())
    assert evaluate(twin, DATA.test) == pytest.approx(expected)
    assert evaluate(model, DATA.test) == first
    other = tiny_mnist(test=64).test
    assert evaluate(model, other) == pytest.approx(float((predict(model, other.images) == other.labels).float().mean()))
    assert evaluate(model, DATA.test, threads=1) == first
