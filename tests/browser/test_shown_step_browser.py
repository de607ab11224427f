"""One step shown, and a student's settings kept (Chromium at 1280x720, a projector's screen).

- After three Steps, ``/weights?step=1`` shows step 1 (10 %) in the sidebar card, the caption over the page, the
  banner and every figure title; a reload, a page switch and back keep it (``?step=1`` stays in the URL), a
  bad ``?step=9`` is named and not used, and "Back to latest" shows step 3 again.
- Threshold "per layer", 3 epochs, a typed schedule and presenter mode survive a page switch, a reload and a
  server restart (the browser keeps its session cookie; the settings are on the server).
"""
from __future__ import annotations

import pytest

from tests.browser.helpers import keyed, wait_idle, wait_pruned

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREEN = {"width": 1280, "height": 720}
SIDEBAR = '[data-testid="stSidebar"]'
CAPTION = '[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"]'


def settle(page) -> None:
    wait_idle(page, 120_000)
    page.wait_for_timeout(300)  # a fragment's rerun may follow the page's own run
    wait_idle(page, 120_000)


def open_weights(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("heading", level=1, name="Weights", exact=True).wait_for(timeout=90_000)
    page.locator(".st-key-fc1-pair .annotation-text").first.wait_for(timeout=120_000)
    settle(page)


def shown_everywhere(page) -> dict[str, str]:
    """What the sidebar card, the caption over the page and the fc1 figure's titles say right now."""
    return {"card": page.locator(SIDEBAR).inner_text(), "caption": page.locator(CAPTION).first.inner_text(),
            "titles": " | ".join(page.locator(".st-key-fc1-pair .annotation-text").all_text_contents()),
            "weights pruned": page.locator(f'{SIDEBAR} [data-testid="stMetric"]', has_text="Weights pruned")
            .inner_text()}


def assert_step_one(page) -> None:
    seen = shown_everywhere(page)
    assert "step 1: 10 % (step 1 of 3)" in seen["card"], seen
    assert "10.0 %" in seen["weights pruned"], seen
    assert "→ 10 % (step 1 of 3)" in seen["caption"], seen  # "->" drawn as an arrow
    assert "after: step 1 of 3: 10 %" in seen["titles"], seen
    assert page.locator(".st-key-scrubbed-banner").inner_text().startswith("Showing step 1 of 3"), seen
    assert "step=1" in page.url


def test_the_step_shown_is_one_value_on_every_screen_and_in_the_url(browser, live_server):
    url = live_server.start()
    page = browser.new_page(viewport=SCREEN)
    page.goto(url + "/?epochs=0")
    for expected in ("10.0 %", "20.0 %", "30.0 %"):
        page.get_by_role("button", name=keyed("Step")).click(timeout=90_000)
        wait_pruned(page, expected)
    settle(page)
    open_weights(page, url + "/weights?step=1")
    assert_step_one(page)
    page.reload()
    page.locator(".st-key-fc1-pair .annotation-text").first.wait_for(timeout=120_000)
    settle(page)
    assert_step_one(page)
    page.get_by_role("link", name="Histograms").click()
    page.get_by_role("heading", level=1, name="Weight histograms", exact=True).wait_for(timeout=90_000)
    settle(page)
    assert "step=1" in page.url and "(step 1 of 3)" in page.locator(CAPTION).first.inner_text()
    assert any("step 1 of 3: 10 %" in t for t in page.locator(".st-key-hist-all .gtitle").all_text_contents())
    page.get_by_role("link", name="Prune & retrain").click()
    page.get_by_role("heading", level=1, name="Prune & retrain", exact=True).wait_for(timeout=90_000)
    settle(page)
    ring = page.wait_for_function("""() => {
        const plot = document.querySelector('.st-key-history-chart .js-plotly-plot');
        const mark = plot && plot.data && plot.data.find(t => (t.name || '').startsWith('shown'));
        return mark ? mark.name : null; }""", timeout=30_000)
    assert ring.json_value() == "shown: step 1"  # the accuracy chart marks the step shown
    open_weights(page, url + "/weights?step=9")
    warning = page.locator('[data-testid="stAlertContentWarning"]').inner_text()
    assert "?step=9 is not a step of this line (0 to 3)" in warning
    assert "after: step 3 of 3: 30 %" in shown_everywhere(page)["titles"] and "step=" not in page.url
    open_weights(page, url + "/weights?step=1")
    page.get_by_role("button", name="Back to latest").click()
    settle(page)
    assert "after: step 3 of 3: 30 %" in shown_everywhere(page)["titles"] and "step=" not in page.url
    assert page.locator(".st-key-scrubbed-banner").count() == 0


def read_form(page) -> dict[str, str]:
    page.locator(".st-key-epochs input").wait_for(timeout=90_000)
    settle(page)
    return {name: page.locator(f".st-key-{name} input").input_value() for name in ("scope", "epochs", "schedule")}


def test_settings_survive_a_page_switch_a_reload_and_a_restart(browser, live_server):
    url = live_server.start()
    context = browser.new_context(viewport=SCREEN)
    page = context.new_page()
    page.goto(url)
    page.locator(".st-key-scope input").wait_for(timeout=90_000)
    settle(page)
    scope = page.locator(".st-key-scope input")
    scope.click()
    scope.fill("per layer (same")  # the box filters its options as typed
    page.keyboard.press("Enter")
    settle(page)
    page.locator(".st-key-epochs input").fill("3")
    page.keyboard.press("Enter")
    settle(page)
    page.locator(".st-key-schedule input").fill("50, 80, 90")
    page.keyboard.press("Enter")
    settle(page)
    page.locator(f'{SIDEBAR} [data-testid="stWidgetLabel"]', has_text="Presenter mode").click()
    settle(page)
    wanted = {"scope": "per layer (same % each)", "epochs": "3", "schedule": "50, 80, 90"}
    assert read_form(page) == wanted
    page.get_by_role("link", name="Weights").click()
    page.get_by_role("heading", level=1, name="Weights", exact=True).wait_for(timeout=90_000)
    settle(page)
    assert "present=1" in page.url  # presenter mode stays in the address across a page switch
    page.get_by_role("link", name="Prune & retrain").click()
    assert read_form(page) == wanted
    page.reload()
    assert read_form(page) == wanted and "present=1" in page.url
    live_server.kill()
    live_server.start()
    page.goto(url)  # a plain address: the settings come from the server, not the URL
    assert read_form(page) == wanted
    assert "present=1" in page.url
    size = page.evaluate("""() => parseFloat(getComputedStyle(
        document.querySelector('[data-testid="stMarkdownContainer"] p')).fontSize)""")
    assert size >= 20, size
    context.close()
