"""``make run``'s launcher: it prints the teacher's link, hands the key to the server, starts Streamlit in its
own process, and preloads into the very caches the pages read (a class starts without a wait)."""
from __future__ import annotations

import streamlit as st

from pruning_core import paths
from pruning_core.service.classroom import teacher
from pruning_core.service.jobs import server
from ui import serve
from ui import state as ui_state


def test_make_run_prints_the_teachers_link_and_starts_streamlit_here(monkeypatch, capsys):
    started, preloads = [], []
    monkeypatch.setattr(teacher, "_key", "")
    monkeypatch.setenv(paths.ENV_TEACHER_KEY, "chosen-key")
    monkeypatch.setattr(serve.cli, "main", lambda args, prog_name: started.append(args))
    monkeypatch.setattr(serve, "_preload_in_background", lambda: preloads.append(1))
    monkeypatch.setattr(serve.sys, "argv", [])
    serve.main(["0.0.0.0", "8501", "--server.headless", "true"])
    assert "http://127.0.0.1:8501/class?teacher=chosen-key" in capsys.readouterr().out
    assert started == [["run", str(paths.APP_DIR / "app.py"), "--server.address", "0.0.0.0", "--server.port",
                        "8501", "--server.headless", "true"]]
    assert serve.os.environ[paths.ENV_TEACHER_KEY] == "chosen-key"
    assert preloads == [1]  # while Streamlit starts, not after


def test_preload_fills_the_caches_the_pages_read(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path / "runs"))
    st.cache_resource.clear()  # nothing loaded by an earlier test
    summary = serve.preload()
    assert summary.startswith(f"Ready: MNIST, {len(ui_state.builtin_names())} shipped checkpoints, "
                              f"{server.job_queue().executor.slots} job worker(s)")
    loads = []
    monkeypatch.setattr(ui_state, "load_mnist", lambda device: loads.append(device))
    monkeypatch.setattr(ui_state.checkpoint, "load", lambda name: loads.append(name))
    assert ui_state.dataset() is not None and ui_state.builtin("baseline").model is not None
    assert loads == []  # the pages' first calls find them loaded
