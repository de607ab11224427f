"""The classroom server against a student who tries things: 150 simultaneous submits cannot pass the queue's
bound, a job has a size cap (fair turns in the line: ``test_admission.py``), a closed tab's queued job is
dropped, one student's runs never evict a classmate's and the disk cap holds as runs grow, recovery spares another live server and survives a read-only
disk, and uploads are bounded and decoded once. The dashboard's side (a client's ``clear_cache``,
user text in Markdown, tracebacks) is in ``tests/ui/test_security_pages.py``.
"""
from __future__ import annotations

import io
import struct
import threading
import time
import zlib

import pytest

from pruning_core import checkpoint, digits, paths
from pruning_core.errors import UserError
from pruning_core.service.actions import pictures
from pruning_core.service.runs import store as runs
from pruning_core.service.runs import retention
from pruning_core.service.runs.files import RunFiles
from pruning_core.service.jobs.queue import JobQueue, QueueLimits
from pruning_core.service.jobs.records import JobSpec, JobStatus
from tests.helpers import wait_until

DEADLINE_S = 60  # how long a gate job waits at most (a guard against hanging)


@pytest.fixture
def gate():
    """Work that holds the queue's only worker until the test opens the gate."""
    opened = threading.Event()
    yield opened
    opened.set()


def blocker(opened: threading.Event):
    return lambda job: opened.wait(DEADLINE_S)


def test_150_concurrent_submits_never_pass_the_bound(gate):
    queue = JobQueue(workers=1, limits=QueueLimits(max_waiting=100))
    running = queue.submit("prune", JobSpec("holds the worker"), blocker(gate), owner="first")
    wait_until(lambda: running.status == JobStatus.RUNNING, "the first job to start")
    start, accepted, refused = threading.Barrier(150), [], []

    def student(n: int) -> None:
        start.wait()
        try:
            accepted.append(queue.submit("prune", JobSpec(f"student {n}"), lambda job: None, owner=f"s{n}"))
        except UserError as err:
            refused.append(str(err))

    threads = [threading.Thread(target=student, args=(n,)) for n in range(150)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_S)
    assert queue.waiting() == len(accepted) == 100
    assert len(refused) == 50 and all("queue is full" in reason for reason in refused)
    assert len(runs.all_runs()) == 101  # a refused submit leaves no run behind


def test_jobs_are_capped_in_size(gate):
    queue = JobQueue(workers=1, limits=QueueLimits(max_size=300))
    with pytest.raises(UserError, match="too large for the shared server: about 400 LeNet-300-100"):
        queue.submit("train", JobSpec("huge", size=400.0), blocker(gate), owner="big", client="10.0.0.9")


def test_a_queued_job_of_a_closed_tab_is_dropped(gate):
    queue = JobQueue(workers=1, limits=QueueLimits(abandon_s=0.3))
    running = queue.submit("prune", JobSpec("running"), blocker(gate), owner="a")
    closed = queue.submit("prune", JobSpec("tab closed"), lambda job: None, owner="b")
    watched = queue.submit("prune", JobSpec("tab open"), lambda job: None, owner="c")
    deadline = time.time() + 2.0
    while time.time() < deadline:  # the open tab polls; the closed one does not
        watched.touch()
        running.touch()
        time.sleep(0.05)
    assert closed.status == JobStatus.CANCELLED
    assert "tab that queued it was closed" in closed.run_record.status()["reason"]
    assert watched.status == JobStatus.QUEUED
    gate.set()
    wait_until(lambda: watched.status.finished, "the watched job to run")
    assert watched.status == JobStatus.DONE


def test_one_students_runs_evict_only_their_own(monkeypatch):
    monkeypatch.setattr(retention, "KEEP_PER_OWNER", 5)
    monkeypatch.setattr(retention, "KEEP_RUNS", 8)
    classmates = [runs.create("prune", f"classmate {n}", {}, owner=f"classmate-{n}") for n in range(3)]
    greedy = []
    for n in range(26):
        greedy.append(runs.create("prune", f"greedy {n}", {}, owner="greedy"))
        greedy[-1].set_status(JobStatus.DONE)
    for run in classmates:
        run.set_status(JobStatus.DONE)
    left = {run.id for run in runs.all_runs()}
    assert all(run.id in left for run in classmates)
    assert [run.id for run in greedy if run.id in left] == [run.id for run in greedy[-5:]]


def test_the_byte_cap_holds_as_runs_grow(monkeypatch):
    baseline = checkpoint.load("baseline")
    step = len(checkpoint.to_bytes(baseline))
    monkeypatch.setattr(retention, "MAX_TOTAL_BYTES", 6 * step)
    classmate = runs.create("prune", "classmate", {}, owner="classmate")
    classmate.save_step(baseline)
    classmate.set_status(JobStatus.DONE)
    old = runs.create("prune", "greedy old", {}, owner="greedy")
    old.save_step(baseline)
    old.set_status(JobStatus.DONE)
    growing = runs.create("schedule", "greedy growing", {}, owner="greedy")
    growing.set_status(JobStatus.RUNNING)
    for _ in range(3):
        growing.save_step(baseline)
        assert retention.total_bytes() <= retention.MAX_TOTAL_BYTES
    with pytest.raises(UserError, match="run storage is full"):
        for _ in range(10):
            growing.save_step(baseline)
            assert retention.total_bytes() <= retention.MAX_TOTAL_BYTES
    assert retention.total_bytes() <= retention.MAX_TOTAL_BYTES
    # The heaviest user pays: greedy's finished run went to make room, the classmate's stayed.
    assert classmate.path.is_dir() and not old.path.is_dir()


def test_recover_survives_a_read_only_runs_dir(monkeypatch):
    stale = runs.create("prune", "left running", {})
    stale.set_status(JobStatus.RUNNING)
    (stale.path / paths.RUN_STATUS).write_text('{"status": "running", "pid": 999999999}')

    def read_only(*args, **kwargs):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(RunFiles, "set_status", read_only)  # every run's files, whoever reads them
    monkeypatch.setattr(RunFiles, "log", read_only)
    assert retention.recover() == []  # nothing could be changed, and nothing raised
    assert stale.status()["status"] == JobStatus.RUNNING


def bomb_png(width: int, height: int) -> bytes:
    """A small PNG whose header declares ``width`` x ``height`` pixels (its data is a few zero rows)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def count_decodes(monkeypatch) -> list[int]:
    """A spy on ``digits.decode``: one entry per picture it decoded (a refused one raises before it counts)."""
    decodes: list[int] = []
    real = digits.decode

    def spy(data: bytes):
        gray = real(data)
        decodes.append(1)
        return gray

    monkeypatch.setattr(digits, "decode", spy)
    return decodes


def test_a_decompression_bomb_is_refused_before_decoding(monkeypatch):
    bomb = bomb_png(13_000, 13_000)  # 169 Mpixel declared in under 100 KB: under Pillow's own refusal
    assert len(bomb) < 100_000
    decodes = count_decodes(monkeypatch)
    with pytest.raises(UserError, match="13000 x 13000 pixels"):
        pictures.decoded(bomb)
    assert decodes == []
    with pytest.raises(UserError, match="MB"):
        pictures.decoded(b"\0" * (11 * 1024 ** 2))


def test_a_picture_is_decoded_once(monkeypatch):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (64, 48), 255).save(buffer, "PNG")
    decodes = count_decodes(monkeypatch)
    first = pictures.decoded(buffer.getvalue())
    for _ in range(5):  # the page's reruns
        assert pictures.decoded(buffer.getvalue()) is first
    assert len(decodes) == 1 and not first.flags.writeable
