"""Executors (service/executors) and sweeps (service/sweep): local worker processes and a real local Ray
instance. The same points give the same numbers on ``local`` and ``ray``, cancel reaches a running work in
another process, and a killed worker fails its job with a reason while the submitter carries on. Few and
small: Ray start-up alone takes seconds."""
from __future__ import annotations

import dataclasses
import os
import signal
import time
from pathlib import Path

import pytest

from pruning_core import checkpoint, cli
from pruning_core.errors import UserError
from pruning_core.research import experiments
from pruning_core.service import executors
from pruning_core.service.batch import sweep
from pruning_core.service.actions import tasks
from pruning_core.service.jobs.queue import JobQueue
from pruning_core.service.jobs.records import JobStatus
from pruning_core.train import Cancelled
from tests.service.helpers import wait_finished

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_executor():
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    executor = executors.create("ray")
    yield executor
    executor.close()
    ray.shutdown()


@pytest.fixture(scope="module")
def local_executor():
    executor = executors.create("local", slots=2)
    yield executor
    executor.close()


@pytest.fixture(params=["local", "ray"])
def executor(request):
    return request.getfixturevalue(f"{request.param}_executor")


def wait_until_stopped(ctx, pid_file: str) -> str:
    """A work that writes its process id, then idles until cancelled (a stand-in for a long training)."""
    Path(pid_file).write_text(str(os.getpid()))
    while not ctx.should_stop():
        time.sleep(0.01)
    raise Cancelled()


def started_pid(pid_file: Path, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the remote work never started"
        time.sleep(0.05)
    return int(pid_file.read_text())


@pytest.mark.slow
def test_sweep_gives_the_same_numbers_on_local_and_ray(local_executor, ray_executor) -> None:
    start = checkpoint.load("baseline")
    points = sweep.plan(start, [50.0, 90.0], ["layer"], retrain_epochs=1)
    data = checkpoint.resolve("baseline").read_bytes()
    seen: list[tuple[float, int]] = []
    on_local = sweep.run(data, points, local_executor, 1)
    on_ray = sweep.run(data, points, ray_executor, 1, on_progress=lambda f, done, total: seen.append((f, done)))
    keys = ("percent", "scope", "seed", "accuracy_after_prune", "accuracy_after_retrain", "nonzero")
    assert [{k: r[k] for k in keys} for r in on_ray] == [{k: r[k] for k in keys} for r in on_local]
    assert [r["percent"] for r in on_ray] == [50.0, 90.0]
    assert on_ray[1]["nonzero"] < on_ray[0]["nonzero"]
    assert seen[-1] == (1.0, 2) and any(0 < f < 1 for f, _ in seen)  # progress streamed while it ran


@pytest.mark.slow
def test_cancel_reaches_a_running_work(executor, tmp_path: Path) -> None:
    handle = executor.submit(wait_until_stopped, str(tmp_path / "pid"))
    started_pid(tmp_path / "pid")
    asked = time.monotonic()
    handle.cancel()
    with pytest.raises(Cancelled):
        handle.result(timeout=30)
    assert time.monotonic() - asked < 5


@pytest.mark.slow
def test_a_killed_worker_fails_its_job_with_a_reason(executor, tmp_path: Path) -> None:
    handle = executor.submit(wait_until_stopped, str(tmp_path / "pid"))
    os.kill(started_pid(tmp_path / "pid"), signal.SIGKILL)
    with pytest.raises(executors.WorkerLost, match="stopped unexpectedly"):
        handle.result(timeout=60)
    # The executor still works after losing a worker.
    again = executor.submit(wait_until_stopped, str(tmp_path / "pid2"))
    started_pid(tmp_path / "pid2")
    again.cancel()
    with pytest.raises(Cancelled):
        again.result(timeout=30)


def test_unknown_executor_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown executor 'nope'"):
        executors.create("nope")


@pytest.mark.parametrize("argv", [
    ["--percents", "50,90", "--scopes", "global,nope"],
    ["--percents", "50,101"],
    ["--percents", "50", "--executor", "slurm"],
    ["--percents", "50", "--widths", "0"],
])
def test_sweep_bad_input_is_one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    try:  # argparse's checks exit; the plan's checks (a width, a reachable percent) return the code
        code = cli.main(["sweep", "--checkpoint", "baseline", "--retrain-epochs", "1", *argv])
    except SystemExit as stopped:
        code = stopped.code
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("prune-lab: error:")


@pytest.mark.parametrize("argv", [["experiments", "--quick"], ["report", "--quick", "--out", "report.md"]])
def test_a_bad_configured_executor_stops_report_and_experiments_before_any_work(
        argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    monkeypatch.setenv("PRUNE_LAB_EXECUTOR", "slurm")
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "unknown executor 'slurm'" in captured.err
    assert list(tmp_path.iterdir()) == []


def worker_pids() -> set[int]:
    """This process's local-executor worker processes (Linux: /proc)."""
    children = {int(pid) for task in Path("/proc/self/task").iterdir()
                for pid in (task / "children").read_text().split()}
    return {pid for pid in children if b"executors.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()}


def queue_on(executor) -> JobQueue:
    return JobQueue(workers=executor.slots, threads=1, executor=executor)


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_dashboard_job_on_ray_streams_progress_and_cancels(ray_executor) -> None:
    """The Prune page's job through the Ray executor: live progress, Cancel within a batch, the run on disk."""
    queue = queue_on(ray_executor)
    job = tasks.prune(queue, [checkpoint.load("baseline")], [90.0], "global", 20, 0.001, tasks.Requester("a"))
    wait_for(lambda: any(e.kind == "batch" for e in job.snapshot().events))  # progress while it runs
    assert job.snapshot().status == JobStatus.RUNNING
    asked = time.monotonic()
    queue.cancel(job)
    wait_for(lambda: job.snapshot().status.finished, timeout=30)
    assert job.snapshot().status == JobStatus.CANCELLED and time.monotonic() - asked < 5
    assert job.run_record.status()["status"] == "cancelled" and job.run_record.steps() == []


@pytest.mark.slow
def test_dashboard_job_gives_the_same_step_on_local_and_ray(local_executor, ray_executor) -> None:
    steps = []
    for executor in (local_executor, ray_executor):
        queue = queue_on(executor)
        job = tasks.prune(queue, [checkpoint.load("baseline")], [90.0], "layer", 1, 0.001, tasks.Requester("b"))
        wait_for(lambda: job.snapshot().status.finished)
        assert job.snapshot().status == JobStatus.DONE, job.snapshot().error
        assert job.run_record.steps() == [1]  # written by the server from the bytes the worker sent back
        steps.append(job.run_record.load_step(1))
    assert steps[0].history[-1] == steps[1].history[-1]


@pytest.mark.slow
def test_a_dead_worker_process_fails_its_dashboard_job_and_the_queue_goes_on(local_executor) -> None:
    queue = queue_on(local_executor)
    job = tasks.prune(queue, [checkpoint.load("baseline")], [90.0], "global", 20, 0.001, tasks.Requester("c"))
    wait_for(lambda: any(e.kind == "batch" for e in job.snapshot().events))
    before = worker_pids()
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: job.snapshot().status.finished, timeout=30)
    assert job.snapshot().status == JobStatus.FAILED and "stopped unexpectedly" in job.snapshot().error
    assert "stopped unexpectedly" in job.run_record.status()["reason"]
    wait_for(lambda: len(worker_pids() - before) == local_executor.slots)  # replaced
    again = tasks.prune(queue, [checkpoint.load("baseline")], [50.0], "global", 0, 0.001, tasks.Requester("c"))
    wait_for(lambda: again.snapshot().status.finished)
    assert again.snapshot().status == JobStatus.DONE


@pytest.mark.slow
def test_quick_experiment_job_runs_on_the_executor_with_live_points_and_cancel(executor) -> None:
    """The Experiments page's job: its work runs in a worker (not the queue's thread), its points stream back
    one by one while it runs, and Cancel stops it within a batch."""
    settings = experiments.ExperimentSettings((50.0, 90.0), 0, 0, (1,))
    tiny = experiments.ExperimentPlan(True, settings, experiments.QUICK.width_300_vs_600)
    queue = queue_on(executor)
    snap = wait_finished(tasks.quick_experiment(queue, "global_vs_layer", "Global vs layer", tasks.Requester("d"),
                                                tiny))
    assert snap.status == JobStatus.DONE, snap.error
    assert len(snap.outcome.points) == snap.spec.expected == 4 and snap.outcome.results["runs"][1]["scope"] == "layer"
    assert [p["scope"] for p in snap.outcome.points] == ["global", "global", "layer", "layer"]
    # One retraining epoch per point: the first point is on the page while the rest still train.
    slower = experiments.ExperimentPlan(True, dataclasses.replace(settings, retrain_epochs=1), tiny.width_300_vs_600)
    job = tasks.quick_experiment(queue, "global_vs_layer", "Global vs layer", tasks.Requester("d"), slower)
    wait_for(lambda: job.snapshot().outcome.points or job.snapshot().status.finished)
    assert job.snapshot().status == JobStatus.RUNNING
    asked = time.monotonic()
    queue.cancel(job)
    wait_for(lambda: job.snapshot().status.finished, timeout=30)
    snap = job.snapshot()
    assert snap.status == JobStatus.CANCELLED and time.monotonic() - asked < 5
    assert 1 <= len(snap.outcome.points) < 4 and snap.outcome.results is None
