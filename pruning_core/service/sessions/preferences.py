"""A student's settings, kept with their session so that a page switch, a reload or a server restart finds them
again: the Prune form (percent, threshold, retrain epochs, learning rate, schedule), the step every page shows,
presenter mode, the guided lesson and what the student has done of it.

They live in their own small file beside the owner's lines, ``<owner>/preferences.json``, replaced atomically.
It is read back value by value: a value of the wrong type or outside a sane range is left out (the form's
default takes its place), and a damaged or unreadable file reads as no settings at all - never an error. The
form still checks every value against the classroom's ranges as if typed, so a stored value is never used
unchecked.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path

from ... import atomic
from ...errors import UserError
from ...research.lesson import MARKERS
from ...settings import PRUNE_SCOPES
from .budget import OWNER

FILE = "preferences.json"
MAX_SCHEDULE_CHARS = 300  # a typed schedule; the reference one is 40 characters
MAX_STEP = 10_000


def _number(low: float, high: float) -> Callable[[object], bool]:
    return lambda value: (isinstance(value, (int, float)) and not isinstance(value, bool)
                          and math.isfinite(value) and low <= value <= high)


# What a stored value must be to be used at all (ranges wide enough for anything the form lets a student type).
VALID: dict[str, Callable[[object], bool]] = {
    "percent": _number(0.0, 99.9),  # the percent slider's own range: a value outside it breaks the slider
    "scope": lambda value: value in PRUNE_SCOPES,
    "epochs": _number(0.0, 1000.0),
    "lr": _number(0.0, 100.0),
    "schedule": lambda value: isinstance(value, str) and len(value) <= MAX_SCHEDULE_CHARS,
    "step": lambda value: isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_STEP,
    "present": lambda value: isinstance(value, bool),
    "lesson": lambda value: isinstance(value, bool),
    "lesson-seen": lambda value: (isinstance(value, list) and len(value) == len(set(value))
                                  and set(value) <= set(MARKERS)),
}


def valid(values: Mapping[str, object]) -> dict[str, object]:
    """The known settings in ``values`` that pass their check; everything else left out."""
    return {name: value for name, value in values.items() if name in VALID and VALID[name](value)}


def file_of(root: Path, owner: str) -> Path:
    """The owner's preferences file under the sessions directory ``root``; a malformed owner names no file."""
    if not isinstance(owner, str) or not OWNER.fullmatch(owner):
        raise UserError("malformed session owner")
    return root / owner / FILE


def load(root: Path, owner: str) -> dict[str, object]:
    """The owner's stored settings, validated; ``{}`` when there are none or the file is damaged."""
    try:
        stored = json.loads(file_of(root, owner).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return valid(stored) if isinstance(stored, dict) else {}


def save(root: Path, owner: str, values: Mapping[str, object]) -> dict[str, object]:
    """Replace the owner's stored settings with the valid ones of ``values`` (atomically); returns what was kept."""
    kept = valid(values)
    path = file_of(root, owner)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_json(path, kept)
    return kept
