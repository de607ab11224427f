"""New students held in memory only (``SessionStore.provisional``): a page opened without a cookie gets a line
from a shipped checkpoint that is written nowhere until the student changes something, so page opens cost no
disk and push nobody out. Bounded: beyond ``PROVISIONAL_OWNERS`` the oldest are dropped (such a student just
gets a fresh line on their next page run).
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict

from .records import Line, Session, Start

PROVISIONAL_OWNERS = 4096  # new owners held in memory only (a page opened, nothing done yet); oldest go first


class ProvisionalSessions:
    """Owners' sessions not saved yet, thread-safe (every page thread of the server may ask)."""

    def __init__(self, limit: int = PROVISIONAL_OWNERS) -> None:
        self.limit = limit
        self._held: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def session(self, owner: str) -> Session:
        """The owner's unsaved session, or an empty one."""
        with self._lock:
            return self._held.get(owner, Session(owner))

    def line(self, owner: str, start: Start) -> Line:
        """The owner's unsaved line, made from ``start`` if the owner has none held."""
        with self._lock:
            held = self._held.get(owner)
            if held is None or held.line() is None:
                line = Line(secrets.token_hex(4), start, updated=time.time())
                held = self._held[owner] = Session(owner, (line,), line.id)
            self._held.move_to_end(owner)
            while len(self._held) > self.limit:
                self._held.popitem(last=False)
            return held.line()

    def drop(self, owner: str) -> None:
        """The owner's session is saved now: nothing to hold."""
        with self._lock:
            self._held.pop(owner, None)
