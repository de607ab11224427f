"""One background job: its work, its run record, its progress and outcome, and everything a page needs to show
it (``JobQueue`` in ``queue.py`` runs it).

The work is a function of the ``Job``: it reports progress (``report``), polls ``should_stop`` at batch
boundaries, hands every completed model to ``keep`` (saved in its run, where the session reads it) and leaves an
experiment's points and results in ``update``; or it calls ``remote`` to run an executor work
(``executors/training.py``) in a worker process or on Ray while the queue's thread relays what it reports into the
job: progress events to ``report`` (the run's metrics log and the page), each kept checkpoint - bytes on the wire
- decoded and handed to ``on_keep``, each partial result (an experiment's point) to ``on_partial``; a cancel
request reaches the remote work within ``RELAY_SECONDS`` plus one batch. The relay is idle between its short
polls, so 30 waiting jobs cost the server almost nothing. With no executor (tests, or a queue made without one)
the work runs right here, in the queue's thread, against the same ``Context``. ``snapshot`` is what the pages
poll.
"""
from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from ... import checkpoint, cpus
from ...checkpoint import Checkpoint
from ...errors import UserError, disk_problem
from ...train import Cancelled, Progress
from ..executors import Executor, Update
from ..runs.store import Run
from . import estimate
from .records import JobKind, JobOutcome, JobSnapshot, JobSpec, JobStatus

RELAY_SECONDS = 0.2

OnKeep = Callable[[Checkpoint], None]
OnPartial = Callable[[dict], None]


def ignore_partial(item: dict) -> None:
    """The ``on_partial`` of a work that sends no partial results."""


class Job:
    """One unit of background work, its run record, and everything a page needs to show it."""

    def __init__(self, job_id: str, kind: JobKind, spec: JobSpec, work: Callable[[Job], Any], owner: str,
                 client: str, run: Run) -> None:
        self.id, self.kind, self.spec, self.owner, self.client, self.run_record = job_id, kind, spec, owner, client, run
        self._work: Callable[[Job], Any] | None = work
        self.status, self.error = JobStatus.QUEUED, ""
        self.events: list[Progress] = []
        self.outcome = JobOutcome()
        self.created = self.last_seen = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        self._cancel = threading.Event()
        self._pause = threading.Event()
        self.pausable = False  # set by whoever queues a job that can stop between its steps (Play)
        self._lock = threading.Lock()
        self.executor: Executor | None = None  # set by the queue: where ``remote`` works run
        self.estimated_wait: float | None = None  # set by the queue: its wait estimate when it queued the job

    def cancel(self) -> None:
        """Ask the job to stop at its next batch boundary (or not to start, if still queued)."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def should_stop(self) -> bool:
        return self._cancel.is_set()

    def pause(self) -> bool:
        """Ask a pausable job to stop after its step in progress (kept, unlike Cancel); False if it cannot."""
        if self.pausable:
            self._pause.set()
        return self.pausable

    @property
    def pausing(self) -> bool:
        """True once ``pause`` was asked (the page shows "pausing after this step")."""
        return self._pause.is_set()

    def remote(self, fn: Callable[..., Any], *args: Any, on_keep: OnKeep,
               on_partial: OnPartial = ignore_partial) -> Any:
        """Run the executor work ``fn(ctx, *args)`` (``executors/training.py``) for this job on its queue's
        executor - a worker process, or a Ray worker - relaying progress, kept checkpoints (``on_keep``), partial
        results (``on_partial``) and Cancel; returns its result or raises what ended it (``Cancelled``, a
        ``UserError``, ``WorkerLost``)."""
        if self.executor is None:
            return fn(InThread(self, on_keep, on_partial), *args)
        handle = self.executor.submit(fn, *args)
        try:
            while not handle.done():
                self._relay(handle.updates(), on_keep, on_partial)
                if self.should_stop():
                    handle.cancel()
                time.sleep(RELAY_SECONDS)
            self._relay(handle.updates(), on_keep, on_partial)  # the work flushed its last updates before it ended
            return handle.result()
        finally:
            if not handle.done():  # this thread was stopped: the remote work must not run on for nobody
                handle.cancel()

    def _relay(self, updates: list[Update], on_keep: OnKeep, on_partial: OnPartial) -> None:
        for update in updates:
            if update.kind == "started":
                if update.payload["fresh"]:  # it waited for a new worker to start: that is not the job's time
                    self.begin(update.payload["at"])
            elif update.kind == "event":
                self.report(update.payload)
            elif update.kind == "partial":
                on_partial(update.payload)
            else:
                on_keep(checkpoint.from_bytes(update.payload["checkpoint"], "cpu", origin=update.payload["origin"]))

    def begin(self, at: float) -> None:
        """The work began at ``at``, after waiting for a new worker process to start (a relayed time, so kept
        between the queue's start and now against another machine's clock): the job's own time starts then."""
        with self._lock:
            self.started = min(max(at, self.started or at), time.time())

    def sample(self, until: float, crowded: bool) -> estimate.Sample:
        """This job's time on its worker from its start to ``until`` and the work it did in it, for the wait
        estimate: training calls begun, epochs trained (its share of ``spec.size``) and the training loops' own
        time. A finished job's whole time; a running one's so far."""
        snap = self.snapshot()
        calls = max(1, sum(event.kind == "pruned" for event in snap.events))
        # A schedule paused after some of its steps is done, with only those steps' epochs trained.
        share = min(1.0, calls / max(1, self.spec.units)) if snap.status == JobStatus.DONE else snap.fraction
        return estimate.Sample(calls, self.spec.size * share, until - (snap.started or until),
                               estimate.training_seconds((event.kind, event.seconds) for event in snap.events),
                               crowded)

    def touch(self) -> None:
        """A page is still showing this job (called on every poll): a queued job nobody watches is dropped."""
        self.last_seen = time.time()

    def report(self, event: Progress) -> None:
        self.run_record.log(dataclasses.asdict(event))
        with self._lock:
            self.events.append(event)

    def keep(self, ckpt: Checkpoint) -> None:
        """A completed step: saved in the run directory before the job moves on."""
        self.run_record.save_step(ckpt)

    def update(self, **changes: Any) -> None:
        """Replace fields of the outcome the session adopts (``JobOutcome``), atomically for readers."""
        with self._lock:
            self.outcome = dataclasses.replace(self.outcome, **changes)

    def snapshot(self) -> JobSnapshot:
        """A consistent copy of the job's state for a page to draw."""
        with self._lock:
            return JobSnapshot(self.id, self.kind, self.spec, self.status, tuple(self.events), self.outcome,
                               self.error, self.created, self.started, self.finished, self.run_record.id)

    def run(self, threads: int | None = None) -> None:
        work, self._work = self._work, None  # the closure (and what it holds) goes once the job has run
        if self._cancel.is_set() or work is None:
            self.finish(JobStatus.CANCELLED)
            return
        with self._lock:
            self.status, self.started = JobStatus.RUNNING, time.time()
        self.run_record.set_status(JobStatus.RUNNING)
        # The wait on the queue's clock from the moment it was estimated, beside the estimate: bench/load_test.py
        # checks one against the other (a continued run's settings are not written again, so both are here).
        self.run_record.log({"kind": "started", "waited_s": self.started - self.created,
                             "estimated_wait_s": self.estimated_wait})
        try:
            with cpus.threads(threads):
                work(self)
        except Cancelled:
            self.finish(JobStatus.CANCELLED, "cancelled; completed steps are kept")
        except UserError as err:
            self.finish(JobStatus.FAILED, str(err))
        except OSError as err:  # a full disk, a runs directory gone read-only: the student's plain sentence
            self.finish(JobStatus.FAILED, disk_problem(err))
        except Exception as err:  # a bug must fail this job only, never the server or the other jobs
            traceback.print_exc()
            self.finish(JobStatus.FAILED, f"internal error: {type(err).__name__}: {err}")
        else:
            self.finish(JobStatus.DONE)

    def finish(self, status: JobStatus, reason: str = "") -> None:
        with self._lock:  # the run record first: whoever sees the job finished finds it on disk too
            if self.status.finished:
                return
            try:
                self.run_record.set_status(status, reason)
            except OSError:  # the run was deleted or the disk is full: the job's own state is still right
                traceback.print_exc()
            self.status, self.finished = status, time.time()
            self.error = reason if status == JobStatus.FAILED else ""


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
