"""The one exception type that means "the user asked for something invalid", and the plain sentence for a
server whose own files cannot be written.

The CLI turns a ``UserError`` into a one-line message and exit code 2; the dashboard into an ``st.error``.
Anything else that escapes is a bug in Prune Lab, not in the user's input - except a full or broken disk,
which a student can do nothing about and is told so in one line (``disk_problem``).
"""
from __future__ import annotations

import errno

DISK_FULL = "the server's disk is full - ask your teacher"


class UserError(ValueError):
    """Invalid input, a missing or corrupt file: a clear one-line message for a person."""


def disk_problem(err: OSError) -> str:
    """What a student reads when the server could not write (or read) its own files."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return DISK_FULL
    return f"the server could not read or write its files ({err.strerror or err}) - ask your teacher"
