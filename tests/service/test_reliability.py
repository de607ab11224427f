"""Fault injection on the job queue and the run records: a failing job, a NaN loss, a cancel, a killed worker,
a restart with "running" runs on disk, the queue's order and bounds, and the disk limits.

Every test uses its own JobQueue and its own runs directory (conftest sets PRUNE_LAB_RUNS). Waits poll the
job's state with a generous deadline that only guards against hanging; nothing asserts how fast things are.
"""
from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from pruning_core import lab
from pruning_core.service.jobs import queue as jobs
from pruning_core.service.runs import store as runs
from pruning_core.service.runs import retention
from pruning_core.errors import UserError
from pruning_core.service.jobs.records import JobSpec, JobStatus
from pruning_core.settings import PruneSettings
from tests.helpers import wait_until
from tests.service.helpers import wait_finished

DEADLINE_S = 120  # how long a job that was told to stop may take to stop (a guard against hanging)
CANCELLED, DONE, FAILED, RUNNING = JobStatus.CANCELLED, JobStatus.DONE, JobStatus.FAILED, JobStatus.RUNNING


def test_a_failing_job_fails_alone_and_the_next_one_runs(queue, baseline):
    def boom(job):
        raise RuntimeError("boom")

    bad = queue.submit("prune", JobSpec("bad"), boom, owner="a")
    good = queue.submit("prune", JobSpec("good"), lambda job: job.keep(baseline), owner="b")
    assert wait_finished(bad).error == "internal error: RuntimeError: boom"
    assert wait_finished(good).status == DONE
    assert bad.run_record.status()["status"] == FAILED
    assert bad.run_record.status()["reason"] == "internal error: RuntimeError: boom"
    assert good.run_record.steps() == [1] and good.run_record.status()["status"] == DONE


def test_a_nan_loss_fails_the_job_with_its_reason(queue, baseline):
    def diverge(job):  # lr 10 drives the loss to NaN within the first 50 batches
        lab.prune_step(baseline, PruneSettings(50.0), 1, 10.0, [job.report], job.should_stop)

    snap = wait_finished(queue.submit("prune", JobSpec("nan"), diverge))
    assert snap.status == FAILED and "diverged" in snap.error
    record = queue.get(snap.id).run_record
    assert "diverged" in record.status()["reason"] and record.steps() == []
    assert [e["kind"] for e in record.metrics()][:2] == ["started", "pruned"]  # what happened before is kept


def test_cancel_stops_at_a_batch_and_keeps_the_completed_step(queue, baseline):
    def work(job):
        first = lab.prune_step(baseline, PruneSettings(50.0), 0, None, [job.report], job.should_stop)
        job.keep(first)
        lab.prune_step(first, PruneSettings(60.0), 20, None, [job.report], job.should_stop)

    job = queue.submit("schedule", JobSpec("two steps"), work)
    wait_until(lambda: any(e.kind == "batch" for e in job.snapshot().events), "retraining to start")
    queue.cancel(job)
    snap = wait_finished(job)
    assert snap.status == CANCELLED and snap.events[-1].kind == "batch"
    assert [s.masks.sparsity() for s in (baseline, job.run_record.load_step(1))] == [0.0, pytest.approx(0.5, abs=1e-5)]
    assert job.run_record.status()["status"] == CANCELLED and job.run_record.steps() == [1]
    assert job.run_record.load_step(1).history[-1].percent == 50.0


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the kill, on purpose
def test_a_killed_worker_is_detected_and_replaced(queue, baseline):
    worker = {}

    def hang(job):
        worker["ident"] = threading.get_ident()
        while True:
            time.sleep(0.01)

    stuck = queue.submit("prune", JobSpec("hangs"), hang, owner="a")
    wait_until(lambda: "ident" in worker and stuck.status == RUNNING, "the job to start")
    # What killing the worker looks like from Python: SystemExit raised inside it, escaping Job.run.
    assert ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker["ident"]), ctypes.py_object(SystemExit)) == 1
    snap = wait_finished(stuck)
    assert snap.status == FAILED and "stopped unexpectedly" in snap.error
    assert stuck.run_record.status()["status"] == FAILED
    after = queue.submit("prune", JobSpec("next"), lambda job: job.keep(baseline), owner="a")
    assert wait_finished(after).status == DONE


def test_restart_marks_runs_of_a_dead_server_interrupted(baseline):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        orphan = runs.create("schedule", "killed mid-run", {"percents": [50, 60]})
        orphan.set_status(RUNNING)
        orphan.save_step(lab.prune_step(baseline, PruneSettings(50.0), 0))
        # Killed after the step's checkpoint was renamed into place but before its log line, and mid-line:
        (orphan.path / "metrics.jsonl").write_text('{"kind": "batch", "ste')
        status = json.loads((orphan.path / "status.json").read_text())
        (orphan.path / "status.json").write_text(json.dumps({**status, "pid": int(dead.stdout)}))
        (orphan.path / ".step-02.pt.123.tmp").write_bytes(b"half")
        (runs.paths.runs_dir() / ".new-abc").mkdir()
        os.utime(runs.paths.runs_dir() / ".new-abc", (0, 0))  # a dead server's staging directory, long ago
        other = runs.create("prune", "another live server's", {})
        other.set_status(RUNNING)
        (other.path / "status.json").write_text(json.dumps({"status": RUNNING, "pid": alive.pid}))
        # The live server is mid-write: its temp file and the staging directory of a run it is creating stay.
        (other.path / ".status.json.456.tmp").write_bytes(b"being written")
        (runs.paths.runs_dir() / ".new-live").mkdir()
        (runs.paths.runs_dir() / ".new-live" / "status.json").write_text(json.dumps({"status": "queued",
                                                                                    "pid": alive.pid}))

        assert retention.recover() == [orphan.id]
        assert orphan.status()["status"] == JobStatus.INTERRUPTED and "completed steps are kept" in orphan.status()["reason"]
        assert other.status()["status"] == RUNNING
        assert [e["kind"] for e in orphan.metrics()] == ["step"]
        assert orphan.load_step(1).history[-1].percent == 50.0
        assert not list(orphan.path.glob(".*.tmp"))
        assert [p.name for p in runs.paths.runs_dir().glob(".new-*")] == [".new-live"]
        assert (other.path / ".status.json.456.tmp").exists()
    finally:
        alive.kill()
        alive.wait()


def test_queue_is_first_come_first_served_one_job_per_owner_and_bounded(queue, monkeypatch):
    gate, started = threading.Event(), []

    def work(name):
        def run(job):
            started.append(name)
            gate.wait(DEADLINE_S)
        return run

    first = queue.submit("prune", JobSpec("1"), work("first"), owner="a")
    wait_until(lambda: first.status == RUNNING, "the first job to start")
    waiting = [queue.submit("prune", JobSpec(n), work(n), owner=n) for n in ("b", "c", "d")]
    assert [queue.position(j) for j in [first, *waiting]] == [0, 1, 2, 3]
    with pytest.raises(UserError, match="previous job is still running"):
        queue.submit("prune", JobSpec("again"), work("again"), owner="a")
    queue.limits = jobs.QueueLimits(max_waiting=3)
    with pytest.raises(UserError, match="queue is full"):
        queue.submit("prune", JobSpec("e"), work("e"), owner="e")
    queue.cancel(waiting[1])
    assert waiting[1].status == CANCELLED and queue.position(waiting[2]) == 2
    gate.set()
    for job in [first, *waiting]:
        wait_finished(job)
    assert started == ["first", "b", "d"]
    assert waiting[1].run_record.status()["status"] == CANCELLED


def test_finished_jobs_are_released(queue, monkeypatch):
    job = queue.submit("prune", JobSpec("x"), lambda job: None)
    wait_finished(job)
    assert job._work is None
    queue.forget(job)
    assert queue.get(job.id) is None and job.run_record.status()["status"] == DONE
    old = queue.submit("prune", JobSpec("y"), lambda job: None)
    wait_finished(old)
    monkeypatch.setattr(jobs, "EXPIRE_SECONDS", -1)
    queue.submit("prune", JobSpec("z"), lambda job: None)
    assert queue.get(old.id) is None


def test_disk_limits_and_run_names(baseline, monkeypatch):
    made = [runs.create("prune", f"run {i}", {}) for i in range(4)]
    for run in made[1:]:
        run.set_status(DONE)
    made[0].set_status(RUNNING)  # the oldest is still active: never deleted
    assert retention.enforce_limits(keep=2) == [made[1].id, made[2].id]
    assert [r.id for r in runs.all_runs()] == [made[3].id, made[0].id]
    with pytest.raises(UserError, match="still queued or running"):
        runs.delete(made[0])
    monkeypatch.setattr(retention, "MAX_RUN_BYTES", 10_000)  # room for the JSON files only
    made[3].save_step(baseline)
    with pytest.raises(UserError, match="disk limit"):
        made[3].save_step(baseline)
    for bad in ("../etc", "/tmp", made[3].id + "/..", "", "20260101-000000-000000-zzzz"):
        with pytest.raises(UserError):
            runs.get(bad)
    runs.delete(made[3])
    with pytest.raises(UserError, match="does not exist"):
        runs.get(made[3].id)

