"""The teacher's key, which alone moderates the class board (hide a line, clear the board), and the link that
carries it.

The key is ``$PRUNE_LAB_TEACHER_KEY`` when set, else made at random once per server process; ``make run``'s
launcher (``ui/serve.py``) makes it, prints the link and hands the key to the server through that variable.
"""
from __future__ import annotations

import os
import secrets
import threading

from ... import paths

_lock = threading.Lock()
_key = ""


def key() -> str:
    """This server's teacher key (the environment's, else a random one made on first use)."""
    global _key
    with _lock:
        if not _key:
            _key = os.environ.get(paths.ENV_TEACHER_KEY, "").strip() or secrets.token_urlsafe(16)
        return _key


def link(base_url: str) -> str:
    """The Class page with the teacher's key: whoever opens it can hide lines and clear the board."""
    return f"{base_url.rstrip('/')}/class?teacher={key()}"
