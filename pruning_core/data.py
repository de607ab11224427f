"""MNIST, offline: the embedded IDX files -> one normalized tensor per split, resident on the device.

The package ships the original gzip-compressed IDX files (Y. LeCun, C. Cortes, C. Burges; CC BY-SA 3.0).
They are checked against known sha256 sums, decompressed once into the cache directory, and read with
torchvision's own MNIST reader. Each split then lives as a single (N, 784) float tensor, already normalized
with the MNIST mean/std, so training needs no per-sample transform and no DataLoader.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch
from torchvision.datasets import MNIST

from . import atomic, paths
from .errors import UserError
from .settings import MNIST_MEAN, MNIST_STD

# sha256 of the shipped .gz and of the IDX file inside it (from shared/datasets/mnist/README.md).
MNIST_FILES = {
    "train-images-idx3-ubyte": ("0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
                                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte": ("1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
                                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte": ("1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
                               "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte": ("b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
                               "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}


@dataclass(frozen=True)
class Split:
    """One MNIST split. ``images`` is normalized (N, 784) on the device; ``pixels`` the raw uint8 images."""

    images: torch.Tensor
    labels: torch.Tensor
    pixels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Mnist:
    train: Split
    test: Split


def resolve_device(name: str | None = None) -> torch.device:
    """'auto' (or None) picks cuda when present, else cpu; an explicit name is checked."""
    if name in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise UserError(f"unknown device {name!r}; use auto, cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' was asked for but no CUDA GPU is available; use --device cpu")
    if device.type not in ("cpu", "cuda"):
        raise UserError(f"unsupported device {name!r}; use auto, cpu or cuda")
    return device


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def prepare_embedded(source_dir: Path = paths.MNIST_ASSETS_DIR, cache: Path | None = None) -> Path:
    """Verify the shipped .gz files and decompress them (once) into a torchvision MNIST root; return it."""
    root = (cache or paths.cache_dir()) / "mnist"
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, (gz_sum, idx_sum) in MNIST_FILES.items():
        gz = source_dir / f"{name}.gz"
        if not gz.is_file():
            raise UserError(f"MNIST file {gz} is missing; reinstall Prune Lab")
        if sha256_of(gz) != gz_sum:
            raise UserError(f"MNIST file {gz} is corrupt (sha256 mismatch); restore it from the repository")
        target = raw / name
        if target.is_file() and sha256_of(target) == idx_sum:
            continue
        with gzip.open(gz, "rb") as src:
            raw_bytes = src.read()
        if hashlib.sha256(raw_bytes).hexdigest() != idx_sum:
            raise UserError(f"MNIST file {gz} decompresses to unexpected bytes; restore it from the repository")
        atomic.write_bytes(target, raw_bytes)  # a crash never leaves a half-written file behind
    return root


def _read_split(root: Path, train: bool, device: torch.device) -> Split:
    try:
        dataset = MNIST(str(root), train=train, download=False)
    except RuntimeError as err:  # torchvision: "Dataset not found. You can use download=True ..."
        raise UserError(f"no MNIST dataset under {root} (expected {root}/MNIST/raw/*-ubyte): {err}") from None
    pixels = dataset.data.contiguous()
    images = (pixels.reshape(len(pixels), -1).float().div_(255.0) - MNIST_MEAN) / MNIST_STD
    return Split(images=images.to(device), labels=dataset.targets.to(device), pixels=pixels)


def load_mnist(device: str | torch.device | None = None, root: str | None = None) -> Mnist:
    """Both splits on ``device``. ``root`` (default: ``$PRUNE_LAB_MNIST_ROOT``) is another torchvision MNIST
    root to use instead of the embedded copy. Cached per process: the dataset exists once however many
    callers ask."""
    root = root or paths.mnist_root_override()
    return _load_cached(str(resolve_device(None if device is None else str(device))), root)


@functools.lru_cache(maxsize=4)
def _load_cached(device: str, root: str | None) -> Mnist:
    source = Path(root).expanduser() if root else prepare_embedded()
    dev = torch.device(device)
    return Mnist(train=_read_split(source, True, dev), test=_read_split(source, False, dev))
