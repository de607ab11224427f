"""Typed records of the job path: what a job is (``JobSpec``), where it stands (``JobStatus``), what it
reported (``ProgressEvent``), what it leaves for the session (``JobOutcome``) and one consistent view of all
of it for a page (``JobSnapshot``).

Plain dicts exist only at the disk boundary: a run's ``status.json`` keeps the same status strings
(``JobStatus`` is a ``StrEnum``) and ``metrics.jsonl`` the same event lines (``ProgressEvent.to_dict`` /
``from_dict``; the plots, which draw stored runs too, take those dicts).
"""
from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..checkpoint import Checkpoint
from ..train import Progress

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


@dataclass(frozen=True)
class ProgressEvent:
    """One progress event of a job. ``pruned`` opens a training call (accuracy right after pruning, no steps
    yet); ``batch`` carries the loss every 50 optimizer steps; ``epoch`` the test accuracy after an epoch."""

    kind: str
    epoch: int
    epochs: int
    step: int            # optimizer steps done so far in this training call
    total_steps: int
    loss: float          # NaN for "pruned"
    lr: float
    accuracy: float | None = None
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown progress event kind {self.kind!r}")

    @classmethod
    def from_progress(cls, event: Progress) -> "ProgressEvent":
        return cls(**dataclasses.asdict(event))

    @property
    def fraction(self) -> float:
        """How far this event's training call is, 0..1 (a ``pruned`` event opens a call: 0)."""
        if self.kind == "pruned":
            return 0.0
        return self.step / self.total_steps if self.total_steps else 1.0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping) -> "ProgressEvent | None":
        """An event from a metrics line, or None for a line that is not a well-formed progress event."""
        try:
            event = cls(**{f.name: raw[f.name] for f in dataclasses.fields(cls) if f.name in raw})
        except (TypeError, ValueError):
            return None
        numbers = (event.epoch, event.epochs, event.step, event.total_steps, event.loss, event.lr, event.seconds)
        if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
            return None
        if event.accuracy is not None and not (isinstance(event.accuracy, (int, float))
                                               and math.isfinite(event.accuracy)):
            return None
        return event


@dataclass(frozen=True)
class JobSpec:
    """What a job is, fixed when it is queued: its title, how many training calls (``units``) or result
    points (``expected``) make 100 %, and its size in LeNet-300-100 training epochs (the queue's size cap)."""

    title: str
    units: int = 1                       # training calls in the job (one per prune step)
    expected: int | None = None          # result points an experiment makes (progress counts these instead)
    size: float = 0.0                    # LeNet-300-100 epochs of training the job costs at most
    before: float | None = None          # accuracy of the model the job starts from
    percents: tuple[float, ...] = ()     # prune targets, in order
    experiment: str | None = None        # which experiment a quick re-run recomputes


@dataclass(frozen=True)
class JobOutcome:
    """What a job leaves for the session that asked for it, updated as it goes (a cancelled schedule keeps
    its finished steps): the line of models from the start to the newest step, an experiment's points so far
    and its final results."""

    steps: tuple[Checkpoint, ...] = ()
    points: tuple[dict, ...] = ()
    results: dict | None = None


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of one job's state for a page to draw."""

    id: str
    kind: str
    spec: JobSpec
    status: JobStatus
    events: tuple[ProgressEvent, ...]
    outcome: JobOutcome
    error: str
    created: float
    started: float | None
    finished: float | None
    run: str

    @property
    def fraction(self) -> float:
        """How far the job is, 0..1: points made (experiments) or training calls done plus the current one's
        share (a job that is done is all done, even one whose last call had no training steps)."""
        if self.status == JobStatus.DONE:
            return 1.0
        if self.spec.expected is not None:
            return min(1.0, len(self.outcome.points) / max(1, self.spec.expected))
        calls = max(1, sum(e.kind == "pruned" for e in self.events))
        within = self.events[-1].fraction if self.events else 0.0
        return min(1.0, (calls - 1 + within) / max(1, self.spec.units))
