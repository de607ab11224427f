"""The student's durable session in the dashboard (Streamlit glue over ``pruning_core.service.sessions``).

Who: a per-browser secret issued and signed by the server (``session_keys``), kept in a cookie that the app
sets once with a few lines of JavaScript (``st.html``) and reads back with ``st.context.cookies`` when a tab
connects; a cookie this server did not sign counts as none. It is never in a URL, so a shared or projected link
carries no rights: a classmate opening it is a different owner. The owner id is a hash of the secret
(``session_keys.owner_id``). A new owner is saved on the server only once its cookie comes back (a later
connection) or the student changes something (a job, a rename, another model): until then its default line
waits in the store's memory (``SessionStore.provisional``), so page opens without a cookie write nothing and
can push nobody out.

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
from pruning_core.service.classroom import teacher
from pruning_core.service.classroom.board import Board
from pruning_core.service.classroom.points import points_of
from pruning_core.service.sessions import keys as session_keys
from pruning_core.service.sessions.records import Line, Start, start_of
from pruning_core.service.sessions.store import SessionStore

COOKIE = "prune_lab_key"
COOKIE_DAYS = 180
_stores: dict[Path, SessionStore] = {}
_boards: dict[Path, Board] = {}
_stores_lock = threading.Lock()


def store() -> SessionStore:
    """The server's session store (one per sessions directory, so all tabs share its per-owner locks)."""
    root = paths.sessions_dir()
    with _stores_lock:
        return _stores.setdefault(root, SessionStore(root))


def board() -> Board:
    """The server's class board (one per board file), which the teacher's key moderates."""
    path = paths.class_board_file()
    with _stores_lock:
        if path not in _boards:
            _boards[path] = Board(path, teacher.key())
        return _boards[path]


def owner() -> str:
    """This browser's owner id; on a browser's first visit the secret is made here and planted in a cookie."""
    if "session_secret" not in st.session_state:
        given = st.context.cookies.get(COOKIE)
        returning = session_keys.valid(given)  # no cookie, no browser (AppTest), or one we did not sign: a new one
        st.session_state.session_secret = given if returning else session_keys.issue()
        st.session_state.session_returning = returning
        _guard_cookie(given if returning else "", "" if returning else st.session_state.session_secret)
    # Once per secret: a page run asks for the owner many times, and each answer is two hashes.
    secret, known = st.session_state.session_secret, st.session_state.get("session_owner")
    if not known or known[0] != secret:
        known = st.session_state.session_owner = (secret, session_keys.owner_id(secret))
    return known[1]


def _guard_cookie(used: str, issued: str) -> None:
    """Keep the cookie this origin's own: the secret is also kept in the browser's ``localStorage``, which
    belongs to one origin (host *and port*), while cookies ignore ports - a page on another port of the same
    host can replace the cookie. On a session's first run this script compares what the server ``used`` (the
    cookie it received, or "" if none) with the secret this origin stored:

    - a stored secret other than the one used: the cookie was replaced from outside (another port's page, or
      another Prune Lab server on this host, or another tab of this browser that planted first); the stored one
      is put back (and the cookie at the websocket's own paths dropped) and the tab reloads with it;
    - a cookie used but none stored: it was planted before this browser ever opened this server (or came from
      another port): dropped, and the tab reloads as a new visitor;
    - a new visitor (``issued``): the secret is planted in the cookie and stored.

    At most one reload per tab for each reason until a load finds cookie and storage agreeing
    (``sessionStorage``), so a browser that keeps no cookies or no storage is never reloaded for ever: it then
    works with the cookie alone, as before."""
    # SameSite=Strict: the browser never sends it along with another site's request. The secrets and the
    # pattern are JSON-quoted, so nothing from outside is ever spliced into the script.
    st.html(f"""<script>(() => {{
  const name = {json.dumps(COOKIE)}, used = {json.dumps(used)}, issued = {json.dumps(issued)};
  const valid = new RegExp("^(?:" + {json.dumps(session_keys.SECRET.pattern)} + ")$");
  const top = window.top || window;
  let stored = null;
  try {{ stored = top.localStorage.getItem(name) || ""; }} catch (e) {{ stored = null; }}
  const once = (reason) => {{
    const key = name + "-" + reason;
    if (top.sessionStorage.getItem(key)) return false;
    top.sessionStorage.setItem(key, "1");
    return true;
  }};
  const plant = (value) => {{
    for (const path of ["/_stcore/stream", "/_stcore", "/"]) {{
      for (const domain of ["", "; domain=" + location.hostname]) {{
        document.cookie = name + "=; path=" + path + domain + "; max-age=0";
      }}
    }}
    if (value) document.cookie = name + "=" + value + "; path=/; max-age={COOKIE_DAYS * 86400}; SameSite=Strict";
  }};
  const keep = (value) => {{ if (stored !== null) top.localStorage.setItem(name, value); }};
  if (stored && stored === used) {{  // as it should be: a later replacement may be repaired again
    top.sessionStorage.removeItem(name + "-restored");
    top.sessionStorage.removeItem(name + "-refused");
  }} else if (stored && valid.test(stored) && stored !== used && once("restored")) {{
    plant(stored);
    top.location.reload();
  }} else if (issued) {{
    plant(issued);
    keep(issued);
  }} else if (stored === "" && once("refused")) {{
    plant("");
    top.location.reload();
  }} else if (stored === "") {{
    keep(used);
  }}
}})();</script>""", unsafe_allow_javascript=True, width="content")


def line(default: Start, default_model: Checkpoint | None = None) -> Line:
    """The owner's open line, after adopting the steps its job finished since the last look; a new owner
    (or one whose lines were all dropped) starts a line from ``default`` - saved at once when the browser sent
    its cookie back, else held unsaved until the student changes something."""
    me, saved = owner(), store()
    current = saved.load(me).line()
    if current is None:
        if default_model is None and not st.session_state.get("session_returning"):
            return saved.provisional(me, default)
        return saved.start_line(me, default, default_model)
    if not st.session_state.get("session_seen"):
        st.session_state.session_seen = True
        saved.seen(me)
    adopted = saved.sync(me, current.id) if current.run else []
    if adopted:  # the steps that landed join the class board too, if the line is shared
        current = saved.load(me).line()
        first = len(current.steps) - len(adopted) + 1
        board().publish(me, current.id, first, points_of(adopted, first))
    return current


def models(current: Line, builtin, of: str | None = None) -> list[Checkpoint]:
    """The line's checkpoints, start first (kept in ``st.session_state.steps``); only the ones not yet in
    memory are read from disk. ``of``: the line's owner when it is a classmate's shared line."""
    key = (of, current.id, current.start.label, tuple((s.run, s.index, s.percent) for s in current.steps))
    known, loaded = st.session_state.get("line_key"), st.session_state.get("steps")
    if known == key and loaded:
        return loaded
    if known and loaded and known[:3] == key[:3] and key[3][:len(known[3])] == known[3]:
        loaded = loaded + store().checkpoints(of or owner(), current, builtin, since=len(loaded))
    else:
        loaded = store().checkpoints(of or owner(), current, builtin)
    st.session_state.line_key, st.session_state.steps = key, loaded
    return loaded


def models_held() -> int:
    """How many of the open line's models this browser session holds in memory (``models`` adds what landed)."""
    return len(st.session_state.get("steps") or ())


def start(model: Checkpoint, label: str, builtin: str = "") -> Line:
    """Open a new line from ``model`` (a shipped checkpoint is referred to by name, anything else stored)."""
    return store().start_line(owner(), start_of(model, label, builtin), None if builtin else model)


def go_back(line_id: str, keep: int) -> None:
    """Open a new line from the first ``keep`` steps of the owner's line ``line_id``; that line stays saved
    (and shared, if it was: the board keeps its points)."""
    store().go_back(owner(), line_id, keep)
