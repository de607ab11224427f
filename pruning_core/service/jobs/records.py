"""Typed records of the job path: what a job is (``JobKind``, ``JobSpec``), what it leaves for the session
(``JobOutcome``) and one consistent view of it for a page (``JobSnapshot``). Where it stands and what it reported
(``JobStatus``, the engine's ``Progress`` events) are the run's records (``runs/records.py``).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from ...train import Progress
from ..runs.records import JobStatus, call_fraction

__all__ = ["JobKind", "JobOutcome", "JobSnapshot", "JobSpec", "JobStatus"]


class JobKind(enum.StrEnum):
    """What a job does; the value is the ``kind`` stored in the run's ``config.json``."""

    PRUNE = "prune"            # one prune + retrain step
    SCHEDULE = "schedule"      # several steps in one job (Play, the reference schedule)
    TRAIN = "train"            # a new dense model
    EXPERIMENT = "experiment"  # a quick re-run of a classroom experiment
    HAND = "hand"              # fc1 neurons removed by hand: one prune step, no retraining
    COMPARE = "compare"        # one schedule from the student's model for magnitude and the two controls

    @property
    def extends_line(self) -> bool:
        """True when the job's steps join the student's open line as they land."""
        return self in (JobKind.PRUNE, JobKind.SCHEDULE, JobKind.HAND)


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
    """What an experiment job leaves for the session that asked for it, updated as it goes: its points so far
    and its final results. (A model a job makes is saved in its run, which is how it reaches the session.)"""

    points: tuple[dict, ...] = ()
    results: dict | None = None


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of one job's state for a page to draw."""

    id: str
    kind: JobKind
    spec: JobSpec
    status: JobStatus
    events: tuple[Progress, ...]
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
        within = call_fraction(self.events[-1]) if self.events else 0.0
        return min(1.0, (calls - 1 + within) / max(1, self.spec.units))
