"""The job queue: jobs (``job.py``) wait in submission order and run on a few worker threads, each recorded
as a run (``runs/store.py``) so the in-memory job can be dropped once collected or expired.

Fairness on a shared classroom server: see ``QueueLimits``. Every limit holds under concurrent submits: a place
is reserved for the (owner, client) under the lock, every check counts the reservations, and the run directory is
made outside it. The line is per-student round-robin, not per address (a class behind one NAT or proxy address
shares it): a job goes behind every waiting job whose student had fewer jobs admitted in the last
``RECENT_S``, and one address may bring at most ``new_owners_per_minute`` students the queue has not seen
recently, so minting identities cannot flood it. A failing job fails alone, and a watchdog thread replaces a
worker thread that died, failing its job, so the queue never stalls.
"""
from __future__ import annotations

import bisect
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ...errors import UserError
from ..executors import Executor
from ..runs import store as runs
from . import estimate
from .job import Job
from .records import JobKind, JobSpec, JobStatus

EXPIRE_SECONDS = 3600      # a finished job nobody collected is dropped after this (its run stays on disk)
WATCHDOG_SECONDS = 0.5
SPEED_SAMPLES = 20        # finished jobs whose times the wait estimate uses
RECENT_S = 1800.0         # a student's jobs admitted within this window decide their turn
NEW_OWNER_WINDOW_S = 60.0  # the window of ``QueueLimits.new_owners_per_minute``


@dataclass(frozen=True)
class QueueLimits:
    """What one classroom server accepts: at most ``max_waiting`` jobs wait; one job at a time per owner (a
    student); at most ``new_owners_per_minute`` owners new to the queue per client (an IP address, or the owner
    where there is none) a minute; a job larger than ``max_size`` LeNet-300-100 epochs is refused with the
    reason; a queued job whose page stopped polling (``Job.touch``) for ``abandon_s`` is dropped when its turn
    comes - the tab that wanted it is gone."""

    max_waiting: int = 100     # queued jobs; beyond this new ones are refused with a message
    new_owners_per_minute: int = 60  # students one address may bring to the queue a minute (a class is ~30)
    max_size: float = 300.0    # LeNet-300-100 training epochs in one job (~15 minutes on two cores)
    abandon_s: float = 60.0    # a queued job not polled for this long is dropped when its turn comes


class JobQueue:
    """At most ``workers`` jobs run at once, each on ``threads`` intra-op threads (None: the process's count);
    the rest wait in line within ``limits``: per-student round-robin, first come first served among equals."""

    def __init__(self, workers: int = 1, threads: int | None = None, limits: QueueLimits = QueueLimits(),
                 executor: Executor | None = None) -> None:
        self.threads, self.limits, self.executor = threads, limits, executor
        self._pending: deque[Job] = deque()
        self._jobs: dict[str, Job] = {}
        self._reserved: list[tuple[str, str]] = []  # (owner, client) of submits making their run directory
        self._turns: dict[str, int] = {}  # waiting job id -> its owner's jobs admitted recently (its place)
        self._admitted: dict[str, deque[float]] = {}  # owner -> when its recent jobs were admitted
        self._newcomers: dict[str, deque[float]] = {}  # client -> when owners new to the queue came from it
        self._ids = itertools.count(1)
        self._ready = threading.Condition()
        self._current: dict[int, Job | None] = {}
        self._speeds: deque[estimate.Sample] = deque(maxlen=SPEED_SAMPLES)  # of finished jobs, newest last
        self._workers = [self._start_worker(index) for index in range(max(1, workers))]
        threading.Thread(target=self._watch, name="prune-lab-watchdog", daemon=True).start()

    def submit(self, kind: JobKind, spec: JobSpec, work: Callable[[Job], Any], owner: str = "",
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
            self._admit(owner, client)
            self._reserved.append((owner, client))
            turn = len(self._admitted.get(owner or client, ()))
            view = self._view(itertools.islice(self._pending, self._place(turn)))
        # Kept with the run, so the estimate can be checked against the wait that followed (bench/load_test).
        estimated = self._wait(*view)
        settings = {**(settings or {}), "estimated_wait_s": estimated}
        try:
            record = runs.reopen(run) if run else runs.create(kind, spec.title, settings, owner)  # outside the lock
        except BaseException:
            with self._ready:
                self._reserved.remove((owner, client))
            raise
        with self._ready:  # the reserved place becomes the job's in one step: no gap another submit could use
            self._reserved.remove((owner, client))
            job = Job(f"job-{next(self._ids)}", kind, spec, work, owner, client, record)
            job.executor, job.estimated_wait = self.executor, estimated
            self._admitted.setdefault(owner or client, deque()).append(time.time())
            self._jobs[job.id] = job
            self._turns[job.id] = turn
            self._pending.insert(self._place(turn), job)
            self._ready.notify()
        return job

    def _admit(self, owner: str, client: str) -> None:  # under the lock
        """Refuse a submit that breaks a limit, counting the submits still making their run directory; record a
        student new to the queue against their address."""
        waiting = [j for j in self._jobs.values() if j.owner == owner and j.status.active] if owner else []
        if owner and (waiting or any(held == owner for held, _ in self._reserved)):
            if waiting and waiting[0].status == JobStatus.RUNNING:
                raise UserError("your previous job is still running; wait for it or cancel it first")
            raise UserError("you already have a job waiting in line (one at a time per student); it starts "
                            "when its turn comes, or cancel it first")
        if len(self._pending) + len(self._reserved) >= self.limits.max_waiting:
            raise UserError(f"the job queue is full ({self.limits.max_waiting} waiting); "
                            "try again in a few minutes")
        if not client or (owner or client) in self._admitted:
            return
        arrivals = self._newcomers.setdefault(client, deque())
        if len(arrivals) >= self.limits.new_owners_per_minute:
            raise UserError(f"{len(arrivals)} new students came from this computer's address in the last minute, "
                            "the most the server takes; try again in a minute")
        arrivals.append(time.time())

    def _place(self, turn: int) -> int:  # under the lock
        """Where a job whose student had ``turn`` jobs admitted recently joins the line: behind every waiting
        job with as few or fewer, ahead of those with more."""
        return bisect.bisect_right([self._turns.get(j.id, 0) for j in self._pending], turn)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def cancel(self, job: Job, reason: str = "cancelled before it started") -> None:
        """Stop ``job``: a waiting one leaves the line at once, a running one stops at its next batch."""
        job.cancel()
        with self._ready:
            waiting = job in self._pending
            if waiting:
                self._pending.remove(job)
                self._turns.pop(job.id, None)
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
        ``SPEED_SAMPLES`` finished jobs (``estimate.py``), less what the running ones have done; None before
        anything was measured."""
        with self._ready:
            view = self._view(itertools.takewhile(lambda j: j is not job, self._pending))
        return self._wait(*view)

    def estimated_seconds(self, units: int, size: float) -> float | None:
        """Seconds a job of ``units`` training calls and ``size`` LeNet-300-100 epochs would take a worker, from
        the jobs that finished on this server (``estimate.job_cost``); None before any was measured."""
        with self._ready:
            speeds = list(self._speeds)
        cost = estimate.job_cost(speeds)
        return None if cost is None else cost.of(units, size)

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

    def _expire(self) -> None:  # under the lock
        now = time.time()
        for job_id in [j.id for j in self._jobs.values() 
                       if j.finished is not None and j.finished < now - EXPIRE_SECONDS]:
            del self._jobs[job_id]
        for times, window in [(self._admitted, RECENT_S), (self._newcomers, NEW_OWNER_WINDOW_S)]:
            for key in list(times):
                while times[key] and times[key][0] < now - window:
                    times[key].popleft()
                if not times[key]:
                    del times[key]

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
                self._turns.pop(job.id, None)
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
