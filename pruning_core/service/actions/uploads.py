"""An uploaded checkpoint in, or a plain-language reason it was refused: what a student reads first, with the
technical detail kept for an expander (``UploadRefused.detail``)."""
from __future__ import annotations

from ... import checkpoint
from ...checkpoint import Checkpoint
from ...errors import UserError

NOT_OURS = "this file is not a Prune Lab checkpoint"
IMAGE = "this is not a Prune Lab checkpoint (it looks like an image)"
EMPTY = "the file is empty"
CODE = "this checkpoint contains code and was refused (Prune Lab only reads numbers, never programs)"
TOO_BIG = (f"the file is larger than {checkpoint.MAX_BYTES // 2**20} MB; a Prune Lab checkpoint of "
           "LeNet-300-100 is about 1.4 MB")
UNPACKED = (f"this file unpacks to more than a Prune Lab checkpoint can hold ({checkpoint.MAX_BYTES // 2**20} MB, "
            f"a model of at most {checkpoint.MAX_PARAMETERS / 1e6:.1f} million parameters) and was refused")
VERSION = "this checkpoint was saved by another version of Prune Lab, which this one cannot read"
DAMAGED = "this file looks like a Prune Lab checkpoint, but it is damaged or was edited, so it was refused"


class UploadRefused(UserError):
    """A refused upload: ``str()`` is the plain message, ``detail`` what exactly was wrong."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def read_upload(data: bytes, name: str) -> Checkpoint:
    """The checkpoint in an uploaded file, or ``UploadRefused`` with a message a student understands."""
    if not data:
        raise UploadRefused(EMPTY, f"{name}: 0 bytes")
    try:
        return checkpoint.from_bytes(data, origin=name)
    except UserError as err:
        raise UploadRefused(plain_reason(str(err)), f"{name}: {err}") from None


def plain_reason(technical: str) -> str:
    """The student's sentence for one of ``checkpoint.from_bytes``'s refusals."""
    if "looks like an image" in technical:
        return IMAGE
    if "Python objects" in technical:
        return CODE
    if "larger than" in technical:
        return TOO_BIG
    if "unpacks to" in technical or "fit in a" in technical:
        return UNPACKED
    if technical.startswith(("not a safe Prune Lab checkpoint", "not a Prune Lab checkpoint")) or \
            "not a Prune Lab checkpoint" in technical:
        return NOT_OURS
    if technical.startswith("unsupported checkpoint version"):
        return VERSION
    return DAMAGED
