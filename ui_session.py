"""The student's durable session in the dashboard (Streamlit glue over ``pruning_core.service.sessions``).

Who: a per-browser secret kept in a cookie that the app sets once with a few lines of JavaScript
(``st.html``) and reads back with ``st.context.cookies`` when a tab connects. It is never in a URL, so a
shared or projected link carries no rights: a classmate opening it is a different owner. The owner id is a
hash of the secret (``session_keys.owner_id``).

What: the owner's open *line* - the model as loaded and each step since - is on the server. Every run of a
page reads it back (a reload, a page switch, a restarted server lose nothing) and adopts the steps its job
has finished so far, so every page shows each step as it lands. Checkpoints are loaded once per session and
kept in ``st.session_state`` while the line is unchanged.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import streamlit as st

from pruning_core import paths
from pruning_core.checkpoint import Checkpoint
from pruning_core.service import session_keys
from pruning_core.service.session_records import Line, Start, start_of
from pruning_core.service.sessions import SessionStore

COOKIE = "prune_lab_key"
COOKIE_DAYS = 180
_stores: dict[Path, SessionStore] = {}
_stores_lock = threading.Lock()


def store() -> SessionStore:
    """The server's session store (one per sessions directory, so all tabs share its per-owner locks)."""
    root = paths.sessions_dir()
    with _stores_lock:
        return _stores.setdefault(root, SessionStore(root))


def owner() -> str:
    """This browser's owner id; on a browser's first visit the secret is made here and planted in a cookie."""
    if "session_secret" not in st.session_state:
        given = st.context.cookies.get(COOKIE)
        given = given if isinstance(given, str) else ""  # no cookie, or no browser (AppTest)
        st.session_state.session_secret = given if session_keys.SECRET.fullmatch(given) else session_keys.new_secret()
        if given != st.session_state.session_secret:
            _plant_cookie(st.session_state.session_secret)
    return session_keys.owner_id(st.session_state.session_secret)


def _plant_cookie(secret: str) -> None:
    """Plant ``secret`` - unless another tab of this browser, opened at the same moment without a cookie too,
    planted its own first: then this tab reloads and connects with that one, so both tabs are one owner.
    (Planting over it would leave the other tab's work under an owner no reload finds again.) At most one
    reload per tab (``sessionStorage``): if the server never received a cookie the browser holds, the tab
    plants its own as before instead of reloading for ever."""
    # SameSite=Strict: the browser never sends it along with another site's request. The secret and the
    # pattern are JSON-quoted, so nothing from outside is ever spliced into the script.
    st.html(f"""<script>(() => {{
  const name = {json.dumps(COOKIE)}, mine = {json.dumps(secret)};
  const valid = new RegExp("^(?:" + {json.dumps(session_keys.SECRET.pattern)} + ")$");
  const held = (document.cookie.split("; ").find(c => c.startsWith(name + "=")) || "").slice(name.length + 1);
  const top = window.top || window;
  // This tab connected without a valid cookie (that is why it plants one), so a valid one now, other than
  // its own (the browser may run this script again after planting), was planted by another tab since.
  if (held !== mine && valid.test(held) && !top.sessionStorage.getItem(name + "-adopted")) {{
    top.sessionStorage.setItem(name + "-adopted", "1");
    top.location.reload();
    return;
  }}
  document.cookie = name + "=" + mine + "; path=/; max-age={COOKIE_DAYS * 86400}; SameSite=Strict";
}})();</script>""", unsafe_allow_javascript=True, width="content")


def line(default: Start, default_model: Checkpoint | None = None) -> Line:
    """The owner's open line, after adopting the steps its job finished since the last look; a new owner
    (or one whose lines were all dropped) starts a line from ``default``."""
    me, saved = owner(), store()
    current = saved.load(me).line()
    if current is None:
        return saved.start_line(me, default, default_model)
    if current.run and saved.sync(me, current.id):
        current = saved.load(me).line()
    return current


def models(current: Line, builtin) -> list[Checkpoint]:
    """The line's checkpoints, start first (kept in ``st.session_state.steps``); only the ones not yet in
    memory are read from disk."""
    key = (current.id, current.start.label, tuple((s.run, s.index, s.percent) for s in current.steps))
    known, loaded = st.session_state.get("line_key"), st.session_state.get("steps")
    if known == key and loaded:
        return loaded
    if known and loaded and known[:2] == key[:2] and key[2][:len(known[2])] == known[2]:
        loaded = loaded + store().checkpoints(owner(), current, builtin, since=len(loaded))
    else:
        loaded = store().checkpoints(owner(), current, builtin)
    st.session_state.line_key, st.session_state.steps = key, loaded
    return loaded


def start(model: Checkpoint, label: str, builtin: str = "") -> Line:
    """Open a new line from ``model`` (a shipped checkpoint is referred to by name, anything else stored)."""
    return store().start_line(owner(), start_of(model, label, builtin), None if builtin else model)
