"""A student's identity on the server: a per-browser secret the server issued, and the owner it stands for.

A secret is 32 random characters followed by their HMAC-SHA256 under this installation's key (``KEY_FILE`` in
the runs directory, made with mode 0600 on first use), so only a secret this server issued names an owner: a
forged or planted value is refused like a malformed one. The secret lives only in the browser's cookie
(``ui/session.py``), never in a URL; the server keys everything by ``owner_id(secret)``, a hash, so a shared
link carries no rights and a session directory's name reveals no secret (see ``store.py``).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import threading
from pathlib import Path

from ... import paths
from ...errors import UserError

SECRET = re.compile(r"[A-Za-z0-9_-]{64}")
KEY_FILE = "session-key"  # in the runs directory: the sessions it signs live there too
KEY_BYTES = 32
_RANDOM_CHARS = 32
_keys: dict[Path, bytes] = {}
_keys_lock = threading.Lock()


def issue() -> str:
    """A new secret, signed with this installation's key."""
    token = secrets.token_urlsafe(24)  # 24 random bytes -> 32 characters
    return token + _signature(token)


def valid(secret: object) -> bool:
    """True for a secret this installation issued (well formed and correctly signed)."""
    if not isinstance(secret, str) or not SECRET.fullmatch(secret):
        return False
    token, signature = secret[:_RANDOM_CHARS], secret[_RANDOM_CHARS:]
    return hmac.compare_digest(signature, _signature(token))


def owner_id(secret: str) -> str:
    """The owner a browser secret stands for; a malformed or unsigned secret is refused (it names no directory)."""
    if not valid(secret):
        raise UserError("malformed session key")
    return hashlib.sha256(f"prune-lab-session:{secret}".encode()).hexdigest()[:32]


def _signature(token: str) -> str:
    digest = hmac.new(_key(), token.encode(), hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode()  # 24 bytes -> 32 characters, no padding


def _key() -> bytes:
    """This installation's key: read once per process, made on first use (0600, never half-written: it is
    written to a private temporary file and linked into place, so two servers starting at once agree)."""
    path = paths.runs_dir() / KEY_FILE
    with _keys_lock:
        if path not in _keys:
            if not path.is_file():
                _create(path)
            key = path.read_bytes()
            if len(key) != KEY_BYTES:
                raise OSError(f"{path} is damaged: delete it (every student's session cookie then starts over)")
            _keys[path] = key
        return _keys[path]


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{KEY_FILE}.{secrets.token_hex(8)}")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(handle, secrets.token_bytes(KEY_BYTES))
        os.fsync(handle)
    finally:
        os.close(handle)
    try:
        os.link(temporary, path)  # fails if another process made the key first: theirs is kept
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
