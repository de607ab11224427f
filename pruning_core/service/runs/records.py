"""What a run's files hold, typed: where a job or run stands (``JobStatus``, the string in ``status.json``) and
its progress events (the engine's ``train.Progress``, one line of ``metrics.jsonl`` each; the plots, which draw
stored runs too, take their dicts). ``pruned`` opens a training call (accuracy right after pruning, no steps
yet); ``batch`` carries the loss every 50 optimizer steps; ``epoch`` the test accuracy after an epoch."""
from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping

from ...train import Progress

EVENT_KINDS = ("pruned", "batch", "epoch")


class JobStatus(enum.StrEnum):
    """Where a job or run stands; the value is the string stored in ``status.json``."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # only on disk: a server died while the run was queued or running

    @property
    def active(self) -> bool:
        return self in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def finished(self) -> bool:
        return not self.active

    @classmethod
    def parse(cls, value: object) -> "JobStatus":
        """A status read from disk; anything unknown counts as failed (a damaged file is shown, not raised)."""
        try:
            return cls(value)
        except ValueError:
            return cls.FAILED


def call_fraction(event: Progress) -> float:
    """How far ``event``'s training call is, 0..1: a ``pruned`` event opens a call (0)."""
    return 0.0 if event.kind == "pruned" else event.fraction


def progress_from_dict(raw: Mapping) -> Progress | None:
    """A progress event from a metrics line, or None for a line that is not a well-formed one."""
    try:
        event = Progress(**{f.name: raw[f.name] for f in dataclasses.fields(Progress) if f.name in raw})
    except TypeError:
        return None
    numbers = (event.epoch, event.epochs, event.step, event.total_steps, event.loss, event.lr, event.seconds)
    if event.kind not in EVENT_KINDS or \
            not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
        return None
    if event.accuracy is not None and not (isinstance(event.accuracy, (int, float))
                                           and math.isfinite(event.accuracy)):
        return None
    return event
