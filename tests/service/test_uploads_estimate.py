"""Plain-language upload refusals (pruning_core/service/uploads.py); the queue's wait estimate is tested in
tests/service/test_wait_estimate.py."""
from __future__ import annotations

import io
import pickle

import pytest
import torch

from pruning_core import checkpoint
from pruning_core.service.actions import uploads


class Payload:
    """An object whose unpickling would run code."""

    def __reduce__(self):
        return (print, ("this must never run",))


def torch_bytes(value: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def refusal(data: bytes) -> uploads.UploadRefused:
    with pytest.raises(uploads.UploadRefused) as caught:
        uploads.read_upload(data, "mine.pt")
    return caught.value


def test_every_upload_failure_has_a_plain_message_and_keeps_the_detail():
    good = checkpoint.to_bytes(checkpoint.load("baseline"))
    assert uploads.read_upload(good, "mine.pt").origin == "mine.pt"
    cases = {
        b"": uploads.EMPTY,
        b"hello, I am a text file": uploads.NOT_OURS,
        good[: len(good) // 2]: uploads.NOT_OURS,  # a truncated download
        pickle.dumps(Payload()): uploads.NOT_OURS,  # a bare pickle: not a torch.save zip, never unpickled
        torch_bytes({"weights": Payload()}): uploads.CODE,
        torch_bytes({"weights": torch.zeros(3)}): uploads.NOT_OURS,
    }
    raw = checkpoint.load("baseline").to_dict()
    cases[torch_bytes({**raw, "version": 99})] = uploads.VERSION
    cases[torch_bytes({**raw, "accuracy": 7.0})] = uploads.DAMAGED
    for data, message in cases.items():
        err = refusal(data)
        assert str(err) == message, (err.detail, message)
        assert err.detail.startswith("mine.pt: ")
        for python_word in ("Error", "unpickl", "Traceback"):
            assert python_word not in str(err)
