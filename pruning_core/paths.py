"""The one place that knows where Prune Lab's files live.

* assets (read-only, shipped in the package): the MNIST .gz files and the built-in checkpoints;
* the cache (decompressed MNIST for torchvision's reader): ``$PRUNE_LAB_CACHE`` or ``~/.cache/prune-lab``;
* runs (the dashboard's and CLI's run directories): ``$PRUNE_LAB_RUNS``, else ``<repo>/runs`` in a checkout
  and ``$XDG_DATA_HOME/prune-lab/runs`` (``~/.local/share/...``) for an installed package;
* another torchvision MNIST root to use instead of the embedded copy: ``$PRUNE_LAB_MNIST_ROOT``;
* stored experiment results: ``$PRUNE_LAB_EXPERIMENTS`` or the shipped ``assets/experiments``;
* students' sessions (their lines of steps): ``$PRUNE_LAB_SESSIONS`` or ``<runs>/sessions``, and the class
  board of shared lines (one SQLite file) inside it;
* the Chromium binary that browser tests, load tests and figure export drive: ``$PRUNE_LAB_CHROMIUM``.
* where jobs and sweeps run: ``$PRUNE_LAB_EXECUTOR`` (``local`` or ``ray``; Ray reads its own ``RAY_ADDRESS``).
* the teacher's key that moderates the class board: ``$PRUNE_LAB_TEACHER_KEY`` (random per server if unset).

It also names the files inside a run directory, so no other module spells them.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import UserError

PACKAGE_DIR = Path(__file__).resolve().parent
APP_DIR = PACKAGE_DIR.parent  # the repository root in a checkout (app.py, views/); site-packages when installed
ASSETS_DIR = PACKAGE_DIR / "assets"
MNIST_ASSETS_DIR = ASSETS_DIR / "mnist"
CHECKPOINTS_DIR = ASSETS_DIR / "checkpoints"
EXPERIMENTS_DIR = ASSETS_DIR / "experiments"

# Environment variables (every PRUNE_LAB_* setting the project reads).
ENV_CACHE = "PRUNE_LAB_CACHE"
ENV_RUNS = "PRUNE_LAB_RUNS"
ENV_MNIST_ROOT = "PRUNE_LAB_MNIST_ROOT"
ENV_EXPERIMENTS = "PRUNE_LAB_EXPERIMENTS"
ENV_CHROMIUM = "PRUNE_LAB_CHROMIUM"
ENV_SESSIONS = "PRUNE_LAB_SESSIONS"  # students' saved lines of steps (service/sessions/store.py)
ENV_EXECUTOR = "PRUNE_LAB_EXECUTOR"  # where jobs and sweeps run: local (default) or ray (service/executors)
ENV_TEACHER_KEY = "PRUNE_LAB_TEACHER_KEY"  # the teacher's key for the Class page (service/classroom/teacher.py)

# Files inside one run directory (service/runs/files.py).
RUN_CONFIG = "config.json"       # what was asked: kind, title, settings, owner
RUN_STATUS = "status.json"       # queued / running / done / failed / cancelled / interrupted, with a reason
RUN_METRICS = "metrics.jsonl"    # append-only progress events and step records
RUN_STEP_FILE = re.compile(r"step-(\d{2,})\.pt")  # the checkpoint after each completed step


# Files of the session store (service/sessions/store.py): one directory per owner, one per line inside it.
SESSION_FILE = "session.json"    # the owner's lines (start, steps, names) and which one is open
LINE_START = "start.pt"          # a line's own copy of its starting model (not for shipped checkpoints)
CLASS_BOARD = "class-board.sqlite3"  # the lines students share with the class (service/classroom/board.py)


def run_step_file(index: int) -> str:
    """The checkpoint file of a run's completed step ``index`` (``step-01.pt`` ...)."""
    return f"step-{index:02d}.pt"

# Names accepted wherever a checkpoint path is: name -> file under CHECKPOINTS_DIR.
BUILTIN_CHECKPOINTS = {
    "baseline": "baseline.pt",
    "baseline-paper": "baseline-paper.pt",
    "paper-92": "paper-92.pt",  # Han et al.'s point: `python -m pruning_core.research.protocol final 53113`
    "paper-98": "paper-98.pt",  # 50x weights only: `python -m pruning_core.research.protocol final3 53113`
    "paper-68x": "paper-68x.pt",  # 68x weights only (Sparse VD's units): `... protocol final3 53113`
    "lenet5-92": "lenet5-92.pt",  # LeNet-5 at 92 %: `python -m pruning_core.research.protocol lenet5 53113`
}


def cache_dir() -> Path:
    """Where decompressed dataset files go (created on demand)."""
    return Path(os.environ.get(ENV_CACHE, Path.home() / ".cache" / "prune-lab"))


def runs_dir() -> Path:
    """Where run directories go (created on demand). An installed package never writes into site-packages."""
    if os.environ.get(ENV_RUNS):
        return Path(os.environ[ENV_RUNS])
    if (APP_DIR / "app.py").is_file():  # a checkout: beside the dashboard, as `make run` expects
        return APP_DIR / "runs"
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "prune-lab" / "runs"


def sessions_dir() -> Path:
    """Where students' sessions are kept: ``$PRUNE_LAB_SESSIONS`` or ``sessions`` inside the runs directory
    (so a server restarted on the same runs directory finds them)."""
    return Path(os.environ.get(ENV_SESSIONS, runs_dir() / "sessions"))


def class_board_file() -> Path:
    """The class board's SQLite file: beside the sessions whose lines it lists."""
    return sessions_dir() / CLASS_BOARD


def mnist_root_override() -> str | None:
    """A torchvision MNIST root (``ROOT/MNIST/raw/*-ubyte``) to read instead of the embedded files."""
    return os.environ.get(ENV_MNIST_ROOT) or None


def experiments_dir() -> Path:
    """Where the stored experiment results are read and written."""
    return Path(os.environ.get(ENV_EXPERIMENTS, EXPERIMENTS_DIR))


def chromium() -> str:
    """The Chromium executable (Debian's package by default; Playwright's own browser download is never used)."""
    return os.environ.get(ENV_CHROMIUM, "/usr/bin/chromium")


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
