"""The class together in a real browser: a real ``streamlit run`` server, Debian's Chromium, one browser context
(its own cookies: its own student) per person.

Two students type nicknames, Step once and press `Share with the class`; a third opens Class and sees both
nicknames and two lines; a further step by one student appears on that open page without a reload; a click on
a line opens it read-only; `?view=` shows the line read-only and `Start from this line` copies it; after `Stop
sharing` the view says so; without the teacher's key there is no hide or clear control, with it a hidden line disappears for everyone; Markdown and
HTML in a nickname show as the text typed. Steps retrain 0 epochs, so each takes a second.
"""
from __future__ import annotations

import re

import pytest

from pruning_core import paths
from pruning_core.service.live_server import Server

from .helpers import keyed, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "teacher-key-for-the-test"
HOSTILE = "**Bo** <i>x</i> [a](b)"
WAIT_MS = 120_000
LINES_JS = """() => { const plot = document.querySelector('.js-plotly-plot');
  return plot && plot.data ? plot.data.filter(t => t.mode === 'lines+markers')
                                     .map(t => [t.name, t.x.length]) : null; }"""
# The same, [] while a rerun has the chart out of the page (so a wait can go on polling).
LINES_NOW_JS = f"() => ({LINES_JS})() || []"


ADA_NEWEST_POINT = """() => { const plot = document.querySelector('.st-key-class-chart .js-plotly-plot');
  const trace = plot.data.find(t => t.name === 'Ada'), last = trace.x.length - 1;
  const box = plot.getBoundingClientRect(), xa = plot._fullLayout.xaxis, ya = plot._fullLayout.yaxis;
  return {x: box.left + xa._offset + xa.l2p(xa.d2l(trace.x[last])),
          y: box.top + ya._offset + ya.l2p(ya.d2l(trace.y[last]))}; }"""


@pytest.fixture
def server(tmp_path):
    """A real dashboard server whose teacher's key the test knows."""
    running = Server(tmp_path / "runs", tmp_path / "streamlit.log", {paths.ENV_TEACHER_KEY: KEY})
    running.start()
    try:
        yield running
    finally:
        running.stop()


def person(browser):
    return browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()


def weights_pruned(page, value: str) -> None:
    """Wait until the sidebar card says ``value`` weights pruned."""
    page.locator('[data-testid="stSidebar"] [data-testid="stMetric"]', has_text="Weights pruned") \
        .filter(has_text=value).first.wait_for(timeout=WAIT_MS)


def step(page, value: str) -> None:
    page.get_by_role("button", name=keyed("Step")).first.click()  # a rerun may briefly show a stale copy too
    weights_pruned(page, value)


def student_shares(browser, url: str, nickname: str):
    page = person(browser)
    page.goto(url)
    epochs = page.get_by_role("spinbutton", name="Retrain epochs")
    epochs.wait_for(timeout=60_000)
    epochs.fill("0")
    epochs.press("Enter")
    page.wait_for_timeout(800)
    step(page, "10.0 %")
    field = page.get_by_role("textbox", name="Nickname")
    field.fill(nickname)
    field.press("Enter")
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Share with the class").click()
    page.get_by_role("button", name="Stop sharing").wait_for(timeout=30_000)
    return page


def board_lines(page) -> list:
    page.wait_for_function(f"({LINES_JS})() !== null", timeout=60_000)
    return page.evaluate(LINES_JS)


def test_the_class_shares_views_copies_and_moderates(browser, server):
    url = server.url
    ada = student_shares(browser, url, "Ada")
    bo = student_shares(browser, url, HOSTILE)

    viewer = person(browser)
    viewer.goto(f"{url}/class")
    assert sorted(board_lines(viewer)) == sorted([["Ada", 2], [HOSTILE.replace("<", "&lt;").replace(">", "&gt;"), 2]])
    legend = viewer.locator(".legendtext").evaluate_all("texts => texts.map(t => t.textContent)")
    assert "Ada" in legend and HOSTILE in legend  # the tags show as typed: no italic, no link
    assert viewer.locator(".legendtext a, .legendtext tspan[style*='italic']").count() == 0
    assert viewer.get_by_role("button", name="Hide", exact=True).count() == 0
    assert viewer.get_by_role("button", name="Clear the board").count() == 0

    # A further step by Ada reaches the open Class page without a reload.
    step(ada, "20.0 %")
    viewer.wait_for_function(f"({LINES_NOW_JS})().some(([name, n]) => name === 'Ada' && n === 3)", timeout=WAIT_MS)

    # A click on Ada's line opens it read-only (her newest point, where the best-at-20 % star also names her).
    for _ in range(3):  # the chart redraws every poll: a click that lands mid-redraw is lost, as for a person
        wait_idle(viewer)  # so click between the polls' runs, on the chart as drawn
        spot = viewer.evaluate(ADA_NEWEST_POINT)
        viewer.mouse.click(spot["x"], spot["y"])
        try:
            viewer.get_by_text("shared line, read-only").first.wait_for(timeout=20_000)
            break
        except Exception:
            continue
    viewer.get_by_text("shared line, read-only").first.wait_for(timeout=5_000)
    weights_pruned(viewer, "20.0 %")
    viewer.goto(f"{url}/class")
    board_lines(viewer)

    # Ada's read-only link: everything that would change the line is off; Start from this line copies it.
    view = re.search(r"\?view=([A-Za-z0-9_-]{22})", ada.get_by_text("Read-only link").first.inner_text()).group(1)
    copier = person(browser)
    copier.goto(f"{url}/?view={view}")
    copier.get_by_text("shared line, read-only").first.wait_for(timeout=60_000)
    weights_pruned(copier, "20.0 %")
    for name in ("Step", "Play", "Prune + retrain"):
        assert copier.get_by_role("button", name=keyed(name)).is_disabled()
    copier.get_by_role("button", name="Start from this line").click()
    copier.get_by_text("it is yours now").first.wait_for(timeout=30_000)
    weights_pruned(copier, "20.0 %")
    assert copier.get_by_role("button", name=keyed("Step")).is_enabled()

    # Ada stops sharing: her link now says so, and shows nothing of the line.
    ada.get_by_role("button", name="Stop sharing").click()
    ada.get_by_role("button", name="Share with the class").wait_for(timeout=30_000)
    late = person(browser)
    late.goto(f"{url}/?view={view}")
    late.get_by_text("no longer shared").first.wait_for(timeout=60_000)
    assert late.get_by_role("button", name=keyed("Step")).count() == 0

    # The teacher's link: Hide takes Bo's line off the board for everyone, the open Class page included.
    teacher = person(browser)
    teacher.goto(f"{url}/class?teacher={KEY}")
    teacher.get_by_role("button", name="Clear the board").wait_for(timeout=60_000)
    assert KEY not in teacher.url  # the key leaves the address bar
    assert len(board_lines(teacher)) == 1
    teacher.get_by_role("button", name="Hide", exact=True).click()
    viewer.get_by_text("Nobody has shared a line yet").wait_for(timeout=WAIT_MS)
    bo.reload()
    bo.get_by_text("The teacher has hidden this line").wait_for(timeout=60_000)
