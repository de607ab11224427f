"""Play / Pause / Step through a pruning schedule, as on the Prune page - without Streamlit.

``Step`` runs exactly the next step of the schedule (the first percent above the model's sparsity: 10 % from
the baseline). ``Play`` runs every remaining step as one job, one step after another. ``Pause`` lets the step
in progress finish - it is kept - and then stops, unlike Cancel, which interrupts the step and discards it.
The pause flag belongs to the job and is read by its worker between steps (``tasks.prune(should_pause=)``).
"""
from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Sequence

from ..checkpoint import Checkpoint
from ..errors import UserError
from ..prune import Unreachable
from ..settings import REFERENCE_PERCENTS
from . import tasks
from .jobs import Job, JobQueue

DEFAULT_SCHEDULE = tuple(REFERENCE_PERCENTS)
_PAUSES: weakref.WeakKeyDictionary[Job, threading.Event] = weakref.WeakKeyDictionary()


def parse_schedule(text: str) -> tuple[float, ...]:
    """"10, 20, 50" -> (10.0, 20.0, 50.0): percents between 0 and 99.9 that increase; else a UserError."""
    parts = [p for p in re.split(r"[\s,;%]+", text.strip()) if p]
    try:
        percents = tuple(float(p) for p in parts)
    except ValueError:
        raise UserError(f"the schedule must be percents separated by commas, such as 10, 50, 90; got "
                        f"{text[:40]!r}") from None
    if not percents:
        raise UserError("the schedule needs at least one percent")
    if any(not 0 < p <= 99.9 for p in percents):
        raise UserError("every percent of the schedule must be above 0 and at most 99.9")
    if any(b <= a for a, b in zip(percents, percents[1:])):
        raise UserError("the schedule's percents must increase (pruned weights never come back)")
    return percents


def remaining(schedule: Sequence[float], sparsity: float) -> list[float]:
    """The schedule's percents above the model's current sparsity (percent), in order."""
    return [p for p in schedule if p > sparsity + 1e-9]


def _todo(line: Sequence[Checkpoint], schedule: Sequence[float]) -> list[float]:
    sparsity = tasks.sparsity_percent(line[-1])
    todo = remaining(schedule, sparsity)
    if not todo:
        raise Unreachable(f"the model is already {sparsity:.2f}% pruned: the schedule has no step left "
                          "(go back, reset, or add higher percents)")
    return todo


def step(queue: JobQueue, line: Sequence[Checkpoint], schedule: Sequence[float], scope: str, epochs: int,
         lr: float, client: tasks.Client) -> Job:
    """Queue exactly the next step of ``schedule``."""
    return tasks.prune(queue, line, _todo(line, schedule)[:1], scope, epochs, lr, client)


def play(queue: JobQueue, line: Sequence[Checkpoint], schedule: Sequence[float], scope: str, epochs: int,
         lr: float, client: tasks.Client) -> Job:
    """Queue every remaining step of ``schedule`` as one job that ``pause`` can stop between steps."""
    flag = threading.Event()
    job = tasks.prune(queue, line, _todo(line, schedule), scope, epochs, lr, client, should_pause=flag.is_set)
    _PAUSES[job] = flag
    return job


def pause(job: Job) -> bool:
    """Ask a playing job to stop after its step in progress; False if ``job`` was not started by ``play``."""
    flag = _PAUSES.get(job)
    if flag is None:
        return False
    flag.set()
    return True


def pausing(job: Job) -> bool:
    """True once ``pause`` was asked for ``job`` (the page shows "pausing after this step")."""
    flag = _PAUSES.get(job)
    return flag is not None and flag.is_set()


def playable(job: Job) -> bool:
    """True for a job started by ``play`` (only those can be paused)."""
    return job in _PAUSES
