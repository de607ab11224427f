"""Background jobs: a bounded first-come-first-served queue of worker threads, each job (``job.py``) recorded as a run.

The dashboard never trains inside a page script. It submits a job - a function of the ``Job`` it runs in,
which reports progress (``job.report``), polls ``job.should_stop`` at batch boundaries, hands every
completed step to ``job.keep`` and leaves what the session should adopt in ``job.update`` - and polls
``job.snapshot()`` from a ``st.fragment(run_every=...)``. Workers never touch Streamlit. Every job is also a
run directory (``runs.py``): its status, metrics log and step checkpoints are on disk as they happen, so the
in-memory job can be dropped once collected or expired.

Fairness on a shared classroom server (``QueueLimits``): at most ``max_waiting`` jobs wait; one job at a time
per owner and at most ``per_client`` per client (an IP address, or the owner where there is none); a job
larger than ``max_size`` LeNet-300-100 epochs is refused with the reason; a queued job whose page stopped
polling (``touch``) for ``abandon_s`` is dropped when its turn comes - the tab that wanted it is gone.
The bound holds under any number of concurrent submits: a place is reserved under the lock before the run
directory is made (disk work stays outside the lock).

Isolation: an exception (a bug, a NaN loss) fails that job only, with its reason. Worker threads cannot be
killed from outside, but one can still die - a ``BaseException`` such as ``SystemExit`` from a library, or one
injected with ``PyThreadState_SetAsyncExc`` - with its job half done. A watchdog thread notices a dead worker,
marks its job failed and starts a replacement, so the queue never stalls.

Where the training runs (issue 16/17): a work that calls ``job.remote(fn, ...)`` (``service/works.py``) runs on
the queue's executor - a local worker process by default, so the server's GIL and its pages' polling never
slow training; or a Ray worker - while the queue's thread relays progress, kept checkpoints and Cancel
(``service/remote.py``). A worker process that dies fails its job with ``WorkerLost``; the server carries on.
A plain function of the job (tests) runs in the queue's thread itself.
"""
from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import runs
from ..errors import UserError
from .records import JobSpec, JobStatus
from . import estimate
from .executors import Executor
from .job import Job

EXPIRE_SECONDS = 3600      # a finished job nobody collected is dropped after this (its run stays on disk)
WATCHDOG_SECONDS = 0.5
SPEED_SAMPLES = 20        # finished jobs whose times the wait estimate uses


@dataclass(frozen=True)
class QueueLimits:
    """What one classroom server accepts (see the module docstring)."""

    max_waiting: int = 100     # queued jobs; beyond this new ones are refused with a message
    per_client: int = 2        # queued or running jobs of one client (IP address) at once
    max_size: float = 300.0    # LeNet-300-100 training epochs in one job (~15 minutes on two cores)
    abandon_s: float = 60.0    # a queued job not polled for this long is dropped when its turn comes


def default_workers(cpus_available: int, threads: int) -> int:
    """Jobs at once: each trains on ``threads`` intra-op threads and one CPU stays free for the web server
    (bench/epoch.py); on 2 cores that is one job at a time."""
    return max(1, (cpus_available - 1) // max(1, threads))


class JobQueue:
    """At most ``workers`` jobs run at once, each on ``threads`` intra-op threads (None: the process's count);
    the rest wait in submission order within ``limits``."""

    def __init__(self, workers: int = 1, threads: int | None = None, limits: QueueLimits = QueueLimits(),
                 executor: Executor | None = None) -> None:
        self.threads, self.limits, self.executor = threads, limits, executor
        self._pending: deque[Job] = deque()
        self._jobs: dict[str, Job] = {}
        self._reserved = 0  # places promised to submits that are making their run directory
        self._ids = itertools.count(1)
        self._ready = threading.Condition()
        self._current: dict[int, Job | None] = {}
        self._speeds: deque[estimate.Sample] = deque(maxlen=SPEED_SAMPLES)  # of finished jobs, newest last
        self._workers = [self._start_worker(index) for index in range(max(1, workers))]
        threading.Thread(target=self._watch, name="prune-lab-watchdog", daemon=True).start()

    def submit(self, kind: str, spec: JobSpec, work: Callable[[Job], Any], owner: str = "",
               settings: dict | None = None, client: str = "", run: str = "") -> Job:
        """Queue ``work`` as a new run (or as the continuation of the finished run ``run``: a student's line of
        work), or refuse it with a reason (see ``QueueLimits``)."""
        client = client or owner
        if spec.size > self.limits.max_size:
            raise UserError(f"this job is too large for the shared server: about {spec.size:.0f} LeNet-300-100 "
                            f"training epochs, at most {self.limits.max_size:.0f}; use fewer epochs or "
                            "narrower hidden layers")
        with self._ready:
            self._expire()
            active = [j for j in self._jobs.values() if j.status.active]
            if owner and any(j.owner == owner for j in active):
                raise UserError("your previous job is still running; wait for it or cancel it first")
            if client and sum(j.client == client for j in active) >= self.limits.per_client:
                raise UserError(f"this computer already has {self.limits.per_client} jobs queued or running; "
                                "wait for one to finish")
            if len(self._pending) + self._reserved >= self.limits.max_waiting:
                raise UserError(f"the job queue is full ({self.limits.max_waiting} waiting); "
                                "try again in a few minutes")
            self._reserved += 1
            view = self._view(self._pending)
        # Kept with the run, so the estimate can be checked against the wait that followed (bench/load_test).
        estimated = self._wait(*view)
        settings = {**(settings or {}), "estimated_wait_s": estimated}
        try:
            record = runs.reopen(run) if run else runs.create(kind, spec.title, settings, owner)  # outside the lock
        except BaseException:
            with self._ready:
                self._reserved -= 1
            raise
        with self._ready:  # the reserved place becomes the job's in one step: no gap another submit could use
            self._reserved -= 1
            job = Job(f"job-{next(self._ids)}", kind, spec, work, owner, client, record)
            job.executor, job.estimated_wait = self.executor, estimated
            self._jobs[job.id] = job
            self._pending.append(job)
            self._ready.notify()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def by_token(self, token: str) -> Job | None:
        return next((job for job in list(self._jobs.values()) if secrets.compare_digest(job.token, token)), None)

    def cancel(self, job: Job, reason: str = "cancelled before it started") -> None:
        """Stop ``job``: a waiting one leaves the line at once, a running one stops at its next batch."""
        job.cancel()
        with self._ready:
            waiting = job in self._pending
            if waiting:
                self._pending.remove(job)
        if waiting:
            job.finish(JobStatus.CANCELLED, reason)

    def forget(self, job: Job) -> None:
        """Drop a finished job whose outcome has been collected (its run stays on disk)."""
        with self._ready:
            if job.status.finished:
                self._jobs.pop(job.id, None)

    def position(self, job: Job) -> int:
        """1-based place in the waiting line (0 once the job has started)."""
        with self._ready:
            return next((i + 1 for i, queued in enumerate(self._pending) if queued is job), 0)

    def waiting(self) -> int:
        with self._ready:
            return len(self._pending)

    def of_owner(self, owner: str) -> Job | None:
        """The owner's newest job still held (queued, running, or finished but not collected): a reloaded tab
        finds its job by who it is, not by anything in its URL."""
        # No lock: every page run asks several times, and the lock is held while the wait estimates of 30
        # waiting pages are made; copying a dict's values is one atomic step (the GIL), as ``get`` relies on.
        return next((job for job in reversed(list(self._jobs.values())) if owner and job.owner == owner), None)

    def estimated_wait(self, job: Job) -> float | None:
        """Seconds until ``job`` (queued) starts, from the job times measured on this server: the last
        ``SPEED_SAMPLES`` finished jobs (``service.estimate``), less what the running ones have done; None before
        anything was measured."""
        with self._ready:
            view = self._view(itertools.takewhile(lambda j: j is not job, self._pending))
        return self._wait(*view)

    def _view(self, queued: Iterable[Job]) -> tuple[list[estimate.Sample], list[Job], list[Job]]:  # under the lock
        """What a wait estimate is made of, copied: finished jobs' times, the running jobs, the jobs ahead."""
        return list(self._speeds), [j for j in self._current.values() if j is not None], list(queued)

    def _wait(self, speeds: list[estimate.Sample], running: list[Job], queued: list[Job]) -> float | None:
        """The estimate from a ``_view``, made outside the lock: 30 waiting pages ask for theirs every 2 s."""
        now = time.time()
        # Before any job finished on this server (a fresh one), the speed of the running jobs that have trained.
        cost = estimate.job_cost(speeds) or estimate.job_cost(
            sample for sample in (j.sample(now, crowded=True) for j in running) if sample.size > 0)
        if cost is None:
            return None
        left = [cost.of(j.spec.units, j.spec.size) - (now - (j.started or now)) for j in running]
        return estimate.wait_seconds(left, [cost.of(j.spec.units, j.spec.size) for j in queued], len(self._workers))

    def _expire(self) -> None:
        cutoff = time.time() - EXPIRE_SECONDS
        for job_id in [j.id for j in self._jobs.values() if j.finished is not None and j.finished < cutoff]:
            del self._jobs[job_id]

    def _drop_abandoned(self) -> None:
        """Queued jobs whose page stopped polling leave the line: their tab was closed."""
        cutoff = time.time() - self.limits.abandon_s
        with self._ready:
            gone = [job for job in self._pending if job.last_seen < cutoff]
        for job in gone:
            self.cancel(job, "dropped before it started: the tab that queued it was closed")

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
                crowded = bool(self._pending)  # others wait while it runs (the case every wait estimate is about)
            if job.last_seen < time.time() - self.limits.abandon_s:
                job.finish(JobStatus.CANCELLED, "dropped before it started: the tab that queued it was closed")
            else:
                job.run(self.threads)
            # A collected job is forgotten: its time (to the moment its worker is free) stays here. Measured
            # before taking the lock, which the wait estimates of every waiting page also need.
            sample = job.sample(time.time(), crowded) if job.status == JobStatus.DONE and job.started else None
            with self._ready:
                self._current[index] = None
                if sample is not None:
                    self._speeds.append(sample)

    def _watch(self) -> None:
        """Notice a worker thread that died mid-job: fail its job with a reason, start a replacement worker;
        drop queued jobs nobody watches any more."""
        while True:
            time.sleep(WATCHDOG_SECONDS)
            self._drop_abandoned()
            for index, thread in enumerate(self._workers):
                if thread.is_alive():
                    continue
                with self._ready:
                    job = self._current[index]
                if job is not None:
                    job.finish(JobStatus.FAILED, "the worker running this job stopped unexpectedly; "
                                                 "the server carried on")
                self._workers[index] = self._start_worker(index)
