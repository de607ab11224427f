"""Debian's Chromium driven through Playwright: the one place that knows how to launch it.

Used by the figure export (``snapshots.py``), the browser tests and the load test. Playwright's own browser
download is never used (the machines are offline); the flags keep a headless Chromium from reaching out to
the network or asking first-run questions.
"""
from __future__ import annotations

from pathlib import Path

from ..paths import chromium

CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run")


def chromium_installed() -> bool:
    return Path(chromium()).exists()


def launch(playwright):
    """A headless Chromium browser from a running ``sync_playwright()`` driver."""
    return playwright.chromium.launch(executable_path=chromium(), args=list(CHROMIUM_ARGS))
