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
``recover()`` (once per server process) turns runs left queued/running by a dead server into "interrupted";
runs, staging directories and temp files of another live server sharing the directory are left alone.

Disk use is bounded by ``KEEP_RUNS`` / ``MAX_TOTAL_BYTES`` and ``MAX_RUN_BYTES`` per run, fairly: a new run
first evicts its own owner's oldest finished runs beyond ``KEEP_PER_OWNER``, and when the totals are exceeded
the oldest finished runs of whoever is above a fair share go first - one student's many runs never evict a
classmate's. The byte cap is checked again before every step is saved (runs grow after they are created).
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
from .records import JobStatus

KEEP_RUNS = 200                    # newest runs kept; a class of 30 doing 6 runs each fits
KEEP_PER_OWNER = 20                # one owner's runs; beyond this a new run evicts that owner's oldest
STAGING_GRACE_S = 600              # a staging directory whose maker cannot be told is removed after this
MAX_TOTAL_BYTES = 2 * 1024 ** 3    # all runs together (a one-step run is ~1.4 MB, a full schedule ~17 MB)
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
        _write_json(self.path / paths.RUN_STATUS,
                    {"status": status, "reason": reason, "updated": time.time(), "pid": os.getpid()})

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
        enforce_limits(owner=self.config().get("owner", ""), add_bytes=expected)
        if total_bytes() + expected > MAX_TOTAL_BYTES:
            raise UserError(f"the server's run storage is full ({MAX_TOTAL_BYTES // 2**30} GB, all of it in "
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
        enforce_limits(owner=owner, add_runs=1)
        now = time.time()
        run_id = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}-{int(now % 1 * 1e6):06d}-{secrets.token_hex(2)}"
        staging = Path(tempfile.mkdtemp(dir=root, prefix=".new-"))
        _write_json(staging / paths.RUN_CONFIG, {"kind": kind, "title": title, "settings": settings, "owner": owner,
                                              "created": now})
        Run(staging).set_status(JobStatus.QUEUED)
        os.chmod(staging, 0o755)  # mkdtemp makes it private; runs are ordinary files of the server's user
        os.rename(staging, root / run_id)
    except OSError as err:
        raise UserError(f"could not record the run on the server's disk ({err.strerror or err})") from None
    return Run(root / run_id)


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


def recover() -> list[str]:
    """Once per server start: runs left queued/running by a server that is gone become "interrupted" (with the
    log line of a step whose checkpoint was saved just before the kill); their leftover temp files and stale
    staging directories are removed. Anything of another live server sharing this runs directory is left
    alone, and a run that cannot be changed (a read-only disk) is skipped, never raised: recovery must not
    stop the server from starting."""
    changed = []
    root = paths.runs_dir()
    if not root.is_dir():
        return changed
    for staging in root.glob(".new-*"):
        if not _in_use_elsewhere(Run(staging).status(), staging):
            shutil.rmtree(staging, ignore_errors=True)
    for run in all_runs():
        status = run.status()
        if _alive_elsewhere(status.get("pid")):
            continue
        try:
            for tmp in run.path.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
            if status["status"].active:
                run.repair()
                run.set_status(JobStatus.INTERRUPTED, f"the server stopped while this run was {status['status']}; "
                                                      "its completed steps are kept")
                changed.append(run.id)
        except (OSError, UserError) as err:
            print(f"prune-lab: could not recover run {run.id}: {err}", flush=True)
    return changed


def total_bytes() -> int:
    return sum(run.size() for run in all_runs())


def enforce_limits(keep: int | None = None, max_bytes: int | None = None, owner: str = "",
                   owner_keep: int | None = None, add_runs: int = 0, add_bytes: int = 0) -> list[str]:
    """Delete finished runs until ``add_runs`` more runs of ``owner`` and ``add_bytes`` more bytes fit:
    first ``owner``'s own oldest beyond ``owner_keep``, then, while the totals (``keep`` runs, ``max_bytes``)
    are exceeded, the oldest finished run of the heaviest owner above a fair share of the disk (else of
    ``owner``). Active runs are never deleted; what cannot be made room for is the caller's to refuse.
    Limits left None are the module's (read at call time)."""
    keep = KEEP_RUNS if keep is None else keep
    max_bytes = MAX_TOTAL_BYTES if max_bytes is None else max_bytes
    owner_keep = KEEP_PER_OWNER if owner_keep is None else owner_keep
    infos = [(run, run.config().get("owner", ""), run.size()) for run in reversed(all_runs())]  # oldest first
    finished = [info for info in infos if not info[0].status()["status"].active]
    count, total, deleted = len(infos) + add_runs, sum(size for _, _, size in infos) + add_bytes, []
    usage: dict[str, int] = {}
    for _, who, size in infos:
        usage[who] = usage.get(who, 0) + size
    own = sum(who == owner for _, who, _ in infos) + add_runs

    def evict(info: tuple[Run, str, int]) -> None:
        nonlocal count, total
        shutil.rmtree(info[0].path, ignore_errors=True)
        finished.remove(info)
        count, total, usage[info[1]] = count - 1, total - info[2], usage[info[1]] - info[2]
        deleted.append(info[0].id)

    while own > owner_keep and (mine := [info for info in finished if info[1] == owner]):
        evict(mine[0])
        own -= 1
    held = {who: sum(w == who for _, w, _ in infos) for who in usage}
    while count > keep or total > max_bytes:
        # Whoever is above a fair share (of the bytes or of the run count, whichever is exceeded) pays first,
        # heaviest first, active runs counted; an owner within their share loses runs only to their own.
        measure, limit = (usage, max_bytes) if total > max_bytes else (held, keep)
        fair_share = limit / max(1, len(measure))
        over = {who for _, who, _ in finished if measure[who] > fair_share} or {who for _, who, _ in finished
                                                                              if who == owner}
        if not over:
            break
        heaviest = max(over, key=lambda who: measure[who])
        evict(next(info for info in finished if info[1] == heaviest))
        held[heaviest] -= 1
    return deleted


def _in_use_elsewhere(status: dict, path: Path) -> bool:
    """A staging directory another live process is filling (or one too young to tell, mid-write)."""
    if _alive_elsewhere(status.get("pid")):
        return True
    try:
        return status.get("reason") == "status file unreadable" and time.time() - path.stat().st_mtime < STAGING_GRACE_S
    except OSError:
        return False


def _alive_elsewhere(pid: object) -> bool:
    """True if ``pid`` is another process that is still running (another server sharing this runs directory)."""
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def _write_json(path: Path, value: dict) -> None:
    atomic.write_json(path, value)
