"""A full disk during a job: free space is checked before a step is saved, so a step that cannot fit fails the job
with the plain sentence before a byte of it is written, and every step saved before it stays whole. Shown with a
disk that reports too little room, and on a real tmpfs filled to a few hundred KB (skipped where mounting one is
not permitted)."""
from __future__ import annotations

import shutil
from collections import namedtuple

from pruning_core import paths
from pruning_core.errors import DISK_FULL
from pruning_core.service.jobs.records import JobSpec, JobStatus
from pruning_core.service.runs import store as runs
from tests.helpers import fill_disk
from tests.service.helpers import wait_finished

Usage = namedtuple("Usage", "total used free")


def two_steps_job(queue, baseline, before_second):
    """A job that saves ``baseline`` as its step 1, calls ``before_second()``, then tries step 2."""
    def work(job):
        job.keep(baseline)
        before_second()
        job.keep(baseline)
    return wait_finished(queue.submit("prune", JobSpec("two steps"), work, owner="student"))


def files_of(run: runs.Run) -> list[str]:
    return sorted(entry.name for entry in run.path.iterdir())


def test_a_step_that_would_not_fit_fails_the_job_before_writing(queue, baseline, monkeypatch):
    real = shutil.disk_usage

    def little_room() -> None:  # the next step needs its size plus the headroom: report a byte less
        step = runs.file_size(runs.all_runs()[0].path / paths.run_step_file(1))
        short = step + runs.FREE_HEADROOM_BYTES - 1
        monkeypatch.setattr(runs.shutil, "disk_usage", lambda path: Usage(*real(path)[:2], short))

    snap = two_steps_job(queue, baseline, little_room)
    assert snap.status == JobStatus.FAILED and snap.error == DISK_FULL
    run = runs.all_runs()[0]
    assert run.steps() == [1] and run.load_step(1).accuracy == baseline.accuracy  # the first step whole
    assert not [name for name in files_of(run) if name.startswith(".")]  # nothing half-written


def test_on_a_real_disk_with_a_few_hundred_kb_left_the_step_fails_and_the_first_stays(queue, baseline,
                                                                                      tiny_disk):
    snap = two_steps_job(queue, baseline, lambda: fill_disk(tiny_disk, leave_bytes=300_000))
    assert snap.status == JobStatus.FAILED and snap.error == DISK_FULL
    run = runs.all_runs()[0]
    assert run.steps() == [1] and run.load_step(1).accuracy == baseline.accuracy
    assert not [name for name in files_of(run) if name.startswith(".")]
    assert run.status()["reason"] == DISK_FULL
