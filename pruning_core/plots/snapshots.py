"""Plotly figure -> PNG, drawn offline by Debian's Chromium through Playwright (for reports and docs).

Plotly's own static export needs an extra package (kaleido); the project already drives Chromium for its
browser test, so it draws the figure in a local HTML page with the plotly.js bundled in the plotly package
and screenshots it. Nothing is fetched from the network.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import plotly.graph_objects as go

from .browser import launch


def save_png(fig: go.Figure, path: Path, width: int = 1000, height: int = 460) -> Path:
    """Render ``fig`` to ``path`` (PNG). Raises if Playwright or Chromium is missing."""
    from playwright.sync_api import sync_playwright  # test/report-only dependency: imported on use

    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "figure.html"
        fig.update_layout(width=width, height=height).write_html(page_file, include_plotlyjs=True, full_html=True)
        with sync_playwright() as driver:
            browser = launch(driver)
            try:
                page = browser.new_page(viewport={"width": width + 40, "height": height + 40})
                page.goto(page_file.as_uri())
                page.wait_for_selector(".main-svg")
                page.locator(".js-plotly-plot").first.screenshot(path=str(path))
            finally:
                browser.close()
    return path
