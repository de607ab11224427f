"""Fixtures of the real-server tests: ``streamlit run app.py`` as a child process and Debian's Chromium."""
from __future__ import annotations

import os

import pytest

from pruning_core import paths
from pruning_core.plots import browser as chromium
from pruning_core.service.live_server import Server


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
