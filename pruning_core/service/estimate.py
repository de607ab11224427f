"""How long a waiting job will wait, from measured training speed: a pure function, no clocks, no Streamlit.

The queue serves jobs first come first served on ``workers`` workers. A job's work is its size in
LeNet-300-100 training epochs (``JobSpec.size``); the speed is measured on this server (seconds per such
epoch, from the jobs running now or finished recently), so the estimate follows the machine's real load.
"""
from __future__ import annotations

import heapq
import statistics
from collections.abc import Iterable, Sequence


def seconds_per_epoch(samples: Iterable[tuple[float, float]]) -> float | None:
    """The median speed of measured work, from ``(epochs done, seconds taken)`` pairs; None before anything
    was measured (the first job of a fresh server)."""
    rates = [seconds / epochs for epochs, seconds in samples if epochs > 0 and seconds > 0]
    return statistics.median(rates) if rates else None


def wait_seconds(running_left: Sequence[float], queued_ahead: Sequence[float], workers: int,
                 per_epoch: float) -> float:
    """Seconds until a job gets a worker: the running jobs' remaining epochs (``running_left``) finish, and
    the jobs ahead in line (``queued_ahead``, in order) each take the first worker to become free."""
    free = sorted(max(0.0, left) * per_epoch for left in running_left)[:max(1, workers)]
    free += [0.0] * (max(1, workers) - len(free))  # idle workers
    heapq.heapify(free)
    for size in queued_ahead:
        heapq.heappush(free, heapq.heappop(free) + max(0.0, size) * per_epoch)
    return free[0]


def describe(seconds: float | None) -> str:
    """A wait in words a student can act on: "about 40 s", "about 3 min", or "not measured yet"."""
    if seconds is None:
        return "wait not measured yet"
    if seconds < 60:
        return f"about {max(5, 5 * round(seconds / 5)):.0f} s"
    return f"about {round(seconds / 60):.0f} min"
