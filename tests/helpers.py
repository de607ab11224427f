"""Small shared helpers for the tests of every layer: tiny datasets and hand-made models for the engine tests,
and waiting for a condition without asserting speed. No Streamlit and no service here: the engine tests import
this module."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

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


def wait_until(condition, what: str, deadline_s: float = 120) -> None:
    """Poll ``condition`` until it holds; the deadline only guards against hanging (nothing asserts speed)."""
    deadline = time.time() + deadline_s
    while not condition():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def fill_disk(folder: Path, leave_bytes: int = 0) -> None:
    """Fill the filesystem holding ``folder`` until at most ``leave_bytes`` are free (0: to the last byte)."""
    with open(folder / "filler", "ab", buffering=0) as filler:
        while (free := shutil.disk_usage(folder).free) > leave_bytes:
            try:
                filler.write(b"\0" * max(4096, min(free - leave_bytes, 1 << 20)))  # whole blocks
            except OSError:  # the last block: the disk is full
                break
