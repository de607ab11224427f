"""The worker process of the ``local`` executor (``local.py`` starts it): load the dataset once, then run
works one after another, sending their updates and outcome back over the socket it was given.

``python -m pruning_core.service.executors.worker FD THREADS``
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

import torch

from ...checkpoint import Checkpoint
from ...data import load_mnist
from ...train import Progress
from .base import Work, event_update, keep_update, partial_update, run_work, started_update

# How much lower than the server's a worker's CPU priority is. With one worker per core (``cpus.burst_plan``) a
# burst keeps every core training; a page run (latency: a student waits for it) then takes its core at once
# instead of sharing it with a training process (throughput: a job a few ms later) at equal weight.
NICENESS = 10
SERVER_GONE = (BrokenPipeError, ConnectionResetError)  # what a send raises once the server's end is closed


class ChildContext:
    """A work's side, inside the worker process. Cancel flags are set by the reader thread."""

    def __init__(self, conn: Connection, job: str, cancelled: set[str]) -> None:
        self.conn, self.job, self.cancelled = conn, job, cancelled

    def report(self, event: Progress) -> None:
        self.conn.send(("update", self.job, event_update(event)))

    def should_stop(self) -> bool:
        return self.job in self.cancelled

    def keep(self, ckpt: Checkpoint) -> None:
        self.conn.send(("update", self.job, keep_update(ckpt)))

    def partial(self, item: dict) -> None:
        self.conn.send(("update", self.job, partial_update(item)))


def serve(conn: Connection, threads: int) -> None:
    """A worker process: load the dataset once, then run works one after another until the pipe closes."""
    if hasattr(os, "nice"):  # POSIX
        os.nice(NICENESS)
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
    fresh = True
    while True:
        with arrived:
            arrived.wait_for(lambda: runs)
            message = runs.popleft()
        if message is None:
            return
        _, job, fn, args = message
        conn.send(("update", job, started_update(fresh)))
        fresh = False
        conn.send(("done", job, *run(ChildContext(conn, job, cancelled), fn, args, threads)))
        cancelled.discard(job)


def run(ctx: ChildContext, fn: Work, args: tuple, threads: int) -> tuple[str, Any]:
    try:
        return run_work(fn, ctx, args, threads)
    except SERVER_GONE:
        raise  # not the work's fault: the server stopped while it ran (see ``main``)
    except Exception as err:  # a bug fails this job only; the worker process serves the next
        traceback.print_exc()
        return "crash", f"internal error: {type(err).__name__}: {err}"


def main(fd: int, threads: int) -> None:
    """Serve until the server goes. A server that stops - closing its end of the pipe, Ctrl-C on its terminal
    (which reaches this process too, being in the same process group) - ends the worker quietly: there is
    nobody left to report to, and a traceback in the server's log would look like a failure."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server's closing pipe is what stops a worker
    try:
        serve(Connection(fd), threads)
    except SERVER_GONE:
        pass


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
