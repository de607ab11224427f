"""The executor interface: where the service layer's work runs - in this machine's processes or on a Ray cluster.

A *work* is a picklable top-level function ``fn(ctx, *args) -> result`` (``result`` picklable too). It reports
progress with ``ctx.report(event)``, polls ``ctx.should_stop()`` at batch boundaries (the engine's
``should_stop`` argument), hands each completed checkpoint to ``ctx.keep`` - as bytes, so a result can
cross a process or machine boundary without a shared file system - and each piece of its result that a
watcher may show before the work ends (an experiment's points) to ``ctx.partial``.

``Executor.submit`` returns a ``Handle``. The submitter (the job queue, the sweep) drains ``handle.updates()``
while the work runs - progress events and kept checkpoint bytes, in the order the work produced them -
may ``cancel()`` it, and reads ``result()``: the return value, or the exception that ended it: ``Cancelled``
(stopped at a batch boundary), a ``UserError`` raised by the work, or ``WorkerLost`` (the process running it
died; the submitter carries on).
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ... import checkpoint
from ...checkpoint import Checkpoint
from ...errors import UserError
from ... import cpus
from ...train import Cancelled, Progress


class WorkerLost(UserError):
    """The process (or machine) running a work died before the work finished."""


# A work's ending crosses the process boundary as a tagged value, so its exception class survives pickling:
# ("ok", result), ("cancelled", ""), ("error", message), and from the local executor ("lost", reason) or
# ("crash", reason).
def run_work(fn: Work, ctx: Context, args: tuple, threads: int) -> tuple[str, Any]:
    """Run one work on ``threads`` intra-op threads; an expected ending (Cancel, bad input) comes back tagged,
    anything else propagates to the executor's own handling."""
    try:
        with cpus.threads(threads):
            return "ok", fn(ctx, *args)
    except Cancelled:
        return "cancelled", ""
    except UserError as err:
        return "error", str(err)


def outcome_value(tag: str, value: Any) -> Any:
    """The work's result, or the exception its tagged ending stands for."""
    if tag == "cancelled":
        raise Cancelled()
    if tag == "error":
        raise UserError(value)
    if tag == "lost":
        raise WorkerLost(value)
    if tag == "crash":
        raise RuntimeError(value)
    return value


@dataclass(frozen=True)
class Update:
    """One thing a running work handed back: ``kind`` "started" (it began in a worker), "event" (the engine's
    ``Progress`` itself), "keep" (``{"checkpoint": bytes, "origin": str}``: the file's bytes do not say where
    a model came from) or "partial" (a plain dict the work passed to ``ctx.partial``)."""

    kind: str
    payload: Any  # a dict, or the Progress of an "event"


class Context(Protocol):
    """What a work sees of its executor."""

    def report(self, event: Progress) -> None: ...

    def should_stop(self) -> bool: ...

    def keep(self, ckpt: Checkpoint) -> None: ...

    def partial(self, item: dict) -> None: ...


Work = Callable[..., Any]  # fn(ctx: Context, *args) -> picklable result


def event_update(event: Progress) -> Update:
    return Update("event", event)


def started_update(fresh: bool) -> Update:
    """Sent when a worker begins a work; ``fresh``: its first since the worker process started, so the job
    waited for the worker's start-up (importing torch, loading MNIST), which is not the job's own time and
    must not enter the queue's speed estimate. ``at`` is the worker's clock (the relay may pass it on later)."""
    return Update("started", {"at": time.time(), "fresh": fresh})


def keep_update(ckpt: Checkpoint) -> Update:
    return Update("keep", {"checkpoint": checkpoint.to_bytes(ckpt), "origin": ckpt.origin})


def partial_update(item: dict) -> Update:
    return Update("partial", item)


class Handle(ABC):
    """A submitted work, seen from the submitting process."""

    @abstractmethod
    def updates(self) -> list[Update]:
        """Everything reported since the previous call (never blocks for long)."""

    @abstractmethod
    def cancel(self) -> None:
        """Ask the work to stop at its next batch boundary (or not to start)."""

    @abstractmethod
    def done(self) -> bool:
        """True once ``result()`` would return or raise without waiting."""

    @abstractmethod
    def result(self, timeout: float | None = None) -> Any:
        """The work's return value; raises what ended it (``TimeoutError`` if still running at ``timeout``)."""


class Executor(ABC):
    """Runs works; ``slots`` of them at once (the queue's wait estimate divides by it)."""

    name: str = ""
    slots: int = 1

    @abstractmethod
    def submit(self, fn: Work, *args: Any) -> Handle:
        """Start ``fn(ctx, *args)`` as soon as a slot is free."""

    def share(self, value: Any) -> Any:
        """``value`` in a form cheap to pass to many submits (Ray: one copy in the object store)."""
        return value

    def close(self) -> None:
        """Release the executor's workers (running works are abandoned)."""
