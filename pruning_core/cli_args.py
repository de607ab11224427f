"""The command line's argument types: numbers in range, lists, hidden sizes and output paths, each checked
before any work starts so that bad input is one line (``prune-lab: error: ...``, exit 2) and writes nothing.

Kept apart from ``cli.py`` (the commands) because every command and the fuzz tests share them.
"""
from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

from . import atomic, paths
from .errors import UserError
from .settings import PRUNE_SCOPES, ModelSettings, check_float

EXIT_USAGE = 2


def one_line(message: str) -> str:
    """A message quoting user input (a path may hold a newline) still fits on one line."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse prints usage + message; we want one line
        self.exit(EXIT_USAGE, f"prune-lab: error: {one_line(message)}\n")


def number_arg(name: str, low: float, high: float, *, low_inclusive: bool = True,
               high_inclusive: bool = True) -> Callable[[str], float]:
    """An argparse type: a finite float in the range, with the same one-line message as the engine's checks."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        try:
            check_float(name, value, low, high, low_inclusive=low_inclusive, high_inclusive=high_inclusive)
        except UserError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        return value
    return parse


percent_arg = number_arg("percent", 0.0, 100.0, high_inclusive=False)
lr_arg = number_arg("learning rate", 0.0, 10.0, low_inclusive=False)
fraction_arg = number_arg("value", 0.0, 1.0, high_inclusive=False)


def percents_arg(text: str) -> list[float]:
    return [percent_arg(part) for part in text.split(",")]  # their order: lab.check_schedule's rule


def count_arg(text: str, low: int = 0, high: int = 1000) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be in {low}..{high}, got {value}")
    return value


def scopes_arg(text: str) -> list[str]:
    scopes = text.split(",")
    for scope in scopes:
        if scope not in PRUNE_SCOPES:
            raise argparse.ArgumentTypeError(f"scope must be one of {', '.join(PRUNE_SCOPES)}, got {scope!r}")
    return scopes


def counts_arg(text: str) -> list[int]:
    return [count_arg(part, 0, 2**63 - 1) for part in text.split(",")]


def hidden_arg(text: str) -> ModelSettings:
    try:
        return ModelSettings(hidden=tuple(int(part) for part in text.split(",")))
    except (ValueError, UserError) as err:
        raise argparse.ArgumentTypeError(str(err) if isinstance(err, UserError)
                                         else f"hidden sizes look like 300,100, got {text!r}") from None


def out_file(text: str) -> Path:
    """An output file: absent or a regular file (never a device node or FIFO, which a rename would replace),
    in an existing directory where a file of this name can really be created - all before any work."""
    path = paths.expand(text)
    with _as_argument_error(path):
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text} is a directory; give a file name")
        if path.exists() and not path.is_file():
            raise argparse.ArgumentTypeError(f"{text} exists and is not a regular file")
        _check_writable(path)
    return path


def out_dir(text: str) -> Path:
    path = paths.expand(text)
    with _as_argument_error(path):
        if path.exists() and not path.is_dir():
            raise argparse.ArgumentTypeError(f"{text} exists and is not a directory")
        _check_writable(path / "probe" if path.is_dir() else path)
    return path


def _check_writable(path: Path) -> None:
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"directory {path.parent} does not exist")
    atomic.probe(path)


@contextlib.contextmanager
def _as_argument_error(path: Path) -> Iterator[None]:
    """Any OSError while looking at an output path (name too long, no permission, /proc) is a usage error."""
    try:
        yield
    except OSError as err:
        raise argparse.ArgumentTypeError(f"cannot write {text_of(path)}: {err.strerror or err}") from None


def text_of(path: Path) -> str:
    """A user's path for a message: at most 80 characters (an over-long name is the error itself)."""
    text = str(path)
    return text if len(text) <= 80 else f"{text[:38]}...{text[-38:]}"
