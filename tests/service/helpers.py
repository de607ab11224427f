"""Helpers of the service tests: waiting for a queued job, the line a prune job leaves."""
from __future__ import annotations

from collections.abc import Sequence

from pruning_core.checkpoint import Checkpoint
from pruning_core.service.jobs.job import Job
from pruning_core.service.jobs.records import JobSnapshot
from pruning_core.service.runs import store as runs
from tests.helpers import wait_until


def wait_finished(job: Job) -> JobSnapshot:
    """Wait until a queue's ``job`` has finished; its final snapshot."""
    wait_until(lambda: job.status.finished, f"{job.id} to finish")
    return job.snapshot()


def line_after(snap: JobSnapshot, line: Sequence[Checkpoint]) -> list[Checkpoint]:
    """``line`` and every step the prune job ``snap`` saved in its (new) run: the line as the student sees it."""
    run = runs.get(snap.run)
    return [*line, *(run.load_step(index) for index in run.steps())]
