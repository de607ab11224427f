"""How long a waiting job will wait, from measured job times: pure functions, no clocks, no Streamlit.

The queue serves jobs first come first served on ``workers`` workers. A job costs its worker a fixed time per
training call (``JobSpec.units``: handing the job over, pruning, evaluating, saving the step, relaying it
back) plus a time per LeNet-300-100 training epoch (``JobSpec.size``). Both are measured on this server from
the jobs that finished recently (``Sample``): the training loops time themselves (their progress events'
``seconds``), the rest of a job's time on its worker is the fixed part. Counting only epochs made a line of
0-epoch prunes look free and charged a 4-epoch prune four times a 1-epoch prune's loading, pruning, evaluating
and saving.

Jobs that ran while others waited in line (``crowded``) are preferred: every job ahead of a waiting one runs
while at least that one waits and its page polls, and in a classroom burst the server's page runs share the
CPUs with the training worker, so such jobs take longer than one run alone (measured in docs/reliability.md's
30-student burst).
"""
from __future__ import annotations

import heapq
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """One job's measured time, as the estimate uses it."""

    units: int               # training calls in the job (one per prune step)
    size: float              # LeNet-300-100 epochs it trained
    seconds: float           # its worker's time: from taking the job to being free for the next one
    training: float | None   # of which the training loops (their own clock); None: the work reported none
    crowded: bool            # other jobs waited in line while it ran


@dataclass(frozen=True)
class Cost:
    """Seconds a job takes its worker: ``per_unit`` per training call plus ``per_epoch`` per epoch."""

    per_unit: float
    per_epoch: float

    def of(self, units: int, size: float) -> float:
        return self.per_unit * max(0, units) + self.per_epoch * max(0.0, size)


def training_seconds(events: Iterable[tuple[str, float]]) -> float | None:
    """The training loops' own time in a job, from its progress events ``(kind, seconds since the start of
    its training call)``: a "pruned" event opens a new call. None when the job reported no training."""
    total, call, seen = 0.0, 0.0, False
    for kind, seconds in events:
        if kind == "pruned":
            total, call = total + call, 0.0
        else:
            call, seen = max(call, seconds), True
    return total + call if seen else None


def job_cost(samples: Iterable[Sample]) -> Cost | None:
    """The median measured cost (crowded samples if there are any); None before anything was measured."""
    samples = [s for s in samples if s.seconds > 0]
    split = [_split(s) for s in ([s for s in samples if s.crowded] or samples)]
    fixed = [per_unit for per_unit, _ in split if per_unit is not None]
    rates = [per_epoch for _, per_epoch in split if per_epoch is not None]
    if not rates and not fixed:
        return None
    return Cost(statistics.median(fixed) if fixed else 0.0, statistics.median(rates) if rates else 0.0)


def _split(sample: Sample) -> tuple[float | None, float | None]:
    """(fixed seconds per training call, seconds per epoch) of one sample; None where it does not tell."""
    training = sample.training if sample.training is not None else (0.0 if sample.size <= 0 else None)
    if training is None:  # trained without timing itself: all of its time counts as training, as it may be
        return None, sample.seconds / sample.size
    per_epoch = training / sample.size if sample.size > 0 and training > 0 else None
    return max(0.0, sample.seconds - training) / max(1, sample.units), per_epoch


def wait_seconds(running_left: Sequence[float], queued_ahead: Sequence[float], workers: int) -> float:
    """Seconds until a job gets a worker: the running jobs' remaining seconds (``running_left``) run out, and
    the jobs ahead in line (``queued_ahead``: each one's seconds, in order) each take the first free worker."""
    free = sorted(max(0.0, left) for left in running_left)[:max(1, workers)]
    free += [0.0] * (max(1, workers) - len(free))  # idle workers
    heapq.heapify(free)
    for seconds in queued_ahead:
        heapq.heappush(free, heapq.heappop(free) + max(0.0, seconds))
    return free[0]


def describe(seconds: float | None) -> str:
    """A wait in words a student can act on: "about 40 s", "about 3 min", or "not measured yet"."""
    if seconds is None:
        return "wait not measured yet"
    if seconds < 60:
        return f"about {max(5, 5 * round(seconds / 5)):.0f} s"
    return f"about {round(seconds / 60):.0f} min"
