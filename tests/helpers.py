"""Small shared builders for the engine tests: tiny datasets and hand-made models."""
from __future__ import annotations

import torch

from pruning_core.data import Mnist, Split, load_mnist
from pruning_core.masks import Masks
from pruning_core.models import LeNet300100
from pruning_core.settings import ModelSettings


def subset(split: Split, n: int) -> Split:
    return Split(images=split.images[:n], labels=split.labels[:n], pixels=split.pixels[:n])


def tiny_mnist(train: int = 512, test: int = 256) -> Mnist:
    """The first few real MNIST images: enough to exercise training without the cost of an epoch."""
    full = load_mnist("cpu")
    return Mnist(train=subset(full.train, train), test=subset(full.test, test))


def random_model(hidden: tuple[int, int] = (300, 100), seed: int = 0) -> LeNet300100:
    torch.manual_seed(seed)
    return LeNet300100(ModelSettings(hidden=hidden))


def weights_of(model: LeNet300100) -> dict[str, torch.Tensor]:
    params = dict(model.named_parameters())
    return {name: params[name] for name in Masks.dense(model)}
