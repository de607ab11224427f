"""A student's settings in the dashboard (the Prune form, the step shown, presenter mode), kept on the server
with their session (``pruning_core.service.sessions.preferences``): read once per browser session, written
whenever one changes, so a page switch, a reload and a server restart keep them.

The form's widgets keep their values across page switches themselves (``persist_state="session"``); a new
browser session (a reload, a restarted server) gets the stored values put back before any page draws its
widgets, and every run copies the form's values into the store (``keep_form``, from ``app.py``). Streamlit
glue only.
"""
from __future__ import annotations

import streamlit as st

from . import session as ui_session
from pruning_core.service.sessions import preferences

KEY = "preferences"
RESTORED = "preferences-restored"
RUNS = "preferences-runs"  # how many runs this browser session has had (keep_form counts them)
PENDING = "preferences-pending"  # settings held in memory that the next run writes
FORM = ("percent", "scope", "epochs", "lr", "schedule")  # the Prune form's widget keys


def _held() -> dict:
    if KEY not in st.session_state:
        st.session_state[KEY] = preferences.load(ui_session.store().root, ui_session.owner())
    return st.session_state[KEY]


def get(name: str, default: object = None) -> object:
    """The stored value of setting ``name`` (``default`` if none is stored)."""
    return _held().get(name, default)


def put(**values: object) -> None:
    """Store these settings (``None`` forgets one); the file is written only when something changed. A new
    visitor's first run (no cookie came back, nothing saved yet) keeps them in this browser session only, to be
    written on its next run: a page open that does nothing else leaves no trace on the server, so a flood of
    page opens cannot fill its disk."""
    held = _held()
    changed = preferences.valid({name: value for name, value in {**held, **values}.items() if value is not None})
    if changed == held and not st.session_state.get(PENDING):
        return
    st.session_state[KEY] = changed
    me, store = ui_session.owner(), ui_session.store()
    first_run = st.session_state.get(RUNS, 0) < 2
    st.session_state[PENDING] = first_run and not (st.session_state.get("session_returning") or store.saved(me))
    if st.session_state[PENDING]:
        return
    try:
        st.session_state[KEY] = preferences.save(store.root, me, changed)
    except OSError:  # a full disk: the settings hold for this browser session; the pages say what is wrong
        pass


def keep_form() -> None:
    """On a session's first run, put the stored form values back (a settings link, read later, still wins);
    on every run, copy the form's values that this session holds into the store. Called first in every run."""
    st.session_state[RUNS] = st.session_state.get(RUNS, 0) + 1
    if not st.session_state.get(RESTORED):
        st.session_state[RESTORED] = True
        st.session_state.update({name: get(name) for name in FORM if get(name) is not None})
    put(**{name: st.session_state[name] for name in FORM if name in st.session_state})


def url_switch(label: str, key: str, param: str, help: str) -> bool:
    """A sidebar toggle that is also a switch in the URL: ``?param=1`` turns it on when the browser session
    starts (without it, the stored setting), and while it is on ``?param=1`` is put back in the address bar,
    which a page switch empties, so a reload or a copied link keeps it; stored with the student's settings."""
    if key not in st.session_state:
        asked = st.query_params.get(param)
        st.session_state[key] = asked in ("1", "true", "yes") if asked is not None else bool(get(param, False))
    st.sidebar.toggle(label, key=key, help=help)
    on = bool(st.session_state[key])
    if on:
        if st.query_params.get(param) != "1":
            st.query_params[param] = "1"
    elif param in st.query_params:
        del st.query_params[param]
    put(**{param: on})
    return on
