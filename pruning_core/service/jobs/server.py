"""The dashboard server's one job queue: a process singleton that no client can reset.

It is not an ``st.cache_resource``: Streamlit accepts a ``clear_cache`` message from any browser, and a new
queue would re-run ``retention.recover()`` - marking this server's own live runs interrupted, orphaning running
jobs (uncancellable, their results lost) and letting several jobs train at once. Here the queue is made
once per process under a lock, and recovery runs exactly once, before it.
"""
from __future__ import annotations

import threading

from ... import cpus
from .. import executors
from ..runs import retention
from .queue import JobQueue, QueueLimits

_lock = threading.Lock()
_queue: JobQueue | None = None


def job_queue(limits: QueueLimits = QueueLimits()) -> JobQueue:
    """The process's job queue (made on first use, after recovering runs a dead server left running).
    ``limits`` applies only to that first call."""
    global _queue
    if _queue is None:
        with _lock:
            if _queue is None:
                retention.recover()  # before this process queues anything: whatever is still "running" on disk is not
                # One single-threaded worker per core, so a class pressing at once keeps every core busy
                # (the rule and its measurements: cpus.burst_plan).
                workers, threads = cpus.burst_plan(cpus.AVAILABLE)
                # $PRUNE_LAB_EXECUTOR: local worker processes (default) or the Ray cluster's CPUs.
                executor = executors.create(slots=workers, threads=threads)
                _queue = JobQueue(workers=executor.slots, threads=threads, limits=limits, executor=executor)
    return _queue
