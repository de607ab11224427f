"""The disk budgets of students' sessions (``store.py`` keeps them): every stored file counts, a start that alone
is over a student's budget is refused when it is loaded, and across students only sessions idle for days make
room - a new student never pushes a working one out; when nothing is idle, the new student is refused instead.
"""
from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ... import atomic, checkpoint, paths
from ...errors import UserError

OWNER = re.compile(r"[0-9a-f]{32}")
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class SessionLimits:
    """Bounds of the sessions on disk: per line, per owner, in all (``store.py`` keeps them)."""

    steps_per_line: int = 40               # the reference schedule is 12 steps; 40 leaves room to explore
    lines_per_owner: int = 6               # older lines of the same owner are dropped beyond this
    owner_bytes: int = 96 * 1024 ** 2      # one owner's files (a LeNet-300-100 step is ~1.4 MB)
    total_bytes: int = 8 * 1024 ** 3       # all sessions; beyond it, sessions idle for ``idle_days`` make room
    idle_days: float = 7.0                 # a session not seen for this long may go, and only beyond total_bytes


def make_room(root: Path, owner: str, total_bytes: int, idle_days: float) -> None:
    """Before the new ``owner``'s first line: while all sessions under ``root`` hold more than ``total_bytes``,
    drop the ones not seen for ``idle_days``, oldest first; still over it, refuse the new owner."""
    if not root.is_dir():
        return
    others = [d for d in root.iterdir() if OWNER.fullmatch(d.name) and d.name != owner]
    sizes = {d: folder_bytes(d) for d in others}
    idle_since = time.time() - idle_days * SECONDS_PER_DAY
    for old in sorted(others, key=last_seen):
        if sum(sizes.values()) <= total_bytes or last_seen(old) >= idle_since:
            break
        shutil.rmtree(old, ignore_errors=True)
        del sizes[old]
    if sum(sizes.values()) > total_bytes:
        raise UserError("the server's space for students' work is full; ask your teacher")


def check_start(path: Path, owner_bytes: int) -> None:
    """A line's saved start must fit the student's budget and be readable back (``checkpoint.MAX_BYTES``): a
    start no page could load would lock the student out. The caller removes it when refused."""
    size, allowed = path.stat().st_size, min(owner_bytes, checkpoint.MAX_BYTES)
    if size > allowed:
        raise UserError(f"this model takes {size / 2**20:.0f} MB on the server, more than the "
                        f"{allowed / 2**20:.0f} MB a student's work may hold; use narrower hidden layers")


def folder_bytes(folder: Path) -> int:
    """Every file under ``folder`` (a step linked to its run counts here too: the student keeps it)."""
    total = 0
    for item in folder.rglob("*"):
        try:
            total += item.stat().st_size if item.is_file() else 0
        except OSError:
            pass  # removed meanwhile
    return total


def last_seen(owner_dir: Path) -> float:
    """When the owner was last seen: their session file's time (``mark_seen`` refreshes it)."""
    try:
        return (owner_dir / paths.SESSION_FILE).stat().st_mtime
    except OSError:
        return 0.0


def mark_seen(owner_dir: Path, every_s: float) -> None:
    """The owner is back: their session's age, which decides eviction, starts again (the file is touched at
    most once per ``every_s``)."""
    path = owner_dir / paths.SESSION_FILE
    try:
        if path.stat().st_mtime < time.time() - every_s:
            path.touch()
    except OSError:
        pass  # no session yet, or a read-only disk: nothing to keep fresh


def link_line_files(source: Path, dest: Path, steps: int) -> None:
    """Give a new line's folder ``dest`` the start and the first ``steps`` step files of the line in ``source``:
    hard links (a copy where links fail), so a line opened from another costs no disk."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in [paths.LINE_START] + [paths.run_step_file(p) for p in range(1, steps + 1)]:
        if (source / name).is_file():  # a shipped start has no file of its own
            atomic.link_or_copy(source / name, dest / name)
