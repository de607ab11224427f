"""Students' sessions on the server: each student's lines of work survive a reload, a page switch and a
server restart.

A *line* is a model as loaded (its ``Start``: a shipped checkpoint, an upload, a trained model, a step of a
run) followed by the prune steps made from it, in order. A student (an *owner*) has a few lines and one open.
Everything is on disk under ``paths.sessions_dir()``::

    <owner>/session.json        the owner's lines (start, steps, names, their run) and which one is open
    <owner>/<line>/start.pt     the line's own copy of its start (not for shipped checkpoints)
    <owner>/<line>/step-NN.pt   each step's checkpoint: a hard link to the run's file (a copy where links fail)

so a run deleted by the runs' retention never takes a student's line with it. ``session.json`` is replaced
atomically; a damaged one reads as an empty session (the student starts over, the server carries on).

The owner is ``session_keys.owner_id(secret)``: a hash of a per-browser secret that is never part of a URL
(the dashboard keeps it in a cookie), so a shared link carries no rights and a leaked session file reveals no
secret.

Bounds (``SessionLimits``), fair per owner: one owner's steps only ever evict that owner's oldest lines
(steps per line, lines per owner, bytes per owner); across owners, the least recently used session goes
when there are more than ``owners`` of them, whatever its size.
"""
from __future__ import annotations

import json
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from . import runs
from .. import atomic, checkpoint, paths
from ..checkpoint import Checkpoint
from ..errors import UserError
from .session_records import Line, Session, Start, session_from_dict, step_of

OWNER = re.compile(r"[0-9a-f]{32}")
TIMESTAMP_S = 0.05  # above a file timestamp's granularity (a kernel tick, 1-10 ms)


@dataclass(frozen=True)
class SessionLimits:
    steps_per_line: int = 40               # the reference schedule is 12 steps; 40 leaves room to explore
    lines_per_owner: int = 6               # older lines of the same owner are dropped beyond this
    owner_bytes: int = 96 * 1024 ** 2      # one owner's files (a LeNet-300-100 step is ~1.4 MB)
    owners: int = 300                      # sessions kept; the least recently used goes first


class SessionStore:
    """Read and change owners' sessions; every change is one atomic rewrite of ``session.json`` under the
    owner's lock (the page thread of each of the owner's tabs may write)."""

    def __init__(self, root: Path | None = None, limits: SessionLimits = SessionLimits()) -> None:
        self.root, self.limits = root or paths.sessions_dir(), limits
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._parsed: dict[str, tuple[tuple[int, int, int], Session]] = {}  # owner -> (file signature, session)

    # -- reading -------------------------------------------------------------------------------------------
    def load(self, owner: str) -> Session:
        """The owner's session. A page run asks a dozen times, so the parsed file is kept while its signature
        (inode, size, mtime) is unchanged - every change is a rename onto a new file. Only a file older than
        the read is kept: a timestamp is coarser than two quick writes, which could otherwise look alike."""
        path = self._dir(owner) / paths.SESSION_FILE
        try:
            stat = path.stat()
            signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            held = self._parsed.get(owner)
            if held is not None and held[0] == signature:
                return held[1]
            read_at = time.time()
            session = session_from_dict(owner, json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            return Session(owner)
        if stat.st_mtime < read_at - TIMESTAMP_S:  # a later write cannot carry the same mtime
            self._parsed[owner] = (signature, session)  # a frozen value: safe to share between page threads
        return session

    def checkpoints(self, owner: str, line: Line, builtin: Callable[[str], Checkpoint],
                    since: int = 0) -> list[Checkpoint]:
        """The line's models from position ``since`` (0: the start, 1..: the steps); a step whose file cannot
        be read ends the line there."""
        models = []
        if since == 0:
            # A shipped start shares the server's weights (never modified: a prune step works on a copy), so
            # a new student costs no deep copy and pages count its weights once per server (ui_memo.py).
            shipped = builtin(line.start.builtin) if line.start.builtin else None
            start = replace(shipped, history=list(shipped.history)) if shipped else \
                self._read(owner, line, paths.LINE_START)
            start.origin = line.start.label
            models.append(start)
        for position in range(max(1, since), len(line.steps) + 1):
            try:
                model = self._read(owner, line, paths.run_step_file(position))
            except UserError:
                break
            model.origin = line.step_name(position)
            models.append(model)
        return models

    # -- changing ------------------------------------------------------------------------------------------
    def start_line(self, owner: str, start: Start, model: Checkpoint | None = None) -> Line:
        """Open a new line from ``start``; ``model`` is stored as its start unless it is a shipped checkpoint."""
        if (model is None) != bool(start.builtin):
            raise ValueError("a line starts from a shipped checkpoint or from a given model, not both")
        with self._lock(owner):
            self._make_room_for(owner)
            line = Line(secrets.token_hex(4), start, updated=time.time())
            self._line_dir(owner, line).mkdir(parents=True, exist_ok=True)
            if model is not None:
                checkpoint.save(model, self._line_dir(owner, line) / paths.LINE_START)
            session = self.load(owner)
            self._save(self._fit(replace(session, lines=session.lines + (line,), active=line.id), owner))
            return line

    def attach(self, owner: str, line_id: str, run_id: str, run_from: int) -> Line:
        """Steps ``run_from + 1, ...`` of run ``run_id`` belong to this line (a job was queued for it)."""
        return self._change(owner, line_id, lambda line: replace(line, run=run_id, run_from=run_from))

    def continuing(self, owner: str, line_id: str) -> tuple[str, int]:
        """``(run, its last step in the line)`` when the line's next job can go on in the line's run (finished,
        and nothing after the line's newest step), else ``("", 0)``: a new run."""
        line = self.load(owner).line(line_id)
        if line is None or not line.run or not line.steps:
            return "", 0
        try:
            run = runs.get(line.run)
        except UserError:
            return "", 0
        done = run.steps()
        if run.status()["status"].active or not done or done[-1] != line.run_from:
            return "", 0
        return run.id, line.run_from

    def sync(self, owner: str, line_id: str) -> list[Checkpoint]:
        """Adopt the steps its run has finished since the last look (each one as it lands, also after a server
        restart); returns the new models, in order."""
        with self._lock(owner):
            session = self.load(owner)
            line = session.line(line_id)
            if line is None or not line.run:
                return []
            try:
                run = runs.get(line.run)
            except UserError:  # the run is gone: nothing more can arrive for this line
                self._save(session.with_line(replace(line, run="")))
                return []
            fresh = [index for index in run.steps() if index > line.run_from]
            if not fresh:
                return []
            adopted = []
            for index in fresh[:max(0, self.limits.steps_per_line - len(line.steps))]:
                source = run.path / paths.run_step_file(index)
                model = checkpoint.load(str(source))
                target = self._line_dir(owner, line) / paths.run_step_file(len(line.steps) + 1)
                atomic.link_or_copy(source, target)
                line = replace(line, steps=line.steps + (step_of(model, run.id, index),),
                               run_from=index, updated=time.time())
                model.origin = line.step_name(len(line.steps))
                adopted.append(model)
            self._save(self._fit(session.with_line(line), owner))
            run.retitle(line.title)  # the run is this line of work: Runs shows it by the line's name
            return adopted

    def go_back(self, owner: str, line_id: str, keep: int) -> Line:
        """Keep the first ``keep`` steps (0: the start); later steps go, and the next job opens a new run."""
        def cut(line: Line) -> Line:
            for position in range(keep + 1, len(line.steps) + 1):
                (self._line_dir(owner, line) / paths.run_step_file(position)).unlink(missing_ok=True)
            return replace(line, steps=line.steps[:max(0, keep)], run="", run_from=0)
        return self._change(owner, line_id, cut)

    def rename(self, owner: str, line_id: str, name: str) -> Line:
        name = " ".join(str(name).split())[:80]
        return self._change(owner, line_id, lambda line: replace(line, name=name))

    def select(self, owner: str, line_id: str) -> Line:
        with self._lock(owner):
            session = self.load(owner)
            line = _saved_line(session, line_id)
            self._save(replace(session, active=line.id))
            return line

    def room(self, owner: str, line_id: str) -> int:
        """How many more steps the line may take."""
        line = self.load(owner).line(line_id)
        return 0 if line is None else max(0, self.limits.steps_per_line - len(line.steps))

    # -- internals -----------------------------------------------------------------------------------------
    def _change(self, owner: str, line_id: str, change: Callable[[Line], Line]) -> Line:
        with self._lock(owner):
            session = self.load(owner)
            line = replace(change(_saved_line(session, line_id)), updated=time.time())
            self._save(session.with_line(line))
            return line

    def _fit(self, session: Session, owner: str) -> Session:
        """Drop this owner's least recently used lines (never the open one) until the owner is within the
        limits again; other owners' lines are never touched."""
        lines = list(session.lines)
        for line in sorted(session.lines, key=lambda l: l.updated):
            over_count = len(lines) > self.limits.lines_per_owner
            over_bytes = sum(self._bytes(owner, l) for l in lines) > self.limits.owner_bytes
            if not (over_count or over_bytes):
                break
            if line.id == session.active:
                continue
            shutil.rmtree(self._line_dir(owner, line), ignore_errors=True)
            lines.remove(line)
        return replace(session, lines=tuple(lines))

    def _make_room_for(self, owner: str) -> None:
        """A new owner's first line: drop whole sessions, least recently used first, beyond ``owners``."""
        if (self._dir(owner) / paths.SESSION_FILE).exists() or not self.root.is_dir():
            return
        others = [d for d in self.root.iterdir() if OWNER.fullmatch(d.name) and d.name != owner]
        others.sort(key=lambda d: _mtime(d / paths.SESSION_FILE))
        for old in others[:max(0, len(others) + 1 - self.limits.owners)]:
            shutil.rmtree(old, ignore_errors=True)

    def _read(self, owner: str, line: Line, name: str) -> Checkpoint:
        return checkpoint.load(str(self._line_dir(owner, line) / name))

    def _bytes(self, owner: str, line: Line) -> int:
        folder = self._line_dir(owner, line)
        return sum(f.stat().st_size for f in folder.glob("*.pt")) if folder.is_dir() else 0

    def _save(self, session: Session) -> None:
        folder = self._dir(session.owner)
        folder.mkdir(parents=True, exist_ok=True)
        atomic.write_json(folder / paths.SESSION_FILE, session.to_dict())

    def _dir(self, owner: str) -> Path:
        if not isinstance(owner, str) or not OWNER.fullmatch(owner):
            raise UserError("malformed session owner")
        return self.root / owner

    def _line_dir(self, owner: str, line: Line) -> Path:
        return self._dir(owner) / line.id

    def _lock(self, owner: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(owner, threading.Lock())


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _saved_line(session: Session, line_id: str) -> Line:
    """The session's line ``line_id``, or a UserError if it is no longer stored (evicted or deleted)."""
    line = session.line(line_id)
    if line is None:
        raise UserError("that line is no longer saved on the server")
    return line
