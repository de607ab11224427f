"""The ``ray`` executor: each work is one Ray task (``threads`` CPUs) on whichever machine of the cluster has them free.

* Connection: ``RAY_ADDRESS`` (Ray's own variable, e.g. ``ray://teacher-pc:10001`` or ``teacher-pc:6379``)
  joins an existing cluster and ships this package to it (``runtime_env`` ``py_modules``: lab PCs need the
  Python requirements, not a copy of the repository); unset, a private local Ray instance is started.
* Progress and cancel: one small ``Mailbox`` actor (no CPU) per executor. A task appends its updates to its
  job's box - fire-and-forget calls, which Ray delivers in order - and flushes before it returns, so the
  submitter has every update once the result is ready. Cancel is a flag in the box that the task re-reads at
  most every ``CANCEL_POLL_SECONDS``, without ever blocking a training batch on the network.
* Results: checkpoint bytes and metrics travel through Ray's object store; no shared file system.
* Failure: tasks are never retried (``max_retries=0``): a worker process or machine that dies fails its job
  with ``WorkerLost`` and the reason Ray gives, instead of silently running it twice.
* Per-worker state: Ray reuses worker processes, so the process-level caches (``load_mnist``, the sweep's
  start checkpoints) load the dataset and baselines once per worker process, not once per job.
"""
from __future__ import annotations

import itertools
import os
import threading
import time
from typing import Any

import ray
from ray import exceptions as ray_errors

from ... import paths
from ...checkpoint import Checkpoint
from ...train import Progress
from .base import (Executor, Handle, Update, Work, WorkerLost, event_update, keep_update, outcome_value,
                   partial_update, run_work, started_update)

CANCEL_POLL_SECONDS = 0.05
_fresh = True  # in a Ray worker process: no task has run in it yet


@ray.remote(num_cpus=0)
class Mailbox:
    """Per-job update lists and cancel flags, shared by the submitter and the tasks."""

    def __init__(self) -> None:
        self.boxes: dict[str, list[Update]] = {}
        self.cancelled: set[str] = set()

    def put(self, job: str, updates: list[Update]) -> None:
        self.boxes.setdefault(job, []).extend(updates)

    def take(self, job: str) -> list[Update]:
        return self.boxes.pop(job, [])

    def cancel(self, job: str) -> None:
        self.cancelled.add(job)

    def stopped(self, job: str) -> bool:
        return job in self.cancelled

    def forget(self, job: str) -> None:
        self.cancelled.discard(job)


class RayContext:
    """A work's side of a Ray handle, inside the worker process."""

    def __init__(self, mailbox: Any, job: str) -> None:
        self.mailbox, self.job = mailbox, job
        self.stopped = ray.get(mailbox.stopped.remote(job))  # cancelled while it waited: do not start
        global _fresh
        mailbox.put.remote(job, [started_update(_fresh)])
        _fresh = False
        self.probe, self.probed = None, time.monotonic()

    def report(self, event: Progress) -> None:
        self.mailbox.put.remote(self.job, [event_update(event)])

    def keep(self, ckpt: Checkpoint) -> None:
        self.mailbox.put.remote(self.job, [keep_update(ckpt)])

    def partial(self, item: dict) -> None:
        self.mailbox.put.remote(self.job, [partial_update(item)])

    def should_stop(self) -> bool:
        if self.stopped:
            return True
        if self.probe is not None and ray.wait([self.probe], timeout=0)[0]:
            self.stopped, self.probe = ray.get(self.probe), None
        elif self.probe is None and time.monotonic() - self.probed >= CANCEL_POLL_SECONDS:
            self.probe, self.probed = self.mailbox.stopped.remote(self.job), time.monotonic()
        return self.stopped

    def flush(self) -> None:
        ray.get(self.mailbox.put.remote(self.job, []))  # after every earlier put: the order is the caller's


@ray.remote(num_cpus=1, max_retries=0)
def _execute(mailbox: Any, job: str, threads: int, fn: Work, *args: Any) -> tuple[str, Any]:
    """Run one work on ``threads`` intra-op threads (the same count as a local run: the same bits); an
    expected ending comes back as a tagged value, so its exception class survives."""
    ctx = RayContext(mailbox, job)
    outcome = ("cancelled", "") if ctx.stopped else run_work(fn, ctx, args, threads)
    ctx.flush()
    return outcome


class RayHandle(Handle):
    def __init__(self, ref: Any, mailbox: Any, job: str) -> None:
        self.ref, self.mailbox, self.job = ref, mailbox, job

    def updates(self) -> list[Update]:
        return ray.get(self.mailbox.take.remote(self.job))

    def cancel(self) -> None:
        self.mailbox.cancel.remote(self.job)

    def done(self) -> bool:
        return bool(ray.wait([self.ref], timeout=0)[0])

    def result(self, timeout: float | None = None) -> Any:
        try:
            tag, value = ray.get(self.ref, timeout=timeout)
        except ray_errors.GetTimeoutError:
            raise TimeoutError(f"job {self.job} still running after {timeout} s") from None
        except ray_errors.RayTaskError as err:  # a bug in the work: its own exception, as in a local run
            raise err.as_instanceof_cause() from None
        except ray_errors.RayError as err:  # the worker process, its machine or the object died
            raise WorkerLost(f"the worker running this job stopped unexpectedly ({type(err).__name__}); "
                             "the server carried on") from None
        self.mailbox.forget.remote(self.job)
        return outcome_value(tag, value)


def _start_ray(num_cpus: int | None) -> None:
    """Connect to ``$RAY_ADDRESS``, or start a private instance ("local": never a cluster that an earlier
    `ray start` left on this machine), from a thread that lives as long as this process. Ray ties the
    processes it starts to the *thread* that started them (the kernel's parent-death signal): started from
    a Streamlit page run's thread, its GCS and raylet were killed when that run ended, and the server with them.
    """
    address = os.environ.get("RAY_ADDRESS") or None
    options: dict[str, Any] = {"runtime_env": {"py_modules": [str(paths.PACKAGE_DIR)]}} if address else \
        {"num_cpus": num_cpus}
    ready, failed = threading.Event(), []

    def keep() -> None:
        try:
            ray.init(address=address or "local", include_dashboard=False, logging_level="ERROR",
                     log_to_driver=False, **options)
        except BaseException as err:  # handed to the caller's thread
            failed.append(err)
        ready.set()
        if not failed:
            threading.Event().wait()

    threading.Thread(target=keep, name="prune-lab-ray", daemon=True).start()
    ready.wait()
    if failed:
        raise failed[0]


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, threads: int = 1, num_cpus: int | None = None) -> None:
        self.threads = max(1, threads)
        if not ray.is_initialized():
            _start_ray(num_cpus)
        self.mailbox = Mailbox.remote()
        self.slots = max(1, int(ray.cluster_resources().get("CPU", 1)) // self.threads)
        self._ids = itertools.count(1)
        self._prefix = f"{os.getpid()}-{time.monotonic_ns()}"

    def submit(self, fn: Work, *args: Any) -> Handle:
        job = f"{self._prefix}-{next(self._ids)}"
        ref = _execute.options(num_cpus=self.threads).remote(self.mailbox, job, self.threads, fn, *args)
        return RayHandle(ref, self.mailbox, job)

    def share(self, value: Any) -> Any:
        return ray.put(value)

    def close(self) -> None:
        ray.kill(self.mailbox)
