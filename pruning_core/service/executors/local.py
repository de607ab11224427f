"""The ``local`` executor: works run in ``slots`` worker processes on this machine, first come first served.

Why processes, not threads of the server: a training step is many short Python calls, each needing the GIL,
which a classroom's polling pages hold too (measured: docs/design-notes.md). A worker process has its own
interpreter: the web server's traffic cannot starve it, and it loads MNIST once (at start, before the first job
arrives), not per job.

Wire protocol (one duplex pipe per worker; only picklable values cross it):
    server -> worker  ("run", job, fn, args) | ("cancel", job)
    worker -> server  ("update", job, Update) | ("done", job, tag, value)    tag: ok | cancelled | error
One collector thread in the server waits on every pipe: a worker whose pipe closes (the process died) fails
its job with ``WorkerLost`` and is replaced; the server carries on.
"""
from __future__ import annotations

import itertools
import multiprocessing
import subprocess
import sys
import threading
from collections import deque
from multiprocessing.connection import wait
from typing import Any

from ... import paths
from .base import Executor, Handle, Update, Work, outcome_value


WORKER_MODULE = "pruning_core.service.executors.worker"


class LocalHandle(Handle):
    def __init__(self, executor: "LocalExecutor", job: str) -> None:
        self.executor, self.job = executor, job
        self.pending: list[Update] = []
        self.finished = threading.Event()
        self.outcome: tuple[str, Any] = ("", None)

    def updates(self) -> list[Update]:
        with self.executor.lock:
            taken, self.pending = self.pending, []
        return taken

    def cancel(self) -> None:
        self.executor.cancel(self)

    def done(self) -> bool:
        return self.finished.is_set()

    def result(self, timeout: float | None = None) -> Any:
        if not self.finished.wait(timeout):
            raise TimeoutError(f"job {self.job} still running after {timeout} s")
        return outcome_value(*self.outcome)


class _Worker:
    """One worker process: ``python -m pruning_core.service.executors.worker FD THREADS`` on one end of a socket
    pair. Not ``multiprocessing.Process``: its spawn re-runs the parent's main module in the child, and in a
    Streamlit server that is the page script (app.py), which would start a worker of its own."""

    def __init__(self, threads: int) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = subprocess.Popen([sys.executable, "-m", WORKER_MODULE, str(child.fileno()), str(threads)],
                                        pass_fds=[child.fileno()], cwd=paths.APP_DIR)
        child.close()
        self.current: LocalHandle | None = None


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, slots: int = 1, threads: int = 1) -> None:
        self.slots, self.threads = max(1, slots), threads
        self.lock = threading.Lock()
        self._workers = [_Worker(threads) for _ in range(self.slots)]
        self._waiting: deque[tuple[LocalHandle, Work, tuple]] = deque()
        self._ids = itertools.count(1)
        self._closed = False
        self._wake_r, self._wake_w = multiprocessing.Pipe(duplex=False)  # wakes the collector to stop
        threading.Thread(target=self._collect, name="prune-lab-collector", daemon=True).start()

    def submit(self, fn: Work, *args: Any) -> Handle:
        handle = LocalHandle(self, f"job-{next(self._ids)}")
        with self.lock:
            self._waiting.append((handle, fn, args))
            self._dispatch()
        return handle

    def cancel(self, handle: LocalHandle) -> None:
        with self.lock:
            for entry in self._waiting:
                if entry[0] is handle:  # never started: it ends here
                    self._waiting.remove(entry)
                    self._finish(handle, ("cancelled", ""))
                    return
            worker = next((w for w in self._workers if w.current is handle), None)
            if worker is not None:
                worker.conn.send(("cancel", handle.job))

    def close(self) -> None:
        self._closed = True
        for worker in self._workers:
            worker.process.kill()
        self._wake_w.send(None)

    def _dispatch(self) -> None:  # under self.lock
        for worker in self._workers:
            if worker.current is None and self._waiting:
                handle, fn, args = self._waiting.popleft()
                worker.current = handle
                worker.conn.send(("run", handle.job, fn, args))

    def _finish(self, handle: LocalHandle, outcome: tuple[str, Any]) -> None:
        handle.outcome = outcome
        handle.finished.set()

    def _collect(self) -> None:
        while not self._closed:
            by_conn = {worker.conn: worker for worker in self._workers}
            for ready in wait([*by_conn, self._wake_r]):
                if ready is self._wake_r:
                    self._wake_r.recv()
                elif not self._receive(by_conn[ready]):
                    self._replace(by_conn[ready])

    def _receive(self, worker: _Worker) -> bool:
        """Take one message from ``worker``; False once its pipe is closed (the process ended)."""
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            return False
        with self.lock:
            handle = worker.current
            if handle is None or message[1] != handle.job:
                return True
            if message[0] == "update":
                handle.pending.append(message[2])
            else:
                worker.current = None
                self._finish(handle, (message[2], message[3]))
                self._dispatch()
        return True

    def _replace(self, dead: _Worker) -> None:
        if self._closed:
            return
        code = dead.process.wait()
        dead.conn.close()
        with self.lock:
            if dead.current is not None:
                self._finish(dead.current, ("lost", f"the worker process running this job stopped unexpectedly "
                                                    f"(exit code {code}); the server carried on"))
            self._workers[self._workers.index(dead)] = _Worker(self.threads)
            self._dispatch()
