"""Upkeep of the runs directory: recovery after a crash and the disk limits, fair per owner.

``recover()`` (once per server process: ``jobs.server.job_queue``) turns runs left queued/running by a dead server
into "interrupted"; runs, staging directories and temp files of another live server sharing the directory are
left alone, and a run that cannot be changed (a read-only disk) is skipped, never raised.

Disk use is bounded by ``KEEP_RUNS`` / ``MAX_TOTAL_BYTES`` (and ``MAX_RUN_BYTES`` per run), fairly: a
new run first evicts its own owner's oldest finished runs beyond ``KEEP_PER_OWNER``, and when the totals are
exceeded the oldest finished runs of whoever is above a fair share go first - one student's many runs never
evict a classmate's. ``store.Run.save_step`` checks the byte cap again before every step (runs grow after they
are created) and refuses a step that cannot fit.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from ... import paths
from ...errors import UserError
from .files import RunFiles, all_run_dirs
from .records import JobStatus

KEEP_RUNS = 200                    # runs kept; a class of 30 doing 6 runs each fits
KEEP_PER_OWNER = 20                # one owner's runs; beyond this a new run evicts that owner's oldest
MAX_TOTAL_BYTES = 2 * 1024 ** 3    # all runs together (a one-step run is ~1.4 MB, a full schedule ~17 MB)
MAX_RUN_BYTES = 64 * 1024 ** 2     # one run: a 12-step schedule is ~17 MB; far beyond means something is wrong
STAGING_GRACE_S = 600              # a staging directory whose maker cannot be told is removed after this


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
        if not _in_use_elsewhere(RunFiles(staging).status(), staging):
            shutil.rmtree(staging, ignore_errors=True)
    for run in all_run_dirs():
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
    return sum(run.size() for run in all_run_dirs())


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
    infos = [(run, run.config().get("owner", ""), run.size()) for run in reversed(all_run_dirs())]  # oldest first
    finished = [info for info in infos if not info[0].status()["status"].active]
    count, total, deleted = len(infos) + add_runs, sum(size for _, _, size in infos) + add_bytes, []
    usage: dict[str, int] = {}
    for _, who, size in infos:
        usage[who] = usage.get(who, 0) + size
    own = sum(who == owner for _, who, _ in infos) + add_runs

    def evict(info: tuple[RunFiles, str, int]) -> None:
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
