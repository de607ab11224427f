"""Atomic file writes: a temp file in the target's directory, then ``os.replace``.

A reader, or a crash at any moment, sees the old file or the new one - never half of one. Checkpoints, run
records, stored results and the decompressed dataset are all written through here.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path


def _temp_file(path: Path) -> tuple[int, str]:
    return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")


def probe(path: Path) -> None:
    """Raise OSError unless ``write_bytes(path, ...)`` can create its temp file next to ``path`` (a writable
    directory, a name short enough): checked before long work, so the work is not lost at the end."""
    fd, tmp = _temp_file(path)
    os.close(fd)
    os.unlink(tmp)


def write_bytes(path: Path, data: bytes) -> Path:
    fd, tmp = _temp_file(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; these are ordinary shareable files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, value: object, indent: int | None = None) -> Path:
    return write_bytes(path, json.dumps(value, default=float, indent=indent).encode("utf-8"))


def link_or_copy(source: Path, target: Path) -> None:
    """``target`` becomes ``source``'s content, atomically: a hard link (no bytes copied) or a copy."""
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            temp.hardlink_to(source)
        except OSError:  # another file system, or links not allowed
            shutil.copyfile(source, temp)
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
