"""Typed records of a student's session (``store.py`` keeps them): where a line started, its steps, the
line itself with its friendly name, and the owner's set of lines.

Plain dicts only at the JSON boundary (``to_dict`` / ``session_from_dict``); a stored file may be damaged or
edited, so reading checks every field and turns anything unexpected into ``ValueError``/``TypeError``, which
the store treats as "no session".
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from ...checkpoint import Checkpoint
from ..runs import files

LINE_ID = re.compile(r"[0-9a-f]{8}")
RUN_ID = re.compile(f"({files.RUN_ID.pattern})?")  # a run's id, or "" for none
MAX_LABEL = 120
SHOWN_STEPS = 4  # a long line is named "baseline -> 10 % -> ... -> 98 % -> 99 %"


@dataclass(frozen=True)
class Start:
    """The model a line starts from, as every page names it ("before")."""

    label: str                  # "baseline-paper", "upload my.pt", "trained (seed)", "baseline -> 90 % (step 3)"
    builtin: str = ""           # a shipped checkpoint's name; "" -> the line keeps its own copy
    sparsity: float = 0.0       # % of weights already pruned when loaded: a pruned start is labelled so
    accuracy: float | None = None

    @property
    def name(self) -> str:
        """The label, with the start's own pruning when it has some: "paper-98 (loaded 98.0 % pruned)"."""
        return self.label + (f" (loaded {self.sparsity:.1f} % pruned)" if self.sparsity >= 0.05 else "")

    def __post_init__(self) -> None:
        _text("label", self.label)
        _text("builtin", self.builtin)
        _number("sparsity", self.sparsity, 0.0, 100.0)
        if self.accuracy is not None:
            _number("accuracy", self.accuracy, 0.0, 1.0)


@dataclass(frozen=True)
class Step:
    """One finished prune step of a line, and where it came from (``run``, its ``index`` there)."""

    percent: float
    sparsity: float
    accuracy: float | None = None
    run: str = ""
    index: int = 0

    def __post_init__(self) -> None:
        _number("percent", self.percent, 0.0, 100.0)
        _number("sparsity", self.sparsity, 0.0, 100.0)
        if self.accuracy is not None:
            _number("accuracy", self.accuracy, 0.0, 1.0)
        if not isinstance(self.run, str) or not RUN_ID.fullmatch(self.run):
            raise ValueError("step run is malformed")
        if not isinstance(self.index, int) or self.index < 0:
            raise ValueError("step index is malformed")


@dataclass(frozen=True)
class Line:
    """A start and the steps made from it. New steps arrive from ``run`` (those after ``run_from``)."""

    id: str
    start: Start
    steps: tuple[Step, ...] = ()
    name: str = ""            # typed by the student; "" -> ``title`` is made from the steps
    run: str = ""             # the run this line's next steps append to; "" -> the next job opens a new one
    run_from: int = 0         # that run's last step already in the line
    updated: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not LINE_ID.fullmatch(self.id):
            raise ValueError("line id is malformed")
        _text("name", self.name)
        if not isinstance(self.run, str) or not RUN_ID.fullmatch(self.run):
            raise ValueError("line run is malformed")
        if not isinstance(self.run_from, int) or self.run_from < 0:
            raise ValueError("line run_from is malformed")

    @property
    def title(self) -> str:
        """The name every page shows: the student's own, else "baseline -> 90 % -> 95 %"."""
        if self.name:
            return self.name
        parts = [self.start.label] + [f"{step.percent:g} %" for step in self.steps]
        if len(parts) > SHOWN_STEPS + 1:
            parts = parts[:2] + ["..."] + parts[-(SHOWN_STEPS - 1):]
        return " -> ".join(parts)

    def step_name(self, position: int) -> str:
        """How the model at ``position`` (0: the start, 1..: the steps) is named on every page:
        "baseline-paper", "baseline -> 90 % -> 95 %", or "my try, step 2" on a line the student named."""
        if position == 0:
            return self.start.label
        if self.name:
            return f"{self.name}, step {position}"
        return dataclasses.replace(self, steps=self.steps[:position]).title


@dataclass(frozen=True)
class Session:
    """One owner's lines, the one open now, and the one ``undo`` opens again (the line a reset, a load or a
    trained model replaced; "" for none)."""

    owner: str
    lines: tuple[Line, ...] = ()
    active: str = ""
    undo: str = ""

    def line(self, line_id: str | None = None) -> Line | None:
        wanted = line_id or self.active
        return next((line for line in self.lines if line.id == wanted), None)

    def with_line(self, changed: Line) -> "Session":
        return dataclasses.replace(self, lines=tuple(changed if l.id == changed.id else l for l in self.lines))

    def to_dict(self) -> dict:
        return {"version": 1, "active": self.active, "undo": self.undo,
                "lines": [dataclasses.asdict(line) for line in self.lines]}


def session_from_dict(owner: str, raw: object) -> Session:
    """A session from stored JSON; ``ValueError``/``TypeError``/``KeyError`` for anything malformed."""
    if not isinstance(raw, dict) or raw.get("version") != 1 or not isinstance(raw.get("lines"), list):
        raise ValueError("not a session file")
    lines = []
    for item in raw["lines"]:
        fields = dict(item)
        fields["start"] = Start(**fields["start"])
        fields["steps"] = tuple(Step(**step) for step in fields["steps"])
        lines.append(Line(**fields))
    ids = {line.id for line in lines}
    active, undo = raw.get("active", ""), raw.get("undo", "")  # a file written before undo existed has none
    active = active if active in ids else ""
    return Session(owner, tuple(lines), active, undo if undo in ids and undo != active else "")


def start_of(model: Checkpoint, label: str, builtin: str = "") -> Start:
    """A ``Start`` describing ``model`` (its accuracy must be known)."""
    return Start(label[:MAX_LABEL], builtin, round(100 * model.masks.sparsity(), 4), model.accuracy)


def step_of(model: Checkpoint, run: str, index: int) -> Step:
    """The ``Step`` a run's step checkpoint stands for."""
    percent = model.history[-1].percent if model.history else 100 * model.masks.sparsity()
    return Step(float(percent), round(100 * model.masks.sparsity(), 4), model.accuracy, run, index)


def _text(name: str, value: object) -> None:
    if not isinstance(value, str) or len(value) > MAX_LABEL:
        raise ValueError(f"{name} is malformed")


def _number(name: str, value: object, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise ValueError(f"{name} is out of range")
