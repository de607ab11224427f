"""Analysis data checked against hand computations on tiny models."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from pruning_core import analyze
from pruning_core.checkpoint import Checkpoint
from pruning_core.errors import UserError
from pruning_core.masks import Masks
from pruning_core.models import LeNet300100
from pruning_core.prune import compute_masks
from pruning_core.settings import ModelSettings, PruneSettings, preset
from pruning_core.train import predict
from tests.helpers import random_model, tiny_mnist, weights_of


def make_checkpoint(hidden=(3, 2), percent: float = 0.0, seed: int = 1) -> Checkpoint:
    model = random_model(hidden=hidden, seed=seed)
    masks = compute_masks(weights_of(model), Masks.dense(model), PruneSettings(percent)).masks
    masks.apply_(model)
    return Checkpoint(model=model, masks=masks, recipe=preset("seed"))


def test_active_neurons_match_a_hand_computation() -> None:
    ckpt = make_checkpoint(hidden=(6, 4))
    with torch.no_grad():  # biases chosen so that the with-bias and bias-free counts differ
        ckpt.model.fc1.bias.copy_(torch.tensor([5.0, -5.0, 5.0, -5.0, 0.0, 0.0]))
        ckpt.model.fc2.bias.copy_(torch.tensor([3.0, -3.0, 0.0, 0.0]))
    pixels = tiny_mnist().test.pixels[0].numpy()
    x = ((pixels.astype(np.float32) / 255 - 0.1307) / 0.3081).reshape(784)
    w1, b1 = ckpt.model.fc1.weight.detach().numpy(), ckpt.model.fc1.bias.detach().numpy()
    w2, b2 = ckpt.model.fc2.weight.detach().numpy(), ckpt.model.fc2.bias.detach().numpy()
    w3, b3 = ckpt.model.fc3.weight.detach().numpy(), ckpt.model.fc3.bias.detach().numpy()
    h1 = np.maximum(w1 @ x + b1, 0)
    h2 = np.maximum(w2 @ h1 + b2, 0)
    logits = w3 @ h2 + b3
    f1 = np.maximum(w1 @ x, 0)
    f2 = np.maximum(w2 @ f1, 0)

    seen = analyze.inspect_pixels(ckpt, pixels, bias_free=True)
    assert seen["nonzero_pixels"] == int((pixels > 0).sum())
    assert seen["active"] == {"fc1": int((h1 > 0).sum()), "fc2": int((h2 > 0).sum())}
    assert seen["active_bias_free"] == {"fc1": int((f1 > 0).sum()), "fc2": int((f2 > 0).sum())}
    assert seen["active"] != seen["active_bias_free"]
    assert seen["prediction"] == int(logits.argmax())
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(seen["probabilities"], expected, rtol=1e-5)


def test_storage_counts_and_csr_bytes() -> None:
    ckpt = make_checkpoint(hidden=(8, 4), percent=75)
    info = analyze.storage(ckpt)
    fc1 = ckpt.model.fc1.weight
    nnz = int(fc1.count_nonzero())
    expected = {"nonzero": nnz, "total": fc1.numel(), "dense_bytes": 4 * fc1.numel(),
                "csr_bytes": 8 * nnz + 4 * (8 + 1), "compression": fc1.numel() / nnz}
    assert {k: info["layers"]["fc1"][k] for k in expected} == expected
    assert info["total"] == 784 * 8 + 8 * 4 + 4 * 10
    assert info["compression"] == pytest.approx(info["total"] / info["nonzero"])
    assert abs(info["nonzero"] - 0.25 * info["total"]) <= 1


def test_relative_index_encoding_counts_fillers_for_long_gaps() -> None:
    mask = torch.zeros(100, dtype=torch.bool)
    mask[[0, 5, 36, 99]] = True  # gaps 1, 5, 31 (fits in 5 bits), 63 (needs 2 fillers of 31)
    assert analyze.relative_index_bytes(mask) == -(-(4 + 2) * 37 // 8)
    assert analyze.relative_index_bytes(torch.zeros(5, dtype=torch.bool)) == 0


def test_histograms_count_every_nonzero_weight_on_shared_edges() -> None:
    ckpt = make_checkpoint(hidden=(8, 4), percent=50)
    hist = analyze.weight_histograms(ckpt, bins=21, limit=0.2)
    assert len(hist["edges"]) == 22 and hist["edges"][0] == -0.2
    nonzero = {layer: int(ckpt.model.get_submodule(layer).weight.count_nonzero()) for layer in ("fc1", "fc2", "fc3")}
    for layer, n in nonzero.items():
        assert hist["counts"][layer].sum() == n
    assert hist["counts"]["all"].sum() == sum(nonzero.values())


def test_fc1_maps() -> None:
    ckpt = make_checkpoint(hidden=(5, 4), percent=60)
    fields = analyze.receptive_fields(ckpt, [0, 4])
    assert fields.shape == (2, 28, 28)
    np.testing.assert_array_equal(fields[1].reshape(-1), ckpt.model.fc1.weight[4].detach().numpy())
    per_pixel = analyze.pixel_connections(ckpt)
    assert per_pixel.shape == (28, 28)
    assert per_pixel.sum() == int(ckpt.masks["fc1.weight"].sum())
    assert per_pixel.reshape(-1)[10] == int(ckpt.masks["fc1.weight"][:, 10].sum())
    with pytest.raises(UserError):
        analyze.receptive_fields(ckpt, [5])


def test_test_index_and_class_means() -> None:
    data = tiny_mnist()
    assert analyze.test_index(data.test, digit=4, index=0) == 4  # first test labels: 7 2 1 0 4
    assert data.test.labels[analyze.test_index(data.test, digit=1, index=1)] == 1
    with pytest.raises(UserError, match="digit"):
        analyze.test_index(data.test, digit=11)
    with pytest.raises(UserError, match="index"):
        analyze.test_index(data.test, digit=4, index=10_000)
    ckpt = make_checkpoint(hidden=(6, 4))
    means = analyze.class_mean_active(ckpt, data.test)
    h1 = torch.relu(ckpt.model.fc1(data.test.images))
    sevens = data.test.labels == 7
    assert means["fc1"][7] == pytest.approx(float((h1[sevens] > 0).sum(1).float().mean()))
    assert len(means["fc2"]) == 10


def test_bad_images_are_refused() -> None:
    ckpt = make_checkpoint()
    with pytest.raises(UserError, match="28x28"):
        analyze.inspect_pixels(ckpt, np.zeros((27, 28)))
    with pytest.raises(UserError, match="between 0 and 255"):
        analyze.inspect_pixels(ckpt, np.full((28, 28), 300))


def test_a_dropout_model_left_in_training_mode_answers_the_same_every_time() -> None:
    # train() leaves its model in training mode; analysis once ran with dropout on (random counts each call).
    torch.manual_seed(3)
    model = LeNet300100(ModelSettings(hidden=(40, 20), dropout=0.5))
    ckpt = Checkpoint(model=model, masks=Masks.dense(model), recipe=preset("seed"))
    model.train()
    test = tiny_mnist(train=1, test=64).test
    pixels = test.pixels[0].numpy()
    first, again = (analyze.inspect_pixels(ckpt, pixels, bias_free=True) for _ in range(2))
    assert first["active"] == again["active"] and first["active_bias_free"] == again["active_bias_free"]
    assert np.array_equal(first["probabilities"], again["probabilities"])
    assert analyze.class_mean_active(ckpt, test) == analyze.class_mean_active(ckpt, test)
    assert torch.equal(predict(model, test.images), predict(model, test.images))
    with torch.no_grad():  # and it is the whole network: eval mode, exactly the plain forward pass
        expected = torch.relu(model.fc1(test.images[:1]))
    assert first["active"]["fc1"] == int((expected > 0).sum())
    assert model.training  # the caller's mode is restored
