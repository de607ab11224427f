"""Executors: where jobs and sweeps run. ``create()`` picks one by name or by ``$PRUNE_LAB_EXECUTOR``.

``local`` (the default: worker processes on this machine) needs nothing beyond Prune Lab; ``ray`` needs
``requirements-cluster.txt`` and is imported only when chosen.
"""
from __future__ import annotations

import importlib.util
import os

from ... import paths
from ...errors import UserError
from .base import Context, Executor, Handle, Update, WorkerLost
from .local import LocalExecutor

NAMES = ("local", "ray")
NEEDS_RAY = "executor 'ray' needs Ray: pip install -r requirements-cluster.txt"

__all__ = ["NAMES", "Context", "Executor", "Handle", "LocalExecutor", "Update", "WorkerLost", "check",
           "configured", "create"]


def configured() -> str:
    """The executor named by ``$PRUNE_LAB_EXECUTOR`` (``local`` when unset)."""
    return os.environ.get(paths.ENV_EXECUTOR, "").strip() or "local"


def check(name: str | None = None) -> str:
    """The executor's name (None: the configured one), checked as ``create`` checks it but without starting
    anything: a command that creates its executor late still refuses bad input before any work."""
    name = name or configured()
    if name not in NAMES:
        raise UserError(f"unknown executor {name!r} (from ${paths.ENV_EXECUTOR} or --executor); use local or ray")
    if name == "ray" and importlib.util.find_spec("ray") is None:
        raise UserError(NEEDS_RAY)
    return name


def create(name: str | None = None, slots: int = 1, threads: int = 1) -> Executor:
    """A new executor: ``local`` runs ``slots`` works at once in as many worker processes of this machine,
    each on ``threads`` intra-op threads; ``ray`` one work per ``threads`` CPUs of the cluster, on as many
    threads (``RAY_ADDRESS`` unset: a local Ray instance on this machine's CPUs)."""
    if check(name) == "local":
        return LocalExecutor(slots, threads)
    try:
        from .ray_executor import RayExecutor
    except ImportError:  # installed but broken (a dependency of Ray missing)
        raise UserError(NEEDS_RAY) from None
    return RayExecutor(threads)
