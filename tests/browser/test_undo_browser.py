"""Calm layout and nothing lost, in Chromium at 1280x720: Reset replaces the student's line, and the sidebar's
Undo - still there after a reload - brings it back; a cancelled job says so in a toast over the page, so the
page does not move down."""
from __future__ import annotations

import pytest

from tests.browser.helpers import keyed, wait_idle, wait_pruned
from tests.browser.test_projector_browser import RECORD_TOASTS, open_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def heading_top(page) -> float:
    return page.get_by_role("heading", level=1, name="Prune & retrain", exact=True).bounding_box()["y"]


def test_undo_brings_back_a_reset_line_and_a_cancel_is_a_toast(browser, live_server):
    page = open_app(browser, live_server.start() + "/?epochs=0")
    page.get_by_role("button", name=keyed("Step")).click()
    wait_pruned(page, "10.0 %")
    assert page.locator(".st-key-undo-line").count() == 0  # nothing replaced yet
    page.locator(".st-key-reset-line button").first.click()  # a rerun may briefly show a stale copy too
    wait_pruned(page, "0.0 %")
    page.reload()  # the line Undo brings back is kept on the server
    undo = page.locator(".st-key-undo-line button").first
    undo.wait_for(timeout=60_000)
    undo.click()
    wait_pruned(page, "10.0 %")
    page.locator('[data-testid="stSidebar"]', has_text="Replaced: baseline").wait_for(timeout=30_000)

    wait_idle(page)
    top = heading_top(page)
    epochs = page.locator(".st-key-epochs input")
    epochs.fill("20")  # long enough to be cancelled while it runs
    epochs.press("Enter")
    wait_idle(page)
    page.evaluate(RECORD_TOASTS)  # a toast fades after a few seconds: every one is recorded as it appears
    page.get_by_role("button", name="Prune + retrain", exact=True).click()
    page.locator(".st-key-live-sparsity").first.wait_for(timeout=120_000)  # running, not only queued
    page.locator(".st-key-cancel-job button").first.click(timeout=120_000)
    page.wait_for_function("() => window.toastsSeen.some(text => text.includes('cancelled'))", timeout=120_000)
    wait_idle(page)
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 0  # no banner ...
    assert abs(heading_top(page) - top) <= 1  # ... so the page did not move down
    wait_pruned(page, "10.0 %")  # the line is as it was
