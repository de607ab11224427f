"""The queue's wait estimate: the pure model (``service/estimate.py``) with synthetic job times where the old
epochs-only formula was wrong, and the queue that records it (``JobQueue.estimated_wait``, written in each run's
settings and in its "started" line beside the wait that followed). No wall-clock upper bounds: only what the
estimate is made of."""
from __future__ import annotations

import statistics
import threading
import time

import pytest

from pruning_core.service.jobs import estimate
from pruning_core.service.jobs.estimate import Sample
from pruning_core.service.jobs.queue import JobQueue
from pruning_core.service.jobs.records import JobSpec, JobStatus
from pruning_core.train import Progress


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def old_seconds_per_epoch(samples: list[Sample]) -> float:
    """The formula this replaces: the median of seconds / epochs over every finished job, lone or not."""
    return statistics.median(s.seconds / s.size for s in samples if s.size > 0)


def test_wait_is_the_time_ahead_over_the_workers() -> None:
    # One worker: the running job's 5 s left, then queued jobs of 10 and 20 s.
    assert estimate.wait_seconds([5.0], [10.0, 20.0], 1) == pytest.approx(35.0)
    # Two workers, one idle: the 10 s job starts at once (free at 10 s), the 20 s one takes the other worker
    # when the running job ends (5 s); ours gets the first free worker, at 10 s.
    assert estimate.wait_seconds([5.0], [10.0, 20.0], 2) == pytest.approx(10.0)
    assert estimate.wait_seconds([], [], 1) == 0.0
    assert estimate.wait_seconds([-3.0], [], 1) == 0.0  # a job running late is about to end, not owed time
    assert estimate.describe(None) == "wait not measured yet"
    assert estimate.describe(35.0) == "about 35 s" and estimate.describe(150.0) == "about 2 min"


def test_training_time_is_summed_over_the_jobs_training_calls() -> None:
    events = [("pruned", 0.0), ("batch", 0.4), ("epoch", 1.0), ("pruned", 0.0), ("batch", 0.3), ("epoch", 0.9)]
    assert estimate.training_seconds(events) == pytest.approx(1.9)
    assert estimate.training_seconds([("pruned", 0.0)]) is None  # a 0-epoch prune trains nothing


def test_a_fixed_time_per_step_is_measured_so_longer_jobs_are_not_overcharged() -> None:
    # 1-epoch prunes that took 1.5 s, 1.0 s of it training: 0.5 s per step is load, prune, evaluate, save.
    samples = [Sample(1, 1.0, 1.5, 1.0, True)] * 3
    cost = estimate.job_cost(samples)
    assert cost == estimate.Cost(per_unit=pytest.approx(0.5), per_epoch=pytest.approx(1.0))
    assert cost.of(1, 4.0) == pytest.approx(4.5)  # a 4-epoch prune
    assert old_seconds_per_epoch(samples) * 4.0 == pytest.approx(6.0)  # the old formula: a third too long
    assert cost.of(3, 3.0) == pytest.approx(4.5)  # a 3-step schedule of 1 epoch each: three fixed parts


def test_a_line_of_zero_epoch_prunes_is_not_free() -> None:
    samples = [Sample(1, 0.0, 0.4, None, True)] * 5  # prune + evaluate + save, no retraining
    cost = estimate.job_cost(samples)
    ahead = [cost.of(1, 0.0)] * 3
    assert estimate.wait_seconds([], ahead, 1) == pytest.approx(1.2)
    assert not [s for s in samples if s.size > 0]  # the old formula had no speed at all: "not measured yet"


def test_jobs_that_ran_while_others_waited_are_preferred() -> None:
    # Three lone jobs measured before the class came in, then the first two of the burst: 20 % slower, since
    # thirty waiting pages poll the server beside them.
    lone = [Sample(1, 1.0, 1.2, 0.9, False)] * 3
    burst = [Sample(1, 1.0, 1.44, 1.08, True)] * 2
    cost = estimate.job_cost(lone + burst)
    assert cost.of(1, 1.0) == pytest.approx(1.44)
    assert estimate.wait_seconds([], [cost.of(1, 1.0)] * 29, 1) == pytest.approx(29 * 1.44)
    assert old_seconds_per_epoch(lone + burst) == pytest.approx(1.2)  # the old median: 17 % short of 1.44
    assert estimate.job_cost(lone).of(1, 1.0) == pytest.approx(1.2)  # with no crowded job, the lone ones
    assert estimate.job_cost([]) is None


def test_queue_records_the_estimate_and_the_wait_that_followed() -> None:
    queue = JobQueue(workers=1, threads=1)
    first = queue.submit("prune", JobSpec("first", size=1.0), lambda job: time.sleep(0.05), owner="a")
    assert first.run_record.config()["settings"]["estimated_wait_s"] is None  # nothing measured yet
    wait_for(lambda: first.status == JobStatus.DONE)
    queue.forget(first)  # as a page does once it has collected the result: its time is kept
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
    started = [line for line in queued[2].run_record.metrics() if line["kind"] == "started"]
    assert started == [{"kind": "started", "waited_s": pytest.approx(queued[2].started - queued[2].created),
                        "estimated_wait_s": recorded[2]}]


def test_queue_counts_the_fixed_time_of_jobs_that_train_nothing() -> None:
    queue = JobQueue(workers=1, threads=1)
    done = [queue.submit("prune", JobSpec(f"zero{i}", size=0.0), lambda job: time.sleep(0.05), owner=f"z{i}")
            for i in range(2)]
    wait_for(lambda: all(job.status == JobStatus.DONE for job in done))
    release = threading.Event()
    queue.submit("prune", JobSpec("running", size=0.0), lambda job: release.wait(), owner="r")
    waiting = [queue.submit("prune", JobSpec(f"w{i}", size=0.0), lambda job: None, owner=f"w{i}") for i in range(3)]
    # At least the 0.05 s each job ahead sleeps, where counting epochs alone said nothing was measured.
    assert queue.estimated_wait(waiting[2]) >= 2 * 0.05
    release.set()
    wait_for(lambda: all(job.status == JobStatus.DONE for job in waiting))


def test_a_job_is_sampled_by_the_steps_it_ran() -> None:
    """A schedule of 3 one-epoch steps paused after its first ends done: one step, one epoch, its own clock."""
    def one_step(job) -> None:
        job.report(Progress("pruned", 0, 1, 0, 10, float("nan"), 0.1, 0.9))
        job.report(Progress("epoch", 1, 1, 10, 10, 0.5, 0.1, 0.95, seconds=0.02))

    queue = JobQueue(workers=1, threads=1)
    job = queue.submit("schedule", JobSpec("paused", units=3, size=3.0), one_step, owner="p")
    wait_for(lambda: job.status == JobStatus.DONE)
    sample = job.sample(job.finished, crowded=False)
    assert (sample.units, sample.size, sample.training) == (1, 1.0, 0.02)
    assert sample.seconds == pytest.approx(job.finished - job.started)


def test_a_running_job_that_has_not_trained_yet_measures_nothing() -> None:
    queue = JobQueue(workers=1, threads=1)
    release = threading.Event()
    running = queue.submit("prune", JobSpec("running", size=1.0), lambda job: release.wait(), owner="r")
    wait_for(lambda: running.status == JobStatus.RUNNING)
    waiting = queue.submit("prune", JobSpec("waiting", size=1.0), lambda job: None, owner="w")
    assert waiting.run_record.config()["settings"]["estimated_wait_s"] is None  # not "0 s": nothing measured
    assert queue.estimated_wait(waiting) is None
    release.set()
    wait_for(lambda: waiting.status == JobStatus.DONE)
