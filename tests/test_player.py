"""Play / Pause / Step (pruning_core/service/player.py) on a real JobQueue with the shipped baseline and no
retraining: Step makes exactly the next step, Pause keeps the step in progress and stops, the schedule is
parsed strictly."""
from __future__ import annotations

import time

import pytest

from pruning_core import checkpoint
from pruning_core.errors import UserError
from pruning_core.prune import Unreachable
from pruning_core.service import player
from pruning_core.service.jobs import Job, JobQueue
from pruning_core.service.records import JobSnapshot, JobStatus
from pruning_core.service.tasks import Client

CLIENT = Client("player-test-owner")
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


def percents(snap: JobSnapshot) -> list[float]:
    return [s.history[-1].percent for s in snap.outcome.steps[1:]]


def test_step_from_the_baseline_makes_exactly_the_first_step(baseline):
    queue = JobQueue(workers=1)
    snap = finished(player.step(queue, [baseline], player.DEFAULT_SCHEDULE, "global", 0, 0.01, CLIENT))
    assert snap.status == JobStatus.DONE and percents(snap) == [10.0]
    line = list(snap.outcome.steps)
    again = finished(player.step(queue, line, player.DEFAULT_SCHEDULE, "global", 0, 0.01, CLIENT))
    assert percents(again) == [10.0, 20.0]  # the next one, from where the line stands


def test_pause_keeps_the_step_in_progress_and_stops(baseline):
    queue = JobQueue(workers=1)
    job = player.play(queue, [baseline], (10, 20, 30, 40), "global", 0, 0.01, CLIENT)
    assert player.playable(job) and not player.pausing(job)
    assert player.pause(job) and player.pausing(job)  # at once: during (or before) the first step
    snap = finished(job)
    assert snap.status == JobStatus.DONE and percents(snap) == [10.0]


def test_play_unpaused_runs_the_rest_of_the_schedule(baseline):
    queue = JobQueue(workers=1)
    start = finished(player.step(queue, [baseline], (10, 20, 30), "global", 0, 0.01, CLIENT)).outcome.steps
    snap = finished(player.play(queue, start, (10, 20, 30), "global", 0, 0.01, CLIENT))
    assert percents(snap) == [10.0, 20.0, 30.0]
    with pytest.raises(Unreachable, match="no step left"):
        player.step(queue, snap.outcome.steps, (10, 20, 30), "global", 0, 0.01, CLIENT)


def test_only_played_jobs_can_be_paused(baseline):
    queue = JobQueue(workers=1)
    job = player.step(queue, [baseline], (10,), "global", 0, 0.01, CLIENT)
    assert not player.pause(job) and not player.playable(job)
    finished(job)


@pytest.mark.parametrize("text, expected", [("10, 20, 50", (10.0, 20.0, 50.0)), ("10 % 95%", (10.0, 95.0)),
                                            ("  99.9 ", (99.9,))])
def test_schedule_text(text, expected):
    assert player.parse_schedule(text) == expected


@pytest.mark.parametrize("text", ["", "10, ten", "50, 40", "10, 10", "0, 50", "100"])
def test_bad_schedules_are_one_line_errors(text):
    with pytest.raises(UserError):
        player.parse_schedule(text)


def test_remaining_skips_what_is_already_pruned():
    assert player.remaining((10, 20, 90, 95), 20.0) == [90, 95]
    assert player.remaining((10, 20), 25.0) == []
