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

The owner is ``keys.owner_id(secret)``: a hash of a per-browser secret that is never part of a URL
(the dashboard keeps it in a cookie), so a shared link carries no rights and a leaked session file reveals no
secret.

Bounds (``SessionLimits``, ``budget.py``), fair per owner: one owner's steps only ever evict that owner's
oldest lines (steps per line, lines per owner, bytes per owner: every stored file counts, ``start.pt``
included, and a start larger than the owner's budget is refused when it is loaded). Across owners nothing is
evicted because new owners arrived: only when all sessions together pass ``total_bytes`` does a new owner
make room, by dropping sessions not seen for ``idle_days`` (oldest first); if that is not enough the new
owner is refused with a plain reason and every saved student keeps their work. A new owner's first line can
wait in memory (``provisional.py``) until the owner changes something, so page opens write nothing.

Nothing a student does replaces their line for good: a reset, a go-back, a loaded or a trained model opens a new
line and keeps the one it replaced saved, one ``undo`` away (never evicted while it is).
"""
from __future__ import annotations

import json
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..runs import store as runs
from ..runs.files import read_step
from ... import atomic, checkpoint, paths
from ...checkpoint import Checkpoint
from ...errors import UserError
from . import budget
from .budget import SessionLimits
from .provisional import ProvisionalSessions
from .records import Line, Session, Start, session_from_dict, step_of

MAX_NAME = 80  # characters of a line's typed name
TIMESTAMP_S = 0.05  # above a file timestamp's granularity (a kernel tick, 1-10 ms)
SEEN_EVERY_S = 3600.0  # how often a returning owner's session file is touched (its age decides eviction)


class SessionStore:
    """Read and change owners' sessions; every change is one atomic rewrite of ``session.json`` under the
    owner's lock (the page thread of each of the owner's tabs may write)."""

    def __init__(self, root: Path | None = None, limits: SessionLimits = SessionLimits()) -> None:
        self.root, self.limits = root or paths.sessions_dir(), limits
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._parsed: dict[str, tuple[tuple[int, int, int], Session]] = {}  # owner -> (file signature, session)
        self._unsaved = ProvisionalSessions()  # new owners' sessions, in memory until they change something

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
            return self._unsaved.session(owner)
        if stat.st_mtime < read_at - TIMESTAMP_S:  # a later write cannot carry the same mtime
            self._parsed[owner] = (signature, session)  # a frozen value: safe to share between page threads
        return session

    def saved(self, owner: str) -> bool:
        """True once the owner's session is on disk (a new visitor's waits in memory: ``provisional``)."""
        return (self._dir(owner) / paths.SESSION_FILE).exists()

    def checkpoints(self, owner: str, line: Line, builtin: Callable[[str], Checkpoint],
                    since: int = 0) -> list[Checkpoint]:
        """The line's models from position ``since`` (0: the start, 1..: the steps); a step whose file cannot
        be read ends the line there."""
        models = []
        if since == 0:
            # A shipped start shares the server's weights (never modified: a prune step works on a copy), so
            # a new student costs no deep copy and pages count its weights once per server (ui/memo.py).
            shipped = builtin(line.start.builtin) if line.start.builtin else None
            start = replace(shipped, history=list(shipped.history)) if shipped else \
                self._read(owner, line, paths.LINE_START)
            start.origin = line.start.label
            models.append(start)
        for position in range(max(1, since), len(line.steps) + 1):
            step, name = line.steps[position - 1], paths.run_step_file(position)
            try:  # the line's file is a link to its run's step: decoded once per server (runs.files.read_step)
                model = read_step(step.run, step.index, self._line_dir(owner, line) / name) if step.run else \
                    self._read(owner, line, name)
            except UserError:
                break
            model.origin = line.step_name(position)
            models.append(model)
        return models

    # -- changing ------------------------------------------------------------------------------------------
    def start_line(self, owner: str, start: Start, model: Checkpoint | None = None) -> Line:
        """Open a new line from ``start``; ``model`` is stored as its start unless it is a shipped checkpoint. The
        line open until now stays saved, one ``undo`` away."""
        if (model is None) != bool(start.builtin):
            raise ValueError("a line starts from a shipped checkpoint or from a given model, not both")
        with self._lock(owner):
            self._make_room_for(owner)
            line = Line(secrets.token_hex(4), start, updated=time.time())
            self._line_dir(owner, line).mkdir(parents=True, exist_ok=True)
            if model is not None:
                target = self._line_dir(owner, line) / paths.LINE_START
                checkpoint.save(model, target)
                try:
                    budget.check_start(target, self.limits.owner_bytes)
                except UserError:
                    shutil.rmtree(self._line_dir(owner, line), ignore_errors=True)
                    raise
            return self._open(owner, self.load(owner), line)

    def provisional(self, owner: str, start: Start) -> Line:
        """A new owner's first line from the shipped ``start``, held in memory only: nothing is written until
        the owner changes something (a job attached, a rename, another line), so page opens cost no disk and
        push nobody out (``provisional.py``)."""
        if not start.builtin:
            raise ValueError("only a line from a shipped checkpoint can wait unsaved")
        return self._unsaved.line(owner, start)

    def attach(self, owner: str, line_id: str, run_id: str, run_from: int) -> Line:
        """Steps ``run_from + 1, ...`` of run ``run_id`` belong to this line (a job was queued for it). The student
        has gone on with this line, so ``undo`` is no longer offered (the line it offered stays saved)."""
        return self._change(owner, line_id, lambda line: replace(line, run=run_id, run_from=run_from), undo="")

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
            self._line_dir(owner, line).mkdir(parents=True, exist_ok=True)  # a provisional line has none yet
            for index in fresh[:max(0, self.limits.steps_per_line - len(line.steps))]:
                source = run.path / paths.run_step_file(index)
                model = run.load_step(index)
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
        """Open a new line with the start and the first ``keep`` steps of line ``line_id`` (0: the start alone; its
        files are linked, not copied); the line itself stays saved, one ``undo`` away. The next job opens a
        new run."""
        with self._lock(owner):
            session = self.load(owner)
            old = _saved_line(session, line_id)
            line = Line(secrets.token_hex(4), old.start, old.steps[:max(0, keep)], updated=time.time())
            budget.link_line_files(self._line_dir(owner, old), self._line_dir(owner, line), len(line.steps))
            return self._open(owner, session, line)

    def undo(self, owner: str) -> Line:
        """Open again the line the last reset, go-back, load or trained model replaced. The line left stays saved
        and becomes the one ``undo`` opens, so a second undo takes the first one back."""
        with self._lock(owner):
            session = self.load(owner)
            if not session.undo:
                raise UserError("there is nothing to undo")
            back = _saved_line(session, session.undo)
            self._save(replace(session, active=back.id, undo=session.active))
            return back

    def rename(self, owner: str, line_id: str, name: str) -> Line:
        """Name the line (the step history's "Name this line"); "" goes back to the name made from its steps."""
        name = " ".join(str(name).split())[:MAX_NAME]
        return self._change(owner, line_id, lambda line: replace(line, name=name))

    def copy_line(self, source: str, line_id: str, owner: str, name: str) -> Line:
        """A classmate's shared line as ``owner``'s new open line ``name`` (files linked; next job: a new run)."""
        line = replace(_saved_line(self.load(source), line_id), id=secrets.token_hex(4), name=name[:MAX_NAME],
                       run="", run_from=0, updated=time.time())
        with self._lock(owner):
            budget.link_line_files(self._dir(source) / line_id, self._line_dir(owner, line), len(line.steps))
            session = self.load(owner)
            self._save(self._fit(replace(session, lines=session.lines + (line,), active=line.id), owner))
            return line

    def seen(self, owner: str) -> None:
        """The owner is back (a page run): their session's age, which decides eviction, starts again."""
        budget.mark_seen(self._dir(owner), SEEN_EVERY_S)

    # -- internals -----------------------------------------------------------------------------------------
    def _change(self, owner: str, line_id: str, change: Callable[[Line], Line], **session_fields: str) -> Line:
        with self._lock(owner):
            session = self.load(owner)
            line = replace(change(_saved_line(session, line_id)), updated=time.time())
            self._save(replace(session.with_line(line), **session_fields))
            return line

    def _open(self, owner: str, session: Session, line: Line) -> Line:
        """Add ``line`` to the owner's session and open it; the line open until now becomes the undo target."""
        opened = replace(session, lines=session.lines + (line,), active=line.id, undo=session.active)
        self._save(self._fit(opened, owner))
        return line

    def _fit(self, session: Session, owner: str) -> Session:
        """Drop this owner's least recently used lines (never the open one, nor the one ``undo`` opens) until the
        owner is within the limits again; other owners' lines are never touched."""
        lines = list(session.lines)
        for line in sorted(session.lines, key=lambda l: l.updated):
            over_count = len(lines) > self.limits.lines_per_owner
            over_bytes = sum(self._bytes(owner, l) for l in lines) > self.limits.owner_bytes
            if not (over_count or over_bytes):
                break
            if line.id in (session.active, session.undo):
                continue
            shutil.rmtree(self._line_dir(owner, line), ignore_errors=True)
            lines.remove(line)
        return replace(session, lines=tuple(lines))

    def _read(self, owner: str, line: Line, name: str) -> Checkpoint:
        return checkpoint.load(str(self._line_dir(owner, line) / name))

    def _bytes(self, owner: str, line: Line) -> int:
        return budget.folder_bytes(self._line_dir(owner, line))

    def _make_room_for(self, owner: str) -> None:
        """An owner saved for the first time must fit the sessions' total budget (``budget.make_room``)."""
        if not (self._dir(owner) / paths.SESSION_FILE).exists():
            budget.make_room(self.root, owner, self.limits.total_bytes, self.limits.idle_days)

    def _save(self, session: Session) -> None:
        self._make_room_for(session.owner)
        folder = self._dir(session.owner)
        folder.mkdir(parents=True, exist_ok=True)
        atomic.write_json(folder / paths.SESSION_FILE, session.to_dict())
        self._unsaved.drop(session.owner)

    def _dir(self, owner: str) -> Path:
        if not isinstance(owner, str) or not budget.OWNER.fullmatch(owner):
            raise UserError("malformed session owner")
        return self.root / owner

    def _line_dir(self, owner: str, line: Line) -> Path:
        return self._dir(owner) / line.id

    def _lock(self, owner: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(owner, threading.Lock())


def _saved_line(session: Session, line_id: str) -> Line:
    """The session's line ``line_id``, or a UserError if it is no longer stored (evicted or deleted)."""
    line = session.line(line_id)
    if line is None:
        raise UserError("that line is no longer saved on the server")
    return line
