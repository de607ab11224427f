"""Fan-out: many independent works on one executor, with live progress and every result under its key.

What the sweep (``sweep.py``: its points and the baselines they start from) and the report's experiments
(``experiment_runs.py``: one run per (seed, scope) or (seed, width)) share. A ``Piece`` is one work to
submit; one that ``needs`` another's result gets it (shared once: on Ray one object-store copy) as its first
argument and is submitted as soon as that result is in - so a training that some pieces wait for never
holds up the pieces that do not. The first failing piece cancels every other and raises its error, named by
the piece's label; so does Ctrl+C: nothing keeps computing for nobody.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import UserError
from ..executors import Executor, Handle, Update
from ..executors.base import Work

POLL_SECONDS = 0.1

OnProgress = Callable[[float, int, int], None]  # (fraction of all work done, pieces done, pieces in all)
OnPartial = Callable[[Hashable, dict], None]  # (the piece's key, a partial result it sent)


@dataclass(frozen=True)
class Piece:
    """``fn(ctx, *args)`` - after ``needs``'s result, when it names another piece's key."""

    key: Hashable
    fn: Work
    args: tuple
    label: str  # for an error: "sweep point (percent 50, ...)"
    needs: Hashable | None = None


def gather(executor: Executor, pieces: Sequence[Piece], on_progress: OnProgress | None = None,
           on_partial: OnPartial | None = None) -> dict[Hashable, Any]:
    """Run every piece on ``executor``; their results by key. Progress counts finished pieces plus the
    fraction of each running one's current training call."""
    results: dict[Hashable, Any] = {}
    running: dict[Handle, Piece] = {}
    fractions: dict[Handle, float] = {}

    def submit(piece: Piece, *first: Any) -> None:
        running[executor.submit(piece.fn, *first, *piece.args)] = piece

    for piece in pieces:
        if piece.needs is None:
            submit(piece)
    try:
        while running:
            for handle in [h for h in running if h.done()]:
                piece = running.pop(handle)
                fractions.pop(handle, None)
                _take(handle.updates(), piece, on_partial)  # flushed before it finished
                results[piece.key] = _result(handle, piece.label)
                waiting = [p for p in pieces if p.needs == piece.key]
                shared = executor.share(results[piece.key]) if waiting else None
                for later in waiting:
                    submit(later, shared)
            for handle, piece in running.items():
                fraction = _take(handle.updates(), piece, on_partial)
                if fraction is not None:
                    fractions[handle] = fraction
            if on_progress:
                on_progress((len(results) + sum(fractions.values())) / len(pieces), len(results), len(pieces))
            if running:
                time.sleep(POLL_SECONDS)
    finally:
        for handle in running:
            handle.cancel()
    return results


def _take(updates: list[Update], piece: Piece, on_partial: OnPartial | None) -> float | None:
    """Pass partial results on; the fraction of the newest progress event that has one, else None."""
    fraction = None
    for update in updates:
        if update.kind == "event" and update.payload.total_steps:
            fraction = update.payload.step / update.payload.total_steps
        elif update.kind == "partial" and on_partial is not None:
            on_partial(piece.key, update.payload)
    return fraction


def _result(handle: Handle, label: str) -> Any:
    try:
        return handle.result()
    except UserError as err:
        raise UserError(f"{label} failed: {err}") from None


class ProgressLine:
    """``on_progress`` for a terminal: one redrawn line (a line per finished piece when stderr is a file)."""

    WIDTH = 30

    def __init__(self, stream: Any, noun: str = "works") -> None:
        self.stream, self.noun, self.interactive, self.shown = stream, noun, stream.isatty(), -1

    def __call__(self, fraction: float, done: int, total: int) -> None:
        if not self.interactive and done == self.shown:
            return
        filled = int(self.WIDTH * min(1.0, fraction))
        text = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} {self.noun}"
        end = "\n" if done == total or not self.interactive else ""
        self.stream.write(("\r\x1b[2K" if self.interactive else "") + text + end)
        self.stream.flush()
        self.shown = done
