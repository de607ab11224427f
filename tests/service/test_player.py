"""Play / Pause / Step (pruning_core/service/player.py) on a real JobQueue with the shipped baseline and no
retraining: Step makes exactly the next step, Pause keeps the step in progress and stops, the schedule is
parsed strictly."""
from __future__ import annotations

import time

import pytest

from pruning_core import checkpoint
from pruning_core.errors import UserError
from pruning_core.prune import Unreachable
from pruning_core.service.actions import player
from pruning_core.service.jobs.job import Job
from pruning_core.service.jobs.queue import JobQueue
from pruning_core.service.jobs.records import JobSnapshot, JobStatus
from pruning_core.service.actions.tasks import Requester
from tests.service.helpers import line_after

CLIENT = Requester("player-test-owner")
TIMEOUT_S = 120


@pytest.fixture(scope="module")
def baseline():
    return checkpoint.load("baseline")


def finished(job: Job) -> JobSnapshot:
    deadline = time.time() + TIMEOUT_S
    while not job.snapshot().status.finished:
        assert time.time() < deadline, "job did not finish"
        time.sleep(0.02)
    return job.snapshot()


def percents(line) -> list[float]:
    return [s.history[-1].percent for s in line[1:]]


def test_step_from_the_baseline_makes_exactly_the_first_step(baseline):
    queue = JobQueue(workers=1)
    snap = finished(player.step(queue, [baseline], player.DEFAULT_SCHEDULE, "global", 0, 0.01, CLIENT))
    line = line_after(snap, [baseline])
    assert snap.status == JobStatus.DONE and percents(line) == [10.0]
    again = finished(player.step(queue, line, player.DEFAULT_SCHEDULE, "global", 0, 0.01, CLIENT))
    assert percents(line_after(again, line)) == [10.0, 20.0]  # the next one, from where the line stands


def test_pause_keeps_the_step_in_progress_and_stops(baseline):
    queue = JobQueue(workers=1)
    job = player.play(queue, [baseline], (10, 20, 30, 40), "global", 0, 0.01, CLIENT)
    assert job.pausable and not job.pausing
    assert job.pause() and job.pausing  # at once: during (or before) the first step
    snap = finished(job)
    assert snap.status == JobStatus.DONE and percents(line_after(snap, [baseline])) == [10.0]


def test_play_unpaused_runs_the_rest_of_the_schedule(baseline):
    queue = JobQueue(workers=1)
    start = line_after(finished(player.step(queue, [baseline], (10, 20, 30), "global", 0, 0.01, CLIENT)), [baseline])
    line = line_after(finished(player.play(queue, start, (10, 20, 30), "global", 0, 0.01, CLIENT)), start)
    assert percents(line) == [10.0, 20.0, 30.0]
    with pytest.raises(Unreachable, match="no step left"):
        player.step(queue, line, (10, 20, 30), "global", 0, 0.01, CLIENT)


def test_only_played_jobs_can_be_paused(baseline):
    queue = JobQueue(workers=1)
    job = player.step(queue, [baseline], (10,), "global", 0, 0.01, CLIENT)
    assert not job.pause() and not job.pausable
    finished(job)


@pytest.mark.parametrize("text, expected", [("10, 20, 50", (10.0, 20.0, 50.0)), ("10 % 95%", (10.0, 95.0)),
                                            ("  99.9 ", (99.9,))])
def test_schedule_text(text, expected):
    assert player.parse_schedule(text) == expected


@pytest.mark.parametrize("text, named", [
    ("", "at least one percent"), ("10, ten", "'ten' is not a percent"), ("10, abc, 5", "'abc' is not a percent"),
    ("50, 40, 30", "'40' comes after 50"), ("10, 10", "'10' comes after 10"), ("0, 50", "'0' is not a percent"),
    ("20, 30, 150", "'150' is not a percent")])
def test_bad_schedules_are_one_line_errors_naming_the_bad_item(text, named):
    with pytest.raises(UserError, match=named):
        player.parse_schedule(text)


def test_remaining_skips_what_is_already_pruned():
    assert player.remaining((10, 20, 90, 95), 20.0) == [90, 95]
    assert player.remaining((10, 20), 25.0) == []
