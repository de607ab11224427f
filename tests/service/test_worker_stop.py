"""A normal stop of the server leaves a clean log: the ``local`` executor's worker process, whose server goes
while a job runs (its pipe closes; Ctrl-C on the terminal reaches the worker too), ends quietly instead of
printing BrokenPipeError and KeyboardInterrupt tracebacks into the server's log."""
from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import time
from pathlib import Path

from pruning_core import paths
from pruning_core.service.executors import local


def chatty_work(ctx, started: str) -> None:
    """A stand-in for a training job: reports progress until the report cannot be delivered."""
    Path(started).write_text("yes")
    while True:
        ctx.partial({"alive": True})
        time.sleep(0.01)


def test_a_worker_whose_server_stops_mid_job_exits_without_a_traceback(tmp_path: Path) -> None:
    conn, child = multiprocessing.Pipe()
    worker = subprocess.Popen([sys.executable, "-m", local.WORKER_MODULE, str(child.fileno()), "1"],
                              pass_fds=[child.fileno()], cwd=paths.APP_DIR, stderr=subprocess.PIPE)
    child.close()
    started = tmp_path / "started"
    try:
        conn.send(("run", "job-1", chatty_work, (str(started),)))
        deadline = time.monotonic() + 120  # the worker loads MNIST before its first job
        while not started.exists():
            assert worker.poll() is None and time.monotonic() < deadline, worker.stderr.read().decode()
            time.sleep(0.05)
        assert conn.recv()[0] == "update"  # it is running and talking
        worker.send_signal(signal.SIGINT)  # Ctrl-C in the server's terminal reaches its whole process group
        time.sleep(0.3)
        assert worker.poll() is None  # the worker waits for the server to go, not for the key
        conn.close()  # the server stops
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    log = worker.stderr.read().decode()
    assert worker.returncode == 0, log
    assert "Traceback" not in log, log
