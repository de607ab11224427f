"""The dashboard against a student who tries things: a client's ``clear_cache`` cannot reset the job queue or
re-run recovery, user text is never Markdown, and errors show no tracebacks (the server's side is in
``tests/service/test_security.py``)."""
from __future__ import annotations

import tomllib

import streamlit as st

from pruning_core import checkpoint, paths
from pruning_core.service.jobs import server
from pruning_core.service.runs import retention
from ui import state as ui_state


def test_clear_cache_cannot_reset_the_queue_or_rerun_recovery(monkeypatch):
    queue = ui_state.job_queue()
    recoveries: list[int] = []
    monkeypatch.setattr(retention, "recover", lambda: recoveries.append(1) or [])
    st.cache_resource.clear()  # what any browser's clear_cache message makes the server do
    assert ui_state.job_queue() is queue and server.job_queue() is queue
    assert recoveries == []


def test_user_text_is_plain_inside_markdown():
    name = "[click me](http://evil.example) **bold** :red[x] $x$ <b>"
    escaped = ui_state.plain(name)
    for mark in "[]()*:$<>":
        assert f"\\{mark}" in escaped
    assert "\\" not in name and escaped.replace("\\", "").replace(ui_state.WORD_JOINER, "") == name
    baseline = checkpoint.load("baseline")
    baseline.origin = name
    # Kept as it is for figure titles; Markdown shows it through plain (tests/ui/test_plain_text.py).
    assert ui_state.model_name(baseline).startswith(name)


def test_students_see_no_tracebacks_and_the_server_binds_loopback():
    config = tomllib.loads((paths.APP_DIR / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert config["server"]["address"] == "127.0.0.1"
