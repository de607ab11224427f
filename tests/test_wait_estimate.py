"""The queue's wait estimate (``JobQueue.estimated_wait``, recorded in each run's settings when it is queued):
nothing before anything was measured, then the measured speed of finished jobs - kept after a page collects
and forgets them - times the work ahead. No wall-clock bounds: only what the estimate is made of."""
from __future__ import annotations

import threading
import time

from pruning_core.service.jobs import JobQueue
from pruning_core.service.records import JobSpec, JobStatus


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_estimate_uses_forgotten_jobs_speed_and_grows_with_the_line() -> None:
    queue = JobQueue(workers=1, threads=1)
    first = queue.submit("prune", JobSpec("first", size=1.0), lambda job: time.sleep(0.05), owner="a")
    assert first.run_record.config()["settings"]["estimated_wait_s"] is None  # nothing measured yet
    wait_for(lambda: first.status == JobStatus.DONE)
    queue.forget(first)  # as a page does once it has collected the result
    release = threading.Event()
    running = queue.submit("prune", JobSpec("running", size=1.0), lambda job: release.wait(), owner="b")
    wait_for(lambda: running.status == JobStatus.RUNNING)
    queued = [queue.submit("prune", JobSpec(f"q{i}", size=1.0), lambda job: None, owner=f"q{i}") for i in range(3)]
    recorded = [job.run_record.config()["settings"]["estimated_wait_s"] for job in queued]
    assert all(value is not None and value >= 0 for value in recorded)
    assert recorded[0] < recorded[1] < recorded[2]  # each job ahead adds one measured job's time
    assert queue.estimated_wait(queued[2]) > queue.estimated_wait(queued[0])
    release.set()
    wait_for(lambda: all(job.status == JobStatus.DONE for job in queued))
