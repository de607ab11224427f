"""The one place that knows where Prune Lab's files live.

* assets (read-only, shipped in the package): the MNIST .gz files and the built-in checkpoints;
* the cache (decompressed MNIST for torchvision's reader): ``$PRUNE_LAB_CACHE`` or ``~/.cache/prune-lab``;
* runs (the dashboard's and CLI's run directories): ``$PRUNE_LAB_RUNS`` or ``<repo>/runs``;
* another torchvision MNIST root to use instead of the embedded copy: ``$PRUNE_LAB_MNIST_ROOT``.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import UserError

PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = PACKAGE_DIR / "assets"
MNIST_ASSETS_DIR = ASSETS_DIR / "mnist"
CHECKPOINTS_DIR = ASSETS_DIR / "checkpoints"
EXPERIMENTS_DIR = ASSETS_DIR / "experiments"

# Names accepted wherever a checkpoint path is: name -> file under CHECKPOINTS_DIR.
BUILTIN_CHECKPOINTS = {
    "baseline": "baseline.pt",
    "baseline-paper": "baseline-paper.pt",
    "paper-92": "paper-92.pt",  # Han et al.'s LeNet-300-100 point, made by `python -m pruning_core report`
    "paper-98": "paper-98.pt",  # the 50x moonshot, made by the same command
}


def cache_dir() -> Path:
    """Where decompressed dataset files go (created on demand)."""
    return Path(os.environ.get("PRUNE_LAB_CACHE", Path.home() / ".cache" / "prune-lab"))


def runs_dir() -> Path:
    """Where run directories go (created on demand)."""
    return Path(os.environ.get("PRUNE_LAB_RUNS", PACKAGE_DIR.parent / "runs"))


def mnist_root_override() -> str | None:
    """A torchvision MNIST root (``ROOT/MNIST/raw/*-ubyte``) to read instead of the embedded files."""
    return os.environ.get("PRUNE_LAB_MNIST_ROOT") or None


def builtin_checkpoint(name: str) -> Path | None:
    """The shipped file for a built-in checkpoint name, or None if ``name`` is not one."""
    file = BUILTIN_CHECKPOINTS.get(name)
    return CHECKPOINTS_DIR / file if file else None


def expand(text: str | Path) -> Path:
    """A user-given path with ``~`` expanded; ``~nobody/...`` is a one-line error, not a RuntimeError."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise UserError(f"cannot expand {str(text)[:60]!r}: no such user's home directory") from None
