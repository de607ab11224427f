"""Plain-language upload refusals (pruning_core/service/uploads.py) and the queue's wait estimate
(pruning_core/service/estimate.py)."""
from __future__ import annotations

import io
import pickle

import pytest
import torch

from pruning_core import checkpoint
from pruning_core.service import estimate, uploads


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
        pickle.dumps(Payload()): uploads.CODE,  # a bare pickle that would call a function
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


def test_wait_is_the_work_ahead_over_the_workers_at_the_measured_speed():
    per_epoch = estimate.seconds_per_epoch([(1, 10.0), (2, 30.0), (1, 12.0), (0, 5.0)])
    assert per_epoch == 12.0  # median of 10, 15, 12 s per epoch; a zero-size sample is ignored
    assert estimate.seconds_per_epoch([]) is None
    # One worker: the running job's 0.5 epochs left, then two queued jobs of 1 and 2 epochs.
    assert estimate.wait_seconds([0.5], [1, 2], 1, 10.0) == pytest.approx(35.0)
    # Two workers, one idle: the 1-epoch job starts at once (free at 10 s), the 2-epoch one takes the other
    # worker when the running job ends (5 s); ours gets the first free worker, at 10 s.
    assert estimate.wait_seconds([0.5], [1, 2], 2, 10.0) == pytest.approx(10.0)
    assert estimate.wait_seconds([], [], 1, 10.0) == 0.0
    assert estimate.describe(None) == "wait not measured yet"
    assert estimate.describe(35.0) == "about 35 s" and estimate.describe(150.0) == "about 2 min"
