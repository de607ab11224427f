"""Background jobs: a bounded first-come-first-served queue of worker threads, each job recorded as a run.

The dashboard never trains inside a page script. It submits a job - a function of the ``Job`` it runs in,
which reports progress (``job.report``), polls ``job.should_stop`` at batch boundaries and hands every
completed step to ``job.keep`` - and polls ``job.snapshot()`` from a ``st.fragment(run_every=...)``. Workers
never touch Streamlit. Every job is also a run directory (``runs.py``): its status, metrics log and step
checkpoints are on disk as they happen, so the in-memory job can be dropped once collected or expired.

Isolation: an exception (a bug, a NaN loss) fails that job only, with its reason. Worker threads cannot be
killed from outside, but one can still die - a ``BaseException`` such as ``SystemExit`` from a library, or one
injected with ``PyThreadState_SetAsyncExc`` - with its job half done. A watchdog thread notices a dead worker,
marks its job failed and starts a replacement, so the queue never stalls.
"""
from __future__ import annotations

import dataclasses
import itertools
import secrets
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

from . import runs
from .. import train
from ..checkpoint import Checkpoint
from ..errors import UserError
from ..train import Cancelled, Progress
from .runs import CANCELLED, DONE, FAILED, QUEUED, RUNNING

FINISHED = (DONE, FAILED, CANCELLED)
MAX_WAITING = 100          # beyond this many queued jobs, new ones are refused with a message
EXPIRE_SECONDS = 3600      # a finished job nobody collected is dropped after this (its run stays on disk)
WATCHDOG_SECONDS = 0.5


def default_workers(cpus: int) -> int:
    """Jobs at once: each trains on ``train.THREADS`` intra-op threads (a server sets ``server_threads()``) and
    one CPU stays free for the web server (bench/epoch.py); on 2 cores that is one job at a time."""
    return max(1, (cpus - 1) // train.THREADS)


class Job:
    """One unit of background work, its run record, and everything a page needs to show it."""

    def __init__(self, job_id: str, kind: str, spec: dict, work: Callable[[Job], Any], owner: str,
                 run: runs.Run) -> None:
        self.id, self.kind, self.spec, self.owner, self.run_record = job_id, kind, spec, owner, run
        self.token = secrets.token_urlsafe(12)  # for URLs: unguessable, unlike the sequential id
        self._work: Callable[[Job], Any] | None = work
        self.status, self.error = QUEUED, ""
        self.events: list[dict] = []
        self.created, self.started, self.finished = time.time(), None, None
        self._cancel = threading.Event()
        self._lock = threading.Lock()

    def cancel(self) -> None:
        """Ask the job to stop at its next batch boundary (or not to start, if still queued)."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def should_stop(self) -> bool:
        return self._cancel.is_set()

    def report(self, event: Progress) -> None:
        record = dataclasses.asdict(event)
        self.run_record.log(record)
        with self._lock:
            self.events.append(record)

    def keep(self, ckpt: Checkpoint) -> None:
        """A completed step: saved in the run directory before the job moves on."""
        self.run_record.save_step(ckpt)

    def snapshot(self) -> dict:
        """A consistent copy of the job's state for a page to draw."""
        with self._lock:
            return {"id": self.id, "kind": self.kind, "spec": dict(self.spec), "status": self.status,
                    "events": list(self.events), "error": self.error, "created": self.created,
                    "started": self.started, "finished": self.finished, "run": self.run_record.id}

    def run(self) -> None:
        work, self._work = self._work, None  # the closure (and what it holds) goes once the job has run
        if self._cancel.is_set() or work is None:
            self.finish(CANCELLED)
            return
        with self._lock:
            self.status, self.started = RUNNING, time.time()
        self.run_record.set_status(RUNNING)
        try:
            work(self)
        except Cancelled:
            self.finish(CANCELLED, "cancelled; completed steps are kept")
        except UserError as err:
            self.finish(FAILED, str(err))
        except Exception as err:  # a bug must fail this job only, never the server or the other jobs
            traceback.print_exc()
            self.finish(FAILED, f"internal error: {type(err).__name__}: {err}")
        else:
            self.finish(DONE)

    def finish(self, status: str, reason: str = "") -> None:
        with self._lock:  # the run record first: whoever sees the job finished finds it on disk too
            if self.status in FINISHED:
                return
            try:
                self.run_record.set_status(status, reason)
            except OSError:  # the run was deleted or the disk is full: the job's own state is still right
                traceback.print_exc()
            self.status, self.error, self.finished = status, reason if status == FAILED else "", time.time()


class JobQueue:
    """At most ``workers`` jobs run at once; the rest wait in submission order, one job per owner."""

    def __init__(self, workers: int = 1) -> None:
        self._pending: deque[Job] = deque()
        self._jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._ready = threading.Condition()
        self._current: dict[int, Job | None] = {}
        self._workers = [self._start_worker(index) for index in range(max(1, workers))]
        threading.Thread(target=self._watch, name="prune-lab-watchdog", daemon=True).start()

    def submit(self, kind: str, spec: dict, work: Callable[[Job], Any], owner: str = "",
               settings: dict | None = None) -> Job:
        """Queue ``work`` as a new run; refused if ``owner`` already has a job waiting or running."""
        with self._ready:
            self._expire()
            if owner and any(j.owner == owner and j.status not in FINISHED for j in self._jobs.values()):
                raise UserError("your previous job is still running; wait for it or cancel it first")
            if len(self._pending) >= MAX_WAITING:
                raise UserError(f"the job queue is full ({MAX_WAITING} waiting); try again in a few minutes")
        run = runs.create(kind, spec.get("title", kind), settings or {}, owner)  # disk work outside the lock
        with self._ready:
            job = Job(f"job-{next(self._ids)}", kind, spec, work, owner, run)
            self._jobs[job.id] = job
            self._pending.append(job)
            self._ready.notify()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def by_token(self, token: str) -> Job | None:
        return next((job for job in list(self._jobs.values()) if secrets.compare_digest(job.token, token)), None)

    def cancel(self, job: Job) -> None:
        """Stop ``job``: a waiting one leaves the line at once, a running one stops at its next batch."""
        job.cancel()
        with self._ready:
            waiting = job in self._pending
            if waiting:
                self._pending.remove(job)
        if waiting:
            job.finish(CANCELLED, "cancelled before it started")

    def forget(self, job: Job) -> None:
        """Drop a finished job whose outcome has been collected (its run stays on disk)."""
        with self._ready:
            if job.status in FINISHED:
                self._jobs.pop(job.id, None)

    def position(self, job: Job) -> int:
        """1-based place in the waiting line (0 once the job has started)."""
        with self._ready:
            return next((i + 1 for i, queued in enumerate(self._pending) if queued is job), 0)

    def waiting(self) -> int:
        with self._ready:
            return len(self._pending)

    def _expire(self) -> None:
        cutoff = time.time() - EXPIRE_SECONDS
        for job_id in [j.id for j in self._jobs.values() if j.finished is not None and j.finished < cutoff]:
            del self._jobs[job_id]

    def _start_worker(self, index: int) -> threading.Thread:
        self._current[index] = None
        thread = threading.Thread(target=self._serve, args=(index,), name=f"prune-lab-worker-{index}", daemon=True)
        thread.start()
        return thread

    def _serve(self, index: int) -> None:
        while True:
            with self._ready:
                while not self._pending:
                    self._ready.wait()
                job = self._current[index] = self._pending.popleft()
            job.run()
            with self._ready:
                self._current[index] = None

    def _watch(self) -> None:
        """Notice a worker thread that died mid-job: fail its job with a reason, start a replacement worker."""
        while True:
            time.sleep(WATCHDOG_SECONDS)
            for index, thread in enumerate(self._workers):
                if thread.is_alive():
                    continue
                with self._ready:
                    job = self._current[index]
                if job is not None:
                    job.finish(FAILED, "the worker running this job stopped unexpectedly; the server carried on")
                self._workers[index] = self._start_worker(index)
