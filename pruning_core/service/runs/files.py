"""One run directory's files, read and written (``RunFiles``); ``store.py`` adds the disk limits and the
lifecycle, ``retention.py`` the clean-up. Reads never raise for damaged files: a run is shown, with what could be
read.

A run directory is named ``YYYYMMDD-HHMMSS-micros-xxxx`` (its creation time, to the microsecond, so names sort by
age; then a random suffix) and holds:

* ``config.json``   what was asked (kind, title, settings, owner token, creation time); written once;
* ``status.json``   queued / running / done / failed / cancelled / interrupted, its reason, the server's pid;
* ``metrics.jsonl`` progress events and one ``{"kind": "step", ...}`` record per completed step, append-only;
* ``step-NN.pt``    the checkpoint after each completed step (``checkpoint.save``: atomic).
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path

from ... import atomic, checkpoint, lab, paths
from ...checkpoint import Checkpoint
from ...errors import UserError
from .records import JobStatus

RUN_ID = re.compile(r"\d{8}-\d{6}-\d{6}-[0-9a-f]{4}")
STEP_CACHE = 64  # decoded step checkpoints kept per server (a LeNet-300-100 step is ~1.4 MB)

_decoded: OrderedDict[tuple[str, int], Checkpoint] = OrderedDict()
_decoded_lock = threading.Lock()  # page runs of different students are threads of one server


class RunFiles:
    """One run directory's files. Reads never raise for damaged files: a run is shown, with what could be read."""

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

    def write_step(self, ckpt: Checkpoint) -> int:
        """Save ``ckpt`` as the next step and log its summary, with no disk limit checked (``store.Run.save_step``
        checks them first); return the step's index."""
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
        """Step ``index``'s checkpoint (``read_step``: decoded once per server)."""
        if index not in self.steps():
            raise UserError(f"run {self.id} has no step {index}")
        loaded = read_step(self.id, index, self.path / paths.run_step_file(index))
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


def read_step(run_id: str, index: int, path: Path) -> Checkpoint:
    """Step ``index`` of run ``run_id``, read from ``path`` (the run's file, or a session's link to it) and decoded
    once per server while it is among the ``STEP_CACHE`` most recently used (a step file never changes once
    saved). Each caller gets its own record (origin, accuracy, history) around the shared weights and masks,
    which nobody modifies: a prune step works on a copy."""
    key = (run_id, index)
    with _decoded_lock:
        held = _decoded.get(key)
        if held is not None:
            _decoded.move_to_end(key)
    if held is None:
        held = checkpoint.load(str(path))
        with _decoded_lock:
            _decoded[key] = held
            while len(_decoded) > STEP_CACHE:
                _decoded.popitem(last=False)
    return dataclasses.replace(held, history=list(held.history))


def all_run_dirs() -> list[RunFiles]:
    """Every run directory, newest first."""
    root = paths.runs_dir()
    if not root.is_dir():
        return []
    return [RunFiles(p) for p in sorted(root.iterdir(), reverse=True) if RUN_ID.fullmatch(p.name) and p.is_dir()]


def _entries(path: Path) -> list[os.DirEntry]:
    """A directory's entries, or none if it is gone (another session may delete a run while we look)."""
    try:
        with os.scandir(path) as listing:
            return list(listing)
    except OSError:
        return []


def file_size(path: Path) -> int:
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
