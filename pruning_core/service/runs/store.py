"""Run directories: every dashboard job is recorded on disk, so nothing is lost when a tab closes or the
server restarts. ``Run`` is one of them (its files: ``files.py``) with the disk limits checked before every step.

One directory per run under ``paths.runs_dir()``. A run directory appears whole or not at all (its files are
written in a hidden ``.new-*`` directory that is then renamed into place), every JSON rewrite goes through a temp
file and ``os.replace``, and the metrics log is only appended to - a server killed mid-write leaves at most a
torn last line, which readers skip. Recovery after a crash and the disk limits (fair per owner, checked when a
run is made and before every step is saved) are in ``retention.py``.
"""
from __future__ import annotations

import errno
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from ... import atomic, paths
from ...checkpoint import Checkpoint
from ...errors import UserError
from . import retention
from .files import RUN_ID, RunFiles, all_run_dirs, file_size
from .records import JobStatus

# Free space a step leaves on the disk: the run's log and status, the students' sessions and settings.
FREE_HEADROOM_BYTES = 16 * 1024 ** 2

__all__ = ["FREE_HEADROOM_BYTES", "RUN_ID", "Run", "all_runs", "create", "delete", "get", "reopen"]


class Run(RunFiles):
    """One run directory whose steps are saved within the disk limits."""

    def save_step(self, ckpt: Checkpoint) -> int:
        """Save ``ckpt`` as the next step and log its summary; return the step's index."""
        size = self.size()
        if size > retention.MAX_RUN_BYTES:
            raise UserError(f"this run reached its disk limit ({retention.MAX_RUN_BYTES // 2**20} MB); start a new run")
        # A step is about as large as the last one (or the run's JSON files, for the first): room for it first.
        steps = self.steps()
        expected = file_size(self.path / paths.run_step_file(steps[-1])) if steps else 2 * 1024 ** 2
        retention.enforce_limits(owner=self.config().get("owner", ""), add_bytes=expected)
        if retention.total_bytes() + expected > retention.MAX_TOTAL_BYTES:
            raise UserError(f"the server's run storage is full ({retention.MAX_TOTAL_BYTES // 2**30} GB, all of it in "
                            "runs still in progress); try again when some have finished")
        # The disk itself, whatever the limits allow: a step that cannot fit with room to spare for the records
        # written after it fails here, before a byte of it is written (the job says the disk is full).
        if shutil.disk_usage(self.path).free < expected + FREE_HEADROOM_BYTES:
            raise OSError(errno.ENOSPC, "too little free space to save this step", str(self.path))
        return self.write_step(ckpt)


def create(kind: str, title: str, settings: dict, owner: str = "") -> Run:
    """A new run directory with its config and status "queued", made room for by the retention limits."""
    root = paths.runs_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        retention.enforce_limits(owner=owner, add_runs=1)
        now = time.time()
        run_id = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}-{int(now % 1 * 1e6):06d}-{secrets.token_hex(2)}"
        staging = Path(tempfile.mkdtemp(dir=root, prefix=".new-"))
        atomic.write_json(staging / paths.RUN_CONFIG, {"kind": kind, "title": title, "settings": settings,
                                                       "owner": owner, "created": now})
        Run(staging).set_status(JobStatus.QUEUED)
        os.chmod(staging, 0o755)  # mkdtemp makes it private; runs are ordinary files of the server's user
        os.rename(staging, root / run_id)
    except OSError as err:
        raise UserError(f"could not record the run on the server's disk ({err.strerror or err})") from None
    return Run(root / run_id)


def reopen(run_id: str) -> Run:
    """A finished run takes the next job of the same line of work: its steps go on where they stopped, so Runs
    and Compare show the line as one curve, not single dots."""
    run = get(run_id)
    if run.status()["status"].active:
        raise UserError("this run is still queued or running")
    run.set_status(JobStatus.QUEUED)
    return run


def get(run_id: str) -> Run:
    """The run named ``run_id``; only well-formed ids are accepted, so no name can point outside runs_dir."""
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise UserError(f"no run named {str(run_id)[:40]!r}")
    run = Run(paths.runs_dir() / run_id)
    if not run.path.is_dir():
        raise UserError(f"run {run_id} does not exist (deleted, or removed to stay within the disk limit)")
    return run


def all_runs() -> list[Run]:
    """Every run, newest first."""
    return [Run(run.path) for run in all_run_dirs()]


def delete(run: Run) -> None:
    """Remove a finished run (an active one must be cancelled first)."""
    if run.status()["status"].active:
        raise UserError("this run is still queued or running; cancel it before deleting it")
    shutil.rmtree(run.path, ignore_errors=True)
