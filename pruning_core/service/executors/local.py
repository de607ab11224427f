"""The ``local`` executor: works run in ``slots`` worker processes on this machine, first come first served.

Why processes, not threads of the server (issue 17, docs/reliability.md): a training step is many short
Python calls, each needing the GIL, and a classroom's 30 pages polling every half second hold the same GIL -
the burst ran 3-4x slower than its compute. A worker process has its own interpreter: the web server's
traffic cannot starve it, and it loads MNIST once (at start, before the first job arrives), not per job.

Wire protocol (one duplex pipe per worker; only picklable values cross it):
    server -> worker  ("run", job, fn, args) | ("cancel", job)
    worker -> server  ("update", job, Update) | ("done", job, tag, value)    tag: ok | cancelled | error
One collector thread in the server waits on every pipe and every worker's process sentinel: a worker that
dies fails its job with ``WorkerLost`` and is replaced; the server carries on.
"""
from __future__ import annotations

import itertools
import multiprocessing
import threading
import traceback
from collections import deque
from multiprocessing.connection import Connection, wait
from typing import Any

import torch

from ... import cpus
from ...checkpoint import Checkpoint
from ...data import load_mnist
from ...errors import UserError
from ...train import Cancelled, Progress
from .base import Executor, Handle, Update, Work, WorkerLost, event_update, keep_update


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
        tag, value = self.outcome
        if tag == "cancelled":
            raise Cancelled()
        if tag == "error":
            raise UserError(value)
        if tag == "lost":
            raise WorkerLost(value)
        if tag == "crash":
            raise RuntimeError(value)
        return value


class _Worker:
    def __init__(self, context: Any, threads: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, threads), name="prune-lab-worker", daemon=True)
        self.process.start()
        child.close()
        self.current: LocalHandle | None = None


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, slots: int = 1, threads: int = 1) -> None:
        self.slots, self.threads = max(1, slots), threads
        self.lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")  # never fork a process that has threads
        self._workers = [_Worker(self._context, threads) for _ in range(self.slots)]
        self._waiting: deque[tuple[LocalHandle, Work, tuple]] = deque()
        self._ids = itertools.count(1)
        self._closed = False
        self._wake_r, self._wake_w = self._context.Pipe(duplex=False)  # wakes the collector for new workers
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
            by_source: dict[Any, _Worker] = {}
            for worker in self._workers:
                by_source[worker.conn] = by_source[worker.process.sentinel] = worker
            for ready in wait([*by_source, self._wake_r]):
                if ready is self._wake_r:
                    self._wake_r.recv()
                elif ready is by_source[ready].conn:
                    self._receive(by_source[ready])
                else:
                    self._replace(by_source[ready])

    def _receive(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            return  # the process is dying: its sentinel says so next
        with self.lock:
            handle = worker.current
            if handle is None or message[1] != handle.job:
                return
            if message[0] == "update":
                handle.pending.append(message[2])
            else:
                worker.current = None
                self._finish(handle, (message[2], message[3]))
                self._dispatch()

    def _replace(self, dead: _Worker) -> None:
        if self._closed:
            return
        with self.lock:
            if dead.current is not None:
                self._finish(dead.current, ("lost", f"the worker process running this job stopped unexpectedly "
                                                    f"(exit code {dead.process.exitcode}); the server carried on"))
            self._workers[self._workers.index(dead)] = _Worker(self._context, self.threads)
            self._dispatch()


class _ChildContext:
    """A work's side, inside the worker process. Cancel flags are set by the reader thread."""

    def __init__(self, conn: Connection, job: str, cancelled: set[str]) -> None:
        self.conn, self.job, self.cancelled = conn, job, cancelled

    def report(self, event: Progress) -> None:
        self.conn.send(("update", self.job, event_update(event)))

    def should_stop(self) -> bool:
        return self.job in self.cancelled

    def keep(self, ckpt: Checkpoint) -> None:
        self.conn.send(("update", self.job, keep_update(ckpt)))


def _serve(conn: Connection, threads: int) -> None:
    """A worker process: load the dataset once, then run works one after another until the pipe closes."""
    torch.set_num_threads(threads)
    load_mnist("cpu")
    runs: deque = deque()
    cancelled: set[str] = set()
    arrived = threading.Condition()

    def read() -> None:  # a thread, so that a cancel arrives while the main thread trains
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = None
            with arrived:
                if message is None or message[0] == "run":
                    runs.append(message)
                else:
                    cancelled.add(message[1])
                arrived.notify()
            if message is None:
                return

    threading.Thread(target=read, daemon=True).start()
    while True:
        with arrived:
            arrived.wait_for(lambda: runs)
            message = runs.popleft()
        if message is None:
            return
        _, job, fn, args = message
        conn.send(("done", job, *_run(_ChildContext(conn, job, cancelled), fn, args, threads)))
        cancelled.discard(job)


def _run(ctx: _ChildContext, fn: Work, args: tuple, threads: int) -> tuple[str, Any]:
    try:
        with cpus.threads(threads):
            return "ok", fn(ctx, *args)
    except Cancelled:
        return "cancelled", ""
    except UserError as err:
        return "error", str(err)
    except Exception as err:  # a bug fails this job only; the worker process serves the next
        traceback.print_exc()
        return "crash", f"internal error: {type(err).__name__}: {err}"
