"""Viewing a classmate's shared line: the one place that decides it, so every page follows.

``?view=<id>`` (a class-board view id, ``pruning_core.service.classroom.board``) opens that line read-only on
every page: ``ui.state`` then hands pages the classmate's line and models instead of the student's own, and
pages turn off every control that would change it (``ui.state.read_only``). The view is kept in the browser
session and written back into the URL on each page, as ``?step`` is, until the student leaves it. A view id
grants reading only: the classmate's owner id is never the viewer's, so nothing the viewer does is theirs.
Streamlit glue only.
"""
from __future__ import annotations

import time
from typing import NamedTuple

import streamlit as st

from . import session as ui_session
from pruning_core.service.classroom.board import SharedLine
from pruning_core.service.sessions.records import Line

PARAM = "view"
KEY = "viewing"            # the view id this browser session shows
HELD = "viewing-entry"     # (view id, when looked up, what it showed): looked up at most once a second
LOOKUP_S = 1.0
MAX_PARAM = 64


class Viewed(NamedTuple):
    """A shared line being viewed: its board row and the line in its owner's session."""

    shared: SharedLine
    line: Line


def follow_url() -> None:
    """Once per run, before any page asks for the line: a ``?view=`` chooses the line viewed; then the URL is
    made to say it again (a page switch drops the query)."""
    given = st.query_params.get(PARAM)
    if given is not None and given != st.session_state.get(KEY):
        st.session_state[KEY] = given[:MAX_PARAM]
        st.session_state.pop(HELD, None)
    held = st.session_state.get(KEY)
    if held and given != held:
        st.query_params[PARAM] = held


def viewing() -> bool:
    """True while a view id is open, whether its line is still shared or not."""
    return bool(st.session_state.get(KEY))


def shown() -> Viewed | None:
    """The shared line open now; None when none is open or its line is no longer shared (``gone``)."""
    view = st.session_state.get(KEY)
    if not view:
        return None
    held = st.session_state.get(HELD)
    if held and held[0] == view and time.monotonic() - held[1] < LOOKUP_S:
        return held[2]
    shared = ui_session.board().viewed(view)
    line = ui_session.store().load(shared.owner).line(shared.line) if shared else None
    found = Viewed(shared, line) if line is not None else None
    st.session_state[HELD] = (view, time.monotonic(), found)
    return found


def gone() -> bool:
    """True when a view id is open but its line is no longer shared (stopped, hidden, cleared, or dropped)."""
    return viewing() and shown() is None


def open_view(view: str) -> None:
    """Show the shared line ``view`` on every page from the next run on."""
    st.session_state[KEY] = view
    st.session_state.pop(HELD, None)
    st.query_params[PARAM] = view


def leave() -> None:
    """Back to the student's own line."""
    st.session_state.pop(KEY, None)
    st.session_state.pop(HELD, None)
    if PARAM in st.query_params:
        del st.query_params[PARAM]
