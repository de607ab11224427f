"""Run directories: every dashboard job is recorded on disk, so nothing is lost when a tab closes or the
server restarts.

One directory per run under ``paths.runs_dir()``, named ``YYYYMMDD-HHMMSS-micros-xxxx`` (its creation time,
to the microsecond, so names sort by age; then a random suffix):

* ``config.json``   what was asked (kind, title, settings, owner token, creation time); written once;
* ``status.json``   queued / running / done / failed / cancelled / interrupted, its reason, the server's pid;
* ``metrics.jsonl`` progress events and one ``{"kind": "step", ...}`` record per completed step, append-only;
* ``step-NN.pt``    the checkpoint after each completed step (``checkpoint.save``: atomic).

A run directory appears whole or not at all (its files are written in a hidden ``.new-*`` directory that is
then renamed into place), every JSON rewrite goes through a temp file and ``os.replace``, and the metrics
log is only appended to - a server killed mid-write leaves at most a torn last line, which readers skip.
Recovery after a crash and the disk limits (fair per owner, checked when a run is made and before every step
is saved) are in ``upkeep.py``; one run stops at ``MAX_RUN_BYTES``.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from .. import atomic, checkpoint, lab, paths
from ..checkpoint import Checkpoint
from ..errors import UserError
from . import upkeep
from .records import JobStatus

MAX_RUN_BYTES = 64 * 1024 ** 2     # one run: a 12-step schedule is ~17 MB; far beyond means something is wrong
RUN_ID = re.compile(r"\d{8}-\d{6}-\d{6}-[0-9a-f]{4}")


class Run:
    """One run directory. Reads never raise for damaged files: a run is shown, with what could be read."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def id(self) -> str:
        return self.path.name

    def config(self) -> dict:
        return _read_json(self.path / paths.RUN_CONFIG) or {}

    def status(self) -> dict:
        """``{"status": JobStatus, "reason", "updated", "pid"}`` as stored (an unknown status reads as failed)."""
        stored = _read_json(self.path / paths.RUN_STATUS) or {"status": "failed", "reason": "status file unreadable"}
        return {**stored, "status": JobStatus.parse(stored.get("status"))}

    def set_status(self, status: JobStatus, reason: str = "") -> None:
        atomic.write_json(self.path / paths.RUN_STATUS,
                          {"status": status, "reason": reason, "updated": time.time(), "pid": os.getpid()})

    def retitle(self, title: str) -> None:
        """Name the run after the line of work it holds ("baseline -> 90 % -> 95 %"); config.json is rewritten
        atomically."""
        config = self.config()
        if config and config.get("title") != title:
            atomic.write_json(self.path / paths.RUN_CONFIG, {**config, "title": title})

    def log(self, event: dict) -> None:
        """Append one event to the metrics log (one line; a crash can only tear the last one)."""
        line = (json.dumps(event, default=float) + "\n").encode()
        with open(self.path / paths.RUN_METRICS, "ab+") as f:
            end = f.seek(0, os.SEEK_END)
            if end:  # after a torn line, start a fresh one rather than glue this event onto it
                f.seek(end - 1)
                line = line if f.read(1) == b"\n" else b"\n" + line
            f.write(line)

    def metrics(self) -> list[dict]:
        try:
            lines = (self.path / paths.RUN_METRICS).read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        events = []
        for line in lines:
            try:
                events.append(json.loads(line))
            except ValueError:  # a torn last line from a killed server
                continue
        return events

    def steps(self) -> list[int]:
        """Indices of the completed steps on disk (1-based, ascending)."""
        found = (paths.RUN_STEP_FILE.fullmatch(entry.name) for entry in _entries(self.path))
        return sorted(int(m.group(1)) for m in found if m)

    def save_step(self, ckpt: Checkpoint) -> int:
        """Save ``ckpt`` as the next step and log its summary; return the step's index."""
        size = self.size()
        if size > MAX_RUN_BYTES:
            raise UserError(f"this run reached its disk limit ({MAX_RUN_BYTES // 2**20} MB); start a new run")
        # A step is about as large as the last one (or the run's JSON files, for the first): room for it first.
        steps = self.steps()
        expected = _file_size_path(self.path / paths.run_step_file(steps[-1])) if steps else 2 * 1024 ** 2
        upkeep.enforce_limits(owner=self.config().get("owner", ""), add_bytes=expected)
        if upkeep.total_bytes() + expected > upkeep.MAX_TOTAL_BYTES:
            raise UserError(f"the server's run storage is full ({upkeep.MAX_TOTAL_BYTES // 2**30} GB, all of it in "
                            "runs still in progress); try again when some have finished")
        index = len(self.steps()) + 1
        checkpoint.save(ckpt, self.path / paths.run_step_file(index))
        self._log_step(index, ckpt)
        return index

    def _log_step(self, index: int, ckpt: Checkpoint) -> None:
        row = lab.step_table(ckpt.history[-1:])[0] if ckpt.history else {}
        self.log({"kind": "step", "index": index, "accuracy": ckpt.accuracy,
                  "sparsity": 100 * ckpt.masks.sparsity(), "row": row})

    def repair(self) -> None:
        """Log the step record of any checkpoint saved just before a kill that came ahead of its log line."""
        logged = {e.get("index") for e in self.metrics() if e.get("kind") == "step"}
        for index in self.steps():
            if index not in logged:
                try:
                    self._log_step(index, self.load_step(index))
                except UserError:  # unreadable: the step stays listed by its file, without a label
                    continue

    def load_step(self, index: int) -> Checkpoint:
        if index not in self.steps():
            raise UserError(f"run {self.id} has no step {index}")
        loaded = checkpoint.load(str(self.path / paths.run_step_file(index)))
        loaded.origin = f"run {self.id} step {index}"
        return loaded

    def size(self) -> int:
        return sum(_file_size(entry) for entry in _entries(self.path))

    def summary(self) -> dict:
        """Plain data for the Runs table."""
        config, status = self.config(), self.status()
        return {"id": self.id, "kind": config.get("kind", "?"), "title": config.get("title", "?"),
                "owner": config.get("owner", ""), "created": config.get("created", 0.0),
                "status": status["status"], "reason": status.get("reason", ""),
                "steps": len(self.steps()), "megabytes": round(self.size() / 2**20, 2)}


def create(kind: str, title: str, settings: dict, owner: str = "") -> Run:
    """A new run directory with its config and status "queued", made room for by the retention limits."""
    root = paths.runs_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        upkeep.enforce_limits(owner=owner, add_runs=1)
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
    root = paths.runs_dir()
    if not root.is_dir():
        return []
    return [Run(p) for p in sorted(root.iterdir(), reverse=True) if RUN_ID.fullmatch(p.name) and p.is_dir()]


def delete(run: Run) -> None:
    """Remove a finished run (an active one must be cancelled first)."""
    if run.status()["status"].active:
        raise UserError("this run is still queued or running; cancel it before deleting it")
    shutil.rmtree(run.path, ignore_errors=True)


def _entries(path: Path) -> list[os.DirEntry]:
    """A directory's entries, or none if it is gone (another session may delete a run while we look)."""
    try:
        with os.scandir(path) as listing:
            return list(listing)
    except OSError:
        return []


def _file_size_path(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _file_size(entry: os.DirEntry) -> int:
    try:
        return entry.stat().st_size if entry.is_file() else 0
    except OSError:
        return 0


def _read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None
