"""Shared pytest set-up: run directories and caches out of the user's home, the dashboard under AppTest, a real
server and Debian's Chromium for the browser tests.

Fixtures live here so test modules never import each other; plain helper functions are in ``tests/helpers.py``.
"""
from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest

from pruning_core import checkpoint, paths
from pruning_core.plots import browser as chromium
from pruning_core.service.jobs import JobQueue
from pruning_core.service.live_server import Server


@pytest.fixture(autouse=True)
def isolated_runs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path_factory.mktemp("runs")))


@pytest.fixture
def app(tmp_path, monkeypatch) -> AppTest:
    """The whole app (navigation + Prune page) in a fresh AppTest session with its own runs and results."""
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path / "runs"))
    monkeypatch.setenv(paths.ENV_EXPERIMENTS, str(tmp_path / "experiments"))
    at = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60).run()
    assert not at.exception
    return at


@pytest.fixture
def queue() -> JobQueue:
    """A fresh one-worker job queue whose work runs in its own thread (no executor)."""
    return JobQueue(workers=1)


@pytest.fixture(scope="module")
def baseline() -> checkpoint.Checkpoint:
    """The shipped baseline (loaded once per test module; never modify it)."""
    return checkpoint.load("baseline")


@pytest.fixture
def browser():
    """A headless Chromium (Playwright driving Debian's binary); skipped where it is not installed, except in CI,
    which must install it."""
    if not chromium.chromium_installed():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{paths.chromium()} is missing; CI must install Debian's chromium")
        pytest.skip(f"{paths.chromium()} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = chromium.launch(driver)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def live_server(tmp_path):
    """A real ``streamlit run app.py`` on a free loopback port with its own runs directory (not started)."""
    server = Server(tmp_path / "runs", tmp_path / "streamlit.log")
    try:
        yield server
    finally:
        server.stop()
