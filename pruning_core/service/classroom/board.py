"""The class board: the lines students chose to share with the class, in one small SQLite index.

One file (``paths.class_board_file()``; WAL journal, so a Class page reading never waits for a student's
write), three tables: ``shared`` (a row per shared line: its owner and line id in the session store, an
opaque view id, the nickname, whether the teacher hid it), ``points`` (per line: the start and each step as
weights pruned, test accuracy after retraining and the settings used) and ``meta`` (one version number, raised
by every change, so a Class page polls one integer and rebuilds its chart only when something changed). The
checkpoints stay files in the session store: the board holds numbers and names, and no poll scans sessions.

A view id (``secrets.token_urlsafe``) grants reading and nothing else: changing a line's sharing takes its
owner id, which only the owner's browser has, and hiding a line or clearing the board takes the teacher's
key. Every change is one ``BEGIN IMMEDIATE`` transaction, so many page threads may share and append at once.
Bounded: at most ``MAX_LINES`` rows, nicknames of at most ``MAX_NICKNAME`` characters of plain text.
"""
from __future__ import annotations

import hmac
import math
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ... import paths
from ...errors import UserError

MAX_LINES = 200          # rows on the board (a class of 60 sharing a few lines each)
MAX_NICKNAME = 24        # characters
MAX_POINTS = 64          # per line (a session's line holds at most 40 steps)
MAX_SETTINGS = 80        # characters of a point's settings text
BUSY_TIMEOUT_S = 30.0    # a writer waits this long for another's transaction
VIEW_ID = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('version', 0);
CREATE TABLE IF NOT EXISTS shared (owner TEXT NOT NULL, line TEXT NOT NULL, view TEXT NOT NULL UNIQUE,
    nickname TEXT NOT NULL, live INTEGER NOT NULL, hidden INTEGER NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (owner, line));
CREATE TABLE IF NOT EXISTS points (owner TEXT NOT NULL, line TEXT NOT NULL, position INTEGER NOT NULL,
    sparsity REAL NOT NULL, accuracy REAL NOT NULL, settings TEXT NOT NULL, PRIMARY KEY (owner, line, position));
"""


@dataclass(frozen=True)
class Point:
    """One model of a shared line: the start (position 0) or a step."""

    position: int
    sparsity: float     # % of all weights pruned
    accuracy: float     # test accuracy (after retraining), 0 to 1
    settings: str = ""  # how it was made: "global, 1 epoch(s), lr 0.001"


@dataclass(frozen=True)
class SharedLine:
    """A row of the board. ``live``: shared now (a hidden line whose owner stopped sharing stays, hidden)."""

    owner: str
    line: str
    view: str
    nickname: str
    live: bool
    hidden: bool
    points: tuple[Point, ...] = ()

    @property
    def visible(self) -> bool:
        return self.live and not self.hidden


def clean_nickname(text: object) -> str:
    """A nickname as plain text on one line (control characters dropped, spaces collapsed), or a UserError."""
    name = " ".join("".join(c for c in str(text) if c.isprintable() or c.isspace()).split())
    if not name:
        raise UserError("type a nickname first: the class sees it beside your line")
    if len(name) > MAX_NICKNAME:
        raise UserError(f"a nickname is at most {MAX_NICKNAME} characters, not {len(name)}")
    return name


def _checked(point: Point) -> tuple:
    if not (isinstance(point.position, int) and 0 <= point.position < MAX_POINTS
            and math.isfinite(point.sparsity) and 0.0 <= point.sparsity <= 100.0
            and math.isfinite(point.accuracy) and 0.0 <= point.accuracy <= 1.0):
        raise ValueError(f"not a board point: {point!r}")
    return point.position, float(point.sparsity), float(point.accuracy), str(point.settings)[:MAX_SETTINGS]


class Board:
    """The class board in the SQLite file ``path``; ``teacher_key`` unlocks hiding and clearing."""

    def __init__(self, path: Path | None = None, teacher_key: str = "") -> None:
        self.path, self._teacher_key = path or paths.class_board_file(), teacher_key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._open() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    # -- reading -------------------------------------------------------------------------------------------
    def version(self) -> int:
        """Raised by every change: equal versions, equal boards."""
        with self._open() as db:
            return db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()[0]

    def lines(self) -> list[SharedLine]:
        """The lines the class sees (shared, not hidden), oldest share first, with their points."""
        with self._open() as db:
            db.execute("BEGIN")  # one snapshot: rows and points of the same version
            rows = db.execute("SELECT * FROM shared WHERE live AND NOT hidden ORDER BY created").fetchall()
            points: dict[tuple[str, str], list[Point]] = {}
            for owner, line, *values in db.execute(
                    "SELECT p.* FROM points p JOIN shared s USING (owner, line) WHERE s.live AND NOT s.hidden "
                    "ORDER BY p.owner, p.line, p.position"):
                points.setdefault((owner, line), []).append(Point(*values))
            db.execute("COMMIT")
        return [self._row(row, points.get((row[0], row[1]), ())) for row in rows]

    def entry(self, owner: str, line: str) -> SharedLine | None:
        """The owner's line on the board (visible or not), without its points; None if it is not there."""
        with self._open() as db:
            row = db.execute("SELECT * FROM shared WHERE owner = ? AND line = ?", (owner, line)).fetchone()
        return self._row(row) if row else None

    def shared_by(self, owner: str) -> SharedLine | None:
        """The line the owner shares now (one at a time), visible or hidden; None if none."""
        with self._open() as db:
            row = db.execute("SELECT * FROM shared WHERE owner = ? AND live", (owner,)).fetchone()
        return self._row(row) if row else None

    def viewed(self, view: str) -> SharedLine | None:
        """The line a view id shows, while it is shared and not hidden; None for anything else."""
        if not isinstance(view, str) or not VIEW_ID.fullmatch(view):
            return None
        with self._open() as db:
            row = db.execute("SELECT * FROM shared WHERE view = ? AND live AND NOT hidden", (view,)).fetchone()
        return self._row(row) if row else None

    def nickname(self, owner: str) -> str:
        """The nickname the owner used last ("" if none)."""
        with self._open() as db:
            row = db.execute("SELECT nickname FROM shared WHERE owner = ? ORDER BY created DESC LIMIT 1",
                             (owner,)).fetchone()
        return row[0] if row else ""

    def is_teacher(self, key: object) -> bool:
        """True for the teacher's key (compared in constant time); never for an empty one."""
        return bool(self._teacher_key) and isinstance(key, str) and \
            hmac.compare_digest(key.encode(), self._teacher_key.encode())

    # -- a student's changes -------------------------------------------------------------------------------
    def share(self, owner: str, line: str, nickname: str, points: Sequence[Point]) -> SharedLine:
        """Publish the owner's ``line`` under ``nickname`` with its ``points``, in place of any other line the
        owner shared (one line per student); a new view id each time (a link to an earlier share stays dead). A
        line the teacher hid stays hidden."""
        name, rows = clean_nickname(nickname), [_checked(p) for p in points]
        with self._write() as db:
            held = db.execute("SELECT hidden, created FROM shared WHERE owner = ? AND line = ?",
                              (owner, line)).fetchone()
            if held is None and db.execute("SELECT COUNT(*) FROM shared").fetchone()[0] >= MAX_LINES:
                raise UserError(f"the class board is full ({MAX_LINES} lines); ask the teacher to clear it")
            for (other,) in db.execute("SELECT line FROM shared WHERE owner = ? AND line != ? AND live",
                                       (owner, line)).fetchall():
                self._take_back(db, owner, other)
            view = secrets.token_urlsafe(16)
            db.execute("INSERT OR REPLACE INTO shared VALUES (?, ?, ?, ?, 1, ?, ?)",
                       (owner, line, view, name, held[0] if held else 0, held[1] if held else time.time()))
            db.execute("DELETE FROM points WHERE owner = ? AND line = ?", (owner, line))
            db.executemany("INSERT INTO points VALUES (?, ?, ?, ?, ?, ?)", [(owner, line, *r) for r in rows])
        return SharedLine(owner, line, view, name, True, bool(held and held[0]),
                          tuple(Point(*r) for r in rows))

    def unshare(self, owner: str, line: str) -> None:
        """Take the line back: its view id opens nothing any more (a hidden line's row stays, hidden)."""
        with self._write() as db:
            self._take_back(db, owner, line)

    def publish(self, owner: str, line: str, first: int, points: Sequence[Point]) -> bool:
        """The line changed from position ``first`` on (steps landed, or it went back): its points from there
        become ``points``. Nothing is written for a line that is not shared. True if the board changed."""
        rows = [_checked(p) for p in points]
        with self._write() as db:
            if not db.execute("SELECT 1 FROM shared WHERE owner = ? AND line = ? AND live",
                              (owner, line)).fetchone():
                raise _Unchanged
            db.execute("DELETE FROM points WHERE owner = ? AND line = ? AND position >= ?", (owner, line, first))
            db.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?, ?)",
                           [(owner, line, *r) for r in rows])
            return True
        return False  # not shared: the transaction ended with nothing written

    # -- the teacher's -------------------------------------------------------------------------------------
    def hide(self, view: str, key: str) -> None:
        """Hide a line from everyone (its owner cannot bring it back by sharing again)."""
        self._check_teacher(key)
        with self._write() as db:
            db.execute("UPDATE shared SET hidden = 1 WHERE view = ?", (view,))

    def clear(self, key: str) -> None:
        """Empty the board (every view id opens nothing; students may share again)."""
        self._check_teacher(key)
        with self._write() as db:
            db.execute("DELETE FROM points")
            db.execute("DELETE FROM shared")

    # -- internals -----------------------------------------------------------------------------------------
    def _check_teacher(self, key: object) -> None:
        if not self.is_teacher(key):
            raise UserError("only the teacher's link can hide lines or clear the board")

    @staticmethod
    def _take_back(db: sqlite3.Connection, owner: str, line: str) -> None:
        db.execute("DELETE FROM points WHERE owner = ? AND line = ?", (owner, line))
        db.execute("DELETE FROM shared WHERE owner = ? AND line = ? AND NOT hidden", (owner, line))
        db.execute("UPDATE shared SET live = 0 WHERE owner = ? AND line = ?", (owner, line))

    @staticmethod
    def _row(row: tuple, points: Sequence[Point] = ()) -> SharedLine:
        owner, line, view, nickname, live, hidden, _created = row
        return SharedLine(owner, line, view, nickname, bool(live), bool(hidden), tuple(points))

    @contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own (page threads come and go), in autocommit mode: transactions are explicit."""
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that raises the version; ``_Unchanged`` inside ends it with nothing written."""
        with self._open() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("UPDATE meta SET value = value + 1 WHERE name = 'version'")
                db.execute("COMMIT")
            except _Unchanged:
                db.execute("ROLLBACK")
            except BaseException:
                db.execute("ROLLBACK")
                raise


class _Unchanged(Exception):
    """Raised inside ``Board._write`` when there is nothing to write."""
