"""A student's identity on the server: a per-browser secret and the owner it stands for.

The secret lives only in the browser's cookie (``ui_session.py``), never in a URL; the server keys everything
by ``owner_id(secret)``, a hash, so a shared link carries no rights and a session directory's name reveals no
secret (see ``sessions.py``).
"""
from __future__ import annotations

import hashlib
import re
import secrets

from ..errors import UserError

SECRET = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def owner_id(secret: str) -> str:
    """The owner a browser secret stands for; a malformed secret is refused (it names no directory)."""
    if not isinstance(secret, str) or not SECRET.fullmatch(secret):
        raise UserError("malformed session key")
    return hashlib.sha256(f"prune-lab-session:{secret}".encode()).hexdigest()[:32]
