"""The ``local`` executor: works run in threads of this process, ``slots`` at a time, first come first served.

No extra service and no copies: the dataset and checkpoints are this process's own (``load_mnist`` caches per
process). Updates are handed over through a lock-protected list; cancel is a flag the work polls.
"""
from __future__ import annotations

import threading
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Any

from ...checkpoint import Checkpoint
from ...train import Cancelled, Progress
from .base import Executor, Handle, Update, Work, event_update, keep_update


class LocalContext:
    """A work's side of a local handle."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.pending: list[Update] = []

    def report(self, event: Progress) -> None:
        self._put(event_update(event))

    def should_stop(self) -> bool:
        return self.stop.is_set()

    def keep(self, ckpt: Checkpoint) -> None:
        self._put(keep_update(ckpt))

    def _put(self, update: Update) -> None:
        with self.lock:
            self.pending.append(update)


class LocalHandle(Handle):
    def __init__(self, future: Future, ctx: LocalContext) -> None:
        self.future, self.ctx = future, ctx

    def updates(self) -> list[Update]:
        with self.ctx.lock:
            taken, self.ctx.pending = self.ctx.pending, []
        return taken

    def cancel(self) -> None:
        self.ctx.stop.set()
        self.future.cancel()  # a work that has not started never starts

    def done(self) -> bool:
        return self.future.done()

    def result(self, timeout: float | None = None) -> Any:
        try:
            return self.future.result(timeout)
        except CancelledError:  # cancelled before it started: the same outcome as a stop at a batch boundary
            raise Cancelled() from None


class LocalExecutor(Executor):
    name = "local"

    def __init__(self, slots: int = 1) -> None:
        self.slots = max(1, slots)
        self._pool = ThreadPoolExecutor(self.slots, thread_name_prefix="prune-lab-local")

    def submit(self, fn: Work, *args: Any) -> Handle:
        ctx = LocalContext()
        return LocalHandle(self._pool.submit(fn, ctx, *args), ctx)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
