"""One background job: its work, its run record, its progress and outcome, and everything a page needs to show
it (``JobQueue`` in ``jobs.py`` runs it).

The work is a function of the ``Job``: it reports progress (``report``), polls ``should_stop`` at batch
boundaries, hands every completed step to ``keep`` and leaves what the session should adopt in ``update``;
or it calls ``remote`` to run an executor work (``works.py``) in a worker process or on Ray while this object
relays progress, kept checkpoints and Cancel. ``snapshot`` is what the pages poll.
"""
from __future__ import annotations

import dataclasses
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from . import estimate, remote, runs
from .. import cpus
from ..checkpoint import Checkpoint
from ..errors import UserError
from ..train import Cancelled, Progress
from .executors import Executor
from .records import JobOutcome, JobSnapshot, JobSpec, JobStatus, ProgressEvent


class Job:
    """One unit of background work, its run record, and everything a page needs to show it."""

    def __init__(self, job_id: str, kind: str, spec: JobSpec, work: Callable[[Job], Any], owner: str,
                 client: str, run: runs.Run) -> None:
        self.id, self.kind, self.spec, self.owner, self.client, self.run_record = job_id, kind, spec, owner, client, run
        self.token = secrets.token_urlsafe(12)  # for URLs: unguessable, unlike the sequential id
        self._work: Callable[[Job], Any] | None = work
        self.status, self.error = JobStatus.QUEUED, ""
        self.events: list[ProgressEvent] = []
        self.outcome = JobOutcome()
        self.created = self.last_seen = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        self._cancel = threading.Event()
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

    def remote(self, fn: Callable[..., Any], *args: Any, on_keep: Callable[[Checkpoint], None],
               on_partial: remote.OnPartial = remote.ignore_partial) -> Any:
        """Run the executor work ``fn(ctx, *args)`` (service/works.py) for this job on its queue's executor -
        a worker process, or a Ray worker - relaying progress, kept checkpoints (``on_keep``), partial results
        (``on_partial``) and Cancel."""
        return remote.run(self.executor, self, fn, *args, on_keep=on_keep, on_partial=on_partial)

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
        record = ProgressEvent.from_progress(event)
        self.run_record.log(record.to_dict())
        with self._lock:
            self.events.append(record)

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
