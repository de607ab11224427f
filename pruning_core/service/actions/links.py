"""Settings links a teacher hands out: ``/?percent=80&epochs=2&scope=layer`` opens the Prune page with those
values filled in. Reading and writing them is plain string work (no Streamlit), so it is unit-tested here.

A link carries only these four settings: never a session, job or owner token - opening a shared link gives
nobody else's rights. Values outside the form's ranges are reported, not silently replaced.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from urllib.parse import urlencode

from ...settings import PRUNE_SCOPES
from .limits import EPOCH_RANGE, LR_RANGE, PERCENT_RANGE
FIELDS = ("percent", "scope", "epochs", "lr")


def _number(text: str, kind: type, low: float, high: float, name: str) -> tuple[float | int | None, str]:
    try:
        value = kind(text)
    except ValueError:
        return None, f"{name}={text[:20]!r} is not a number"
    if not (math.isfinite(value) and low <= value <= high):
        return None, f"{name}={text[:20]} is outside {low:g} to {high:g}"
    return value, ""


def from_query(query: Mapping[str, str]) -> tuple[dict, list[str]]:
    """The settings a URL query names, validated: ({"percent": 80.0, ...}, ["lr=5 is outside ..."]).
    Parameters a link does not name are left out; other parameters (``page``, ``present``) are ignored."""
    values, problems = {}, []
    checks = {"percent": (float, *PERCENT_RANGE), "epochs": (int, *EPOCH_RANGE), "lr": (float, *LR_RANGE)}
    for name, (kind, low, high) in checks.items():
        if name in query:
            value, problem = _number(str(query[name]).strip(), kind, low, high, name)
            if problem:
                problems.append(problem)
            else:
                values[name] = value
    if "scope" in query:
        if query["scope"] in PRUNE_SCOPES:
            values["scope"] = query["scope"]
        else:
            problems.append(f"scope={str(query['scope'])[:20]!r} is not one of {', '.join(PRUNE_SCOPES)}")
    return values, problems


def link(base_url: str, settings: Mapping[str, object]) -> str:
    """``base_url`` (the app's address, any query dropped) with the four settings as its query."""
    base = base_url.split("?", 1)[0].split("#", 1)[0]
    query = {name: f"{settings[name]:g}" if isinstance(settings[name], float) else settings[name]
             for name in FIELDS if name in settings}
    return f"{base}?{urlencode(query)}"
