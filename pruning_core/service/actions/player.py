"""Play / Pause / Step through a pruning schedule, as on the Prune page - without Streamlit.

``Step`` runs exactly the next step of the schedule (the first percent above the model's sparsity: 10 % from
the baseline). ``Play`` runs every remaining step as one job, one step after another. ``Pause`` lets the step
in progress finish - it is kept - and then stops, unlike Cancel, which interrupts the step and discards it.
The pause flag is the job's own (``Job.pause``), read by its work between steps (``tasks.prune``).
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from ...checkpoint import Checkpoint
from ...errors import UserError
from ...prune import Unreachable
from ...settings import REFERENCE_PERCENTS
from . import tasks
from .limits import PERCENT_RANGE
from ..jobs.job import Job
from ..jobs.queue import JobQueue

DEFAULT_SCHEDULE = tuple(REFERENCE_PERCENTS)


def parse_schedule(text: str) -> tuple[float, ...]:
    """"10, 20, 50" -> (10.0, 20.0, 50.0): percents within ``PERCENT_RANGE`` that increase; else a UserError
    that names the first bad item (checked as the student types, so the message must say what to fix)."""
    parts = [p for p in re.split(r"[\s,;%]+", text.strip()) if p]
    if not parts:
        raise UserError("the schedule needs at least one percent, such as 10, 50, 90")
    low, high = PERCENT_RANGE
    percents: list[float] = []
    for part in parts:
        try:
            percent = float(part)
        except ValueError:
            raise UserError(f"{part[:20]!r} is not a percent (write percents separated by commas, such as "
                            "10, 50, 90)") from None
        if not low < percent <= high:
            raise UserError(f"{part[:20]!r} is not a percent above {low:g} and at most {high:g}")
        if percents and percent <= percents[-1]:
            raise UserError(f"{part[:20]!r} comes after {percents[-1]:g}: the percents must increase (pruned "
                            "weights never come back)")
        percents.append(percent)
    return tuple(percents)


def remaining(schedule: Sequence[float], sparsity: float) -> list[float]:
    """The schedule's percents above the model's current sparsity (percent), in order."""
    return [p for p in schedule if p > sparsity + 1e-9]


def _todo(models: Sequence[Checkpoint], schedule: Sequence[float]) -> list[float]:
    sparsity = tasks.sparsity_percent(models[-1])
    todo = remaining(schedule, sparsity)
    if not todo:
        raise Unreachable(f"the model is already {sparsity:.2f}% pruned: the schedule has no step left "
                          "(go back, reset, or add higher percents)")
    return todo


def step(queue: JobQueue, models: Sequence[Checkpoint], schedule: Sequence[float], scope: str, epochs: int,
         lr: float, requester: tasks.Requester) -> Job:
    """Queue exactly the next step of ``schedule``."""
    return tasks.prune(queue, models, _todo(models, schedule)[:1], scope, epochs, lr, requester)


def play(queue: JobQueue, models: Sequence[Checkpoint], schedule: Sequence[float], scope: str, epochs: int,
         lr: float, requester: tasks.Requester) -> Job:
    """Queue every remaining step of ``schedule`` as one job that ``Job.pause`` can stop between steps."""
    return tasks.prune(queue, models, _todo(models, schedule), scope, epochs, lr, requester, pausable=True)
