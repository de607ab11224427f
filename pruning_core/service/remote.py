"""A job's work on the queue's executor: submit it, relay what it reports into the ``Job``, pass Cancel on.

``run(executor, job, fn, *args, on_keep=...)`` is what a queue worker thread does for a job whose work is an
executor work (``service/works.py``): progress events go to ``job.report`` (the run's metrics log and the
page), each kept checkpoint - bytes on the wire - is decoded and handed to ``on_keep`` (which saves it in the
run directory and updates the job's outcome), each partial result (an experiment's point) goes to
``on_partial``, and a cancel request reaches the remote work within
``RELAY_SECONDS`` plus one batch. The relay thread is idle between its short polls, so 30 waiting jobs cost
the server almost nothing. With no executor (tests, or a queue made without one) the work runs right here,
in the queue's thread, against the same ``Context``.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import checkpoint
from ..checkpoint import Checkpoint
from ..train import Progress
from .executors import Executor, Update

if TYPE_CHECKING:  # job.py imports this module
    from .job import Job

RELAY_SECONDS = 0.2

OnKeep = Callable[[Checkpoint], None]
OnPartial = Callable[[dict], None]


def ignore_partial(item: dict) -> None:
    """The ``on_partial`` of a work that sends no partial results."""


class InThread:
    """The ``Context`` of a work run in the queue's own thread: straight into the job."""

    def __init__(self, job: Job, on_keep: OnKeep, on_partial: OnPartial) -> None:
        self.job, self.on_keep, self.on_partial = job, on_keep, on_partial

    def report(self, event: Progress) -> None:
        self.job.report(event)

    def should_stop(self) -> bool:
        return self.job.should_stop()

    def keep(self, ckpt: Checkpoint) -> None:
        self.on_keep(ckpt)

    def partial(self, item: dict) -> None:
        self.on_partial(item)


def run(executor: Executor | None, job: Job, fn: Callable[..., Any], *args: Any, on_keep: OnKeep,
        on_partial: OnPartial = ignore_partial) -> Any:
    """Run ``fn(ctx, *args)`` for ``job``; returns its result or raises what ended it (``Cancelled``, a
    ``UserError``, ``WorkerLost``)."""
    if executor is None:
        return fn(InThread(job, on_keep, on_partial), *args)
    handle = executor.submit(fn, *args)
    try:
        while not handle.done():
            _relay(handle.updates(), job, on_keep, on_partial)
            if job.should_stop():
                handle.cancel()
            time.sleep(RELAY_SECONDS)
        _relay(handle.updates(), job, on_keep, on_partial)  # the work flushed its last updates before it finished
        return handle.result()
    finally:
        if not handle.done():  # this thread was stopped: the remote work must not run on for nobody
            handle.cancel()


def _relay(updates: list[Update], job: Job, on_keep: OnKeep, on_partial: OnPartial) -> None:
    for update in updates:
        if update.kind == "started":
            if update.payload["fresh"]:  # it waited for a new worker to start: that is not the job's time
                job.begin(update.payload["at"])
        elif update.kind == "event":
            job.report(Progress(**update.payload))
        elif update.kind == "partial":
            on_partial(update.payload)
        else:
            on_keep(checkpoint.from_bytes(update.payload["checkpoint"], "cpu", origin=update.payload["origin"]))
