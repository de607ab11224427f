"""A checkpoint file's container, checked before torch reads any of it: what the bytes will unpack to.

``torch.save`` writes a zip archive: ``data.pkl`` (the structure) and one entry ``data/N`` per tensor storage.
``torch.load`` allocates every entry at the uncompressed size the zip's directory declares, so a 1 MB file of
deflated zeros can make it allocate gigabytes. Here the directory alone is read (``zipfile``; no entry is
unpacked) and the file is refused when those declared sizes add up to more than any Prune Lab checkpoint
holds. Anything that is not a zip archive is refused by its first bytes: torch's legacy format (which
allocates whatever size its pickle names before reading data), a bare pickle, or a picture renamed ``.pt``.
"""
from __future__ import annotations

import io
import zipfile

from .errors import UserError

ZIP_SIGNATURE = b"PK\x03\x04"
# First bytes of the picture formats a student might pick by mistake in the upload dialog.
IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF87a": "GIF", b"GIF89a": "GIF",
                    b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}
MAX_ENTRIES = 256  # a checkpoint has one entry per tensor (9 for LeNet-300-100) and five more


def image_kind(data: bytes) -> str:
    """"PNG", "JPEG", ... when ``data`` starts like a picture file, else ""."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[:2] == b"BM" and data[6:10] == b"\0\0\0\0":  # "BM", the file size, 4 reserved zero bytes
        return "BMP"
    return next((kind for signature, kind in IMAGE_SIGNATURES.items() if data.startswith(signature)), "")


def check_unpacked_size(data: bytes, max_bytes: int, max_pickle_bytes: int) -> None:
    """Refuse ``data`` unless it is a zip archive whose entries unpack to at most ``max_bytes`` in all and
    whose pickled structure (``data.pkl``) to at most ``max_pickle_bytes``."""
    kind = image_kind(data)
    if kind:
        raise UserError(f"not a Prune Lab checkpoint (it looks like an image: a {kind} picture)")
    if not data.startswith(ZIP_SIGNATURE):
        raise UserError("not a safe Prune Lab checkpoint (not a torch.save zip file)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise UserError("not a safe Prune Lab checkpoint (a damaged zip archive)") from None
    if len(entries) > MAX_ENTRIES:
        raise UserError(f"not a safe Prune Lab checkpoint ({len(entries):,} zip entries; at most {MAX_ENTRIES})")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > max_bytes:
        raise UserError(f"not a safe Prune Lab checkpoint (it unpacks to {unpacked / 2**20:,.0f} MB; "
                        f"a Prune Lab checkpoint unpacks to at most {max_bytes // 2**20} MB)")
    pickled = sum(entry.file_size for entry in entries if entry.filename.endswith("data.pkl"))
    if pickled > max_pickle_bytes:
        raise UserError(f"not a safe Prune Lab checkpoint (its structure unpacks to {pickled / 2**20:,.1f} MB; "
                        f"at most {max_pickle_bytes // 2**20} MB)")
