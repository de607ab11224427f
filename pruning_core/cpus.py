"""The one place that knows how many CPUs this process may use and how many intra-op threads training gets.

* ``AVAILABLE`` - CPUs this process may run on, computed once (``os.sched_getaffinity`` where it exists: a
  container or ``taskset`` can allow fewer than the machine has; macOS and Windows lack it).
* ``server_threads()`` - the dashboard's page runs' count and its reason, measured by ``bench/epoch.py``.
* ``threads(count)`` - a block run with ``count`` intra-op threads in the calling thread only.
* ``burst_plan(cores)`` - job workers and threads per worker that keep every core busy in a classroom burst.

Nothing here is a setting that one caller changes for another: a count is either passed as an argument
(``train(..., threads=)``, ``evaluate(..., threads=)``) or applied for the duration of one ``with`` block in
one thread (the job queue wraps each job in ``threads(queue.threads)``); outside any block the count is
``AVAILABLE``. The count is fixed for a whole training call, never adaptive, because a different count
changes the floating-point summation order and so the exact bits of the result.
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import torch

AVAILABLE: int = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

_scope = threading.local()  # the count of the innermost ``threads`` block of each thread


def server_threads() -> int:
    """Threads for each job of the dashboard server: one CPU fewer than it has (at least one).

    Why: the server shares its CPUs with web traffic and students' page runs, and OpenMP threads that find a
    CPU busy wait for each other at every matmul. Measured on this project's 2-CPU machine, fast path, one
    process, interleaved (docs/benchmarks.md): under other users' load an epoch took 0.96 s at 1
    thread and 20.1 s at 2 (the sgemm floor alone 0.68 s vs 4.8 s), while a quiet machine gains at most
    ~1.6x from the second thread. ``bench/epoch.py`` re-measures it with another process spinning on one CPU
    ("server threads" line). A classroom server is rarely quiet, so the collapse decides."""
    return max(1, AVAILABLE - 1)


def burst_plan(cores: int) -> tuple[int, int]:
    """``(workers, threads per worker)`` for a server of ``cores`` CPUs facing a burst of independent jobs:
    one single-threaded worker per core.

    Why: a LeNet-300-100 job's matmuls are small, so a second thread speeds one job up by at most ~1.4x on a
    quiet machine (``bench/epoch.py``: engine epoch at 2 threads 0.71x its time at 1) and slows it down ~2x
    when the other CPU is busy, while two jobs side by side on one thread each do twice the work. The web
    server keeps no core of its own: its share in a burst (answering polls) is far below a core, and a
    core held back for it would idle; instead the workers run at a lower CPU priority than the server
    (``executors/worker.py``), so a page run takes a core from training at once. With a single core there is
    one worker of one thread. A lone job trains on one thread as well - never more threads for the same job
    when the server is quiet, because a different count changes the result's bits. The burst, measured beside
    thirty lone jobs: ``python -m bench.load_test --clients websocket --sessions 30 --alone 4``
    (docs/benchmarks.md)."""
    count = max(1, int(cores))
    return count, 1


def current() -> int:
    """The calling thread's count: that of its innermost ``threads`` block, else ``AVAILABLE``."""
    return getattr(_scope, "count", AVAILABLE)


@contextlib.contextmanager
def threads(count: int | None) -> Iterator[int]:
    """Run the block with ``count`` intra-op threads (``None``: keep ``current()``) in the calling thread,
    then restore the previous count; yields the count in force."""
    count = current() if count is None else max(1, int(count))
    previous_torch, previous_scope = torch.get_num_threads(), getattr(_scope, "count", None)
    torch.set_num_threads(count)
    _scope.count = count
    try:
        yield count
    finally:
        torch.set_num_threads(previous_torch)
        if previous_scope is None:
            del _scope.count
        else:
            _scope.count = previous_scope
