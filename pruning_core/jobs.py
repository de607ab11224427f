"""Background jobs: a bounded first-come-first-served queue of worker threads with progress and cancel.

The dashboard never trains inside a page script. It submits a job (a function of ``(report, should_stop)``),
keeps the job id in its session, and polls ``job.snapshot()`` from a ``st.fragment(run_every=...)``. Workers
never touch Streamlit: they append progress events to the job under a lock, and the page reads a copy.
"""
from __future__ import annotations

import dataclasses
import itertools
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

from .errors import UserError
from .train import Cancelled, Progress

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)

Work = Callable[[Callable[[Progress], None], Callable[[], bool]], Any]


class Job:
    """One unit of background work and everything a page needs to show it."""

    def __init__(self, job_id: str, kind: str, spec: dict, work: Work) -> None:
        self.id, self.kind, self.spec, self._work = job_id, kind, spec, work
        self.status = QUEUED
        self.events: list[dict] = []
        self.result: Any = None
        self.error = ""
        self.created, self.started, self.finished = time.time(), None, None
        self._cancel = threading.Event()
        self._lock = threading.Lock()

    def cancel(self) -> None:
        """Ask the job to stop at its next batch boundary (or not to start, if still queued)."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def report(self, event: Progress) -> None:
        with self._lock:
            self.events.append(dataclasses.asdict(event))

    def snapshot(self) -> dict:
        """A consistent copy of the job's state for a page to draw."""
        with self._lock:
            return {"id": self.id, "kind": self.kind, "spec": dict(self.spec), "status": self.status,
                    "events": list(self.events), "error": self.error, "created": self.created,
                    "started": self.started, "finished": self.finished}

    def run(self) -> None:
        if self._cancel.is_set():
            self._finish(CANCELLED)
            return
        with self._lock:
            self.status, self.started = RUNNING, time.time()
        try:
            result = self._work(self.report, self._cancel.is_set)
        except Cancelled:
            self._finish(CANCELLED)
        except UserError as err:
            self._finish(FAILED, str(err))
        except Exception as err:  # a bug must fail this job only, never the server or the other jobs
            traceback.print_exc()
            self._finish(FAILED, f"internal error: {type(err).__name__}: {err}")
        else:
            self.result = result
            self._finish(DONE)

    def _finish(self, status: str, error: str = "") -> None:
        with self._lock:
            self.status, self.error, self.finished = status, error, time.time()


class JobQueue:
    """At most ``workers`` jobs run at once; the rest wait in submission order."""

    def __init__(self, workers: int = 1) -> None:
        self._pending: deque[Job] = deque()
        self._jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._ready = threading.Condition()
        for index in range(max(1, workers)):
            threading.Thread(target=self._serve, name=f"prune-lab-worker-{index}", daemon=True).start()

    def submit(self, kind: str, spec: dict, work: Work) -> Job:
        with self._ready:
            job = Job(f"job-{next(self._ids)}", kind, spec, work)
            self._jobs[job.id] = job
            self._pending.append(job)
            self._ready.notify()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def position(self, job: Job) -> int:
        """1-based place in the waiting line (0 once the job has started)."""
        with self._ready:
            return next((i + 1 for i, queued in enumerate(self._pending) if queued is job), 0)

    def _serve(self) -> None:
        while True:
            with self._ready:
                while not self._pending:
                    self._ready.wait()
                job = self._pending.popleft()
            job.run()
