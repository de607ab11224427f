"""Hostile text in Chromium: a run title and a settings link written as Markdown - a link, an image, bold, a
colour, HTML, a bare URL - show as the characters typed, and the page holds no link or image to the attacker's
host (Markdown's autolinks included, which escaping alone does not stop). The Runs page lists only the
student's own runs (a classmate's text reaches others only as a Class page nickname:
test_class_browser.py), so the title is the student's own run's, as a failed job's error text repeats it."""
from __future__ import annotations

import pytest

from pruning_core import paths
from pruning_core.service.jobs.records import JobStatus
from pruning_core.service.runs import store as runs
from pruning_core.service.sessions import keys
from ui import session as ui_session
from ui import state as ui_state

from .helpers import wait_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = "[click](http://evil.example/x) ![img](http://evil.example/i.png) **bold** :red[red] <b>b</b> $x$"


def test_a_hostile_title_shows_as_text_in_chromium(browser, live_server, monkeypatch):
    monkeypatch.setenv(paths.ENV_RUNS, str(live_server.runs_dir))  # the server's own session key signs the cookie
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(live_server.start() + "/runs")
    page.get_by_role("heading", level=1).first.wait_for(timeout=90_000)
    secret = wait_cookie(page, ui_session.COOKIE)
    runs.create("prune", HOSTILE, {}, owner=keys.owner_id(secret)).set_status(JobStatus.FAILED,
                                                                            f"refused {HOSTILE}")
    page.reload()
    main = page.locator('[data-testid="stMain"]')
    title = main.locator('[data-testid="stMarkdownContainer"]', has_text="[click](http:").first
    title.wait_for(timeout=60_000)
    assert HOSTILE in title.inner_text().replace(ui_state.WORD_JOINER, "")  # the whole title, as typed
    found = main.locator('a[href*="evil.example"], img[src*="evil.example"], b')
    assert found.count() == 0, [found.nth(n).evaluate("e => e.outerHTML") for n in range(found.count())]
    page.goto(live_server.url + "/?scope=" + "[x](http://evil.example/link)")
    warning = page.locator('[data-testid="stAlert"]', has_text="not all usable").first
    warning.wait_for(timeout=60_000)
    assert "scope='[x](http://evil.exam'" in warning.inner_text().replace(ui_state.WORD_JOINER, "")  # cut at 20
    assert page.locator('a[href*="evil.example"]').count() == 0
