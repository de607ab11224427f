"""The class together, in the dashboard: the Prune page's Nickname and `Share with the class` / `Stop sharing`,
the banner of a classmate's line viewed read-only (with `Start from this line`), and the teacher's key held for
the Class page. Nothing is shared until the student presses Share; a nickname is plain text everywhere
(``ui_state.plain`` in Markdown, HTML-escaped on charts). Streamlit glue only.
"""
from __future__ import annotations

import streamlit as st

from . import prefs as ui_prefs
from . import session as ui_session
from . import state as ui_state
from . import viewing as ui_viewing
from pruning_core.service.classroom.board import MAX_NICKNAME, SharedLine, clean_nickname
from pruning_core.service.classroom.points import points_of

NICKNAME = "nickname"
TEACHER = "teacher"          # ?teacher=<key>, and the key held in the browser session once it proved right


def share_panel() -> None:
    """Nickname and the Share / Stop sharing button for the student's open line (none while viewing a
    classmate's line: it is not the student's to share)."""
    if ui_state.read_only():
        return
    board, me, line = ui_session.board(), ui_state.owner(), ui_state.line()
    entry, shared = board.entry(me, line.id), board.shared_by(me)  # this line's row; the line shared now
    if NICKNAME not in st.session_state:
        st.session_state[NICKNAME] = board.nickname(me)
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small", key="share-row"):
        nickname = st.text_input("Nickname", key=NICKNAME, max_chars=MAX_NICKNAME, persist_state="session",
                                 help=f"Plain text, at most {MAX_NICKNAME} characters: the class sees it beside "
                                      "your line once you share it.")
        if not (shared and shared.line == line.id) and st.button(
                "Share with the class", key="share-line",
                help="The class sees this line and every step it gains on the Class page, read-only (in place of "
                     "any line you shared before)."):
            ui_state.attempt(lambda: board.share(me, line.id, clean_nickname(nickname),
                                                 points_of(ui_state.steps())))
        if shared and st.button("Stop sharing", key="stop-sharing", help="The class no longer sees your line."):
            board.unshare(me, shared.line)
            st.rerun()
    if entry and entry.hidden:
        st.caption("The teacher has hidden this line from the class.")
    elif shared and shared.line != line.id:
        st.caption("An earlier line of yours is on the Class page; Share with the class puts this one there instead.")
    elif shared:
        st.caption(f"Shared with the class as **{ui_state.plain(shared.nickname)}**: the Class page shows this "
                   f"line and each step it gains. Read-only link: `?view={shared.view}`")


def view_banner() -> None:
    """While a classmate's shared line is shown: whose it is, read-only, `Start from this line` and the way
    back; once it is no longer shared, only that (the page stops there)."""
    if not ui_viewing.viewing():
        return
    viewed = ui_viewing.shown()
    with st.container(horizontal=True, vertical_alignment="center", key="view-banner"):
        if viewed is None:
            st.warning("This shared line is no longer shared (its owner stopped sharing it, or the teacher "
                       "took it off the board).")
        else:
            st.info(f"Viewing **{ui_state.plain(viewed.shared.nickname)}**'s shared line, read-only: "
                    f"{ui_state.plain(viewed.line.title)}")
            if st.button("Start from this line", key="start-from-shared", type="primary",
                         help="Copies this line into your own work as a new line you can prune on."):
                ui_state.attempt(lambda: start_from(viewed.shared, viewed.line.id))
        if st.button("Back to my own line", key="leave-view"):
            ui_viewing.leave()
            st.rerun()
    if viewed is None:
        st.stop()


def start_from(shared: SharedLine, line_id: str) -> None:
    """Copy the shared line into the student's session as a new open line, and show it."""
    ui_session.store().copy_line(shared.owner, line_id, ui_state.owner(), f"from {shared.nickname}")
    ui_viewing.leave()
    ui_prefs.put(step=None)
    st.session_state.notice = ("success", f"Copied {ui_state.plain(shared.nickname)}'s line: it is yours now, "
                                          "prune on from here.")


def follow_teacher() -> None:
    """``?teacher=<key>``: the right key is held for this browser session and taken out of the URL (a projected
    address bar must not show it); a wrong one is named and held nowhere."""
    given = st.query_params.get(TEACHER)
    if given is None:
        return
    del st.query_params[TEACHER]
    if ui_session.board().is_teacher(given):
        st.session_state[TEACHER] = given
    else:
        st.session_state.pop(TEACHER, None)
        st.error("That is not this server's teacher link: the Class page stays as every student sees it.")


def teacher_key() -> str | None:
    """The teacher's key while this browser session proved it (None otherwise)."""
    key = st.session_state.get(TEACHER)
    return key if key and ui_session.board().is_teacher(key) else None
