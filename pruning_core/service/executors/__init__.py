"""Executors: where jobs and sweeps run. ``create()`` picks one by name or by ``$PRUNE_LAB_EXECUTOR``.

``local`` (the default: worker processes on this machine) needs nothing beyond Prune Lab; ``ray`` needs
``requirements-cluster.txt`` and is imported only when chosen.
"""
from __future__ import annotations

import os

from ... import paths
from ...errors import UserError
from .base import Context, Executor, Handle, Update, WorkerLost
from .local import LocalExecutor

NAMES = ("local", "ray")

__all__ = ["NAMES", "Context", "Executor", "Handle", "LocalExecutor", "Update", "WorkerLost", "create",
           "configured"]


def configured() -> str:
    """The executor named by ``$PRUNE_LAB_EXECUTOR`` (``local`` when unset)."""
    return os.environ.get(paths.ENV_EXECUTOR, "").strip() or "local"


def create(name: str | None = None, slots: int = 1, threads: int = 1) -> Executor:
    """A new executor: ``local`` runs ``slots`` works at once in as many worker processes of this machine,
    each on ``threads`` intra-op threads; ``ray`` one work per ``threads`` CPUs of the cluster, on as many
    threads (``RAY_ADDRESS`` unset: a local Ray instance on this machine's CPUs)."""
    name = name or configured()
    if name == "local":
        return LocalExecutor(slots, threads)
    if name == "ray":
        try:
            from .ray_executor import RayExecutor
        except ImportError:
            raise UserError("executor 'ray' needs Ray: pip install -r requirements-cluster.txt") from None
        return RayExecutor(threads)
    raise UserError(f"unknown executor {name!r} (from ${paths.ENV_EXECUTOR} or --executor); use local or ray")
