"""Who a page is, as the page decides it: page opens without a cookie write nothing on the server (a student's
line survives a burst of them), a forged or planted cookie value counts as none, and a cookie the server
signed comes back as the same student, who is then saved.
"""
from __future__ import annotations

import errno

import pytest
from streamlit.runtime.context import ContextProxy
from streamlit.testing.v1 import AppTest

from pruning_core import atomic, paths
from pruning_core.service.sessions import keys
from tests.ui import helpers
from ui import session as ui_session

COOKIE_LESS_OPENS = 12  # each is a whole app run (seconds); the store-level flood is tests/service/test_session_flood.py


def open_page(cookies: dict[str, str] | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> AppTest:
    """A new tab: the whole app in a fresh session, sending ``cookies`` with its first request."""
    if monkeypatch is not None:
        monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: dict(cookies or {})))
    at = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60).run()
    assert not at.exception
    return at


def saved_owners() -> set[str]:
    """The owners with anything on disk (their session, their settings, ...); the class board beside them is not
    an owner."""
    root = paths.sessions_dir()
    return {d.name for d in root.iterdir() if not d.name.startswith(paths.CLASS_BOARD)} if root.is_dir() else set()


def test_cookie_less_page_opens_write_nothing_and_leave_a_students_line_intact(app):
    helpers.prune(app, 60.0)
    student = keys.owner_id(app.session_state["session_secret"])
    line = ui_session.store().load(student).line()
    assert saved_owners() == {student} and len(line.steps) == 1
    for _ in range(COOKIE_LESS_OPENS):
        opened = open_page()
        assert opened.session_state["session_secret"] != app.session_state["session_secret"]
    assert saved_owners() == {student}  # none of those opens was saved
    assert ui_session.store().load(student).line() == line


def test_a_forged_cookie_counts_as_none_and_a_signed_one_comes_back(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path / "runs"))
    forged = "A" * 64  # the shape of a secret, not signed by this server
    at = open_page({ui_session.COOKIE: forged}, monkeypatch)
    assert at.session_state["session_secret"] != forged and not at.session_state["session_returning"]
    assert saved_owners() == set()
    issued = keys.issue()
    at = open_page({ui_session.COOKIE: issued}, monkeypatch)  # a browser sending back what the server gave it
    assert at.session_state["session_secret"] == issued and at.session_state["session_returning"]
    assert saved_owners() == {keys.owner_id(issued)}


def test_a_new_visitor_on_a_full_disk_gets_the_page_without_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path / "runs"))

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "write_bytes", no_space)  # every session, run and checkpoint write
    at = open_page()
    assert [e.value for e in at.error] == [] and saved_owners() == set()  # opening a page writes nothing
