"""The embedded MNIST: byte-exact, read by torchvision, normalized once, corruption detected."""
from __future__ import annotations

import shutil

import pytest

from pruning_core import paths
from pruning_core.data import load_mnist, prepare_embedded, resolve_device
from pruning_core.errors import UserError


def test_splits_are_real_mnist_normalized_in_memory() -> None:
    data = load_mnist("cpu")
    assert data.train.images.shape == (60000, 784) and data.test.images.shape == (10000, 784)
    assert data.train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert data.test.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert abs(float(data.train.images.mean())) < 1e-3
    assert abs(float(data.train.images.std()) - 1.0) < 1e-3
    assert load_mnist("cpu") is data  # loaded once per process


def test_corrupt_file_is_detected(tmp_path) -> None:
    source = tmp_path / "assets"
    shutil.copytree(paths.MNIST_ASSETS_DIR, source)
    victim = source / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(victim.read_bytes())
    data[100] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(UserError, match="t10k-labels-idx1-ubyte.gz is corrupt"):
        prepare_embedded(source, cache=tmp_path / "cache")


def test_missing_file_and_bad_root_are_clear_errors(tmp_path) -> None:
    source = tmp_path / "assets"
    source.mkdir()
    with pytest.raises(UserError, match="missing"):
        prepare_embedded(source, cache=tmp_path / "cache")
    with pytest.raises(UserError, match="no MNIST dataset"):
        load_mnist("cpu", root=str(tmp_path / "nowhere"))


def test_another_torchvision_root_can_be_used(tmp_path, monkeypatch) -> None:
    root = prepare_embedded(cache=tmp_path)
    data = load_mnist("cpu", root=str(root))
    assert len(data.train) == 60000 and data.test.labels[0] == 7
    monkeypatch.setenv("PRUNE_LAB_MNIST_ROOT", str(tmp_path / "elsewhere"))
    with pytest.raises(UserError, match="elsewhere"):
        load_mnist("cpu")


def test_device_selection() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(UserError):
        resolve_device("tpu")
