"""A dependency-free progress bar for the CLI, driven by the training callbacks.

On a terminal it redraws one line; when stderr is a file or pipe it prints one line per epoch instead, so
logs stay readable.
"""
from __future__ import annotations

from typing import TextIO

from .train import Progress

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.interactive = stream.isatty()

    def __call__(self, event: Progress) -> None:
        if event.kind == "pruned":
            self._line(f"pruned: test accuracy {event.accuracy:.4f}; retraining {event.epochs} epoch(s)", True)
            return
        if event.kind == "batch" and not self.interactive:
            return
        done = int(WIDTH * event.fraction)
        text = (f"[{'#' * done}{'.' * (WIDTH - done)}] epoch {event.epoch}/{event.epochs} "
                f"loss {event.loss:.4f}")
        if event.accuracy is not None:
            text += f" test acc {event.accuracy:.4f}"
        self._line(text + f" {event.seconds:.1f}s", event.kind == "epoch" and event.epoch == event.epochs)

    def _line(self, text: str, final: bool) -> None:
        if self.interactive:
            self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
