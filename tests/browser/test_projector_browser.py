"""The projector walk-through in a real browser (Chromium at 1280x720, a projector's screen): the Prune page's main chart is on
the first screen after a step, Step from the baseline makes exactly one 10 % step, Play then Pause stops
after one more finished step (counted from the click) (counted from the click), a settings link fills the form, and a digit drawn with the mouse is predicted.
With PRUNE_LAB_SCREENSHOTS=docs/screenshots the screens are saved for the README."""
from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import pytest

from pruning_core import paths

from .helpers import keyed, wait_pruned
from .helpers import metric_value as metric

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREEN = {"width": 1280, "height": 720}
JOB_TIMEOUT_MS = 240_000  # a retraining epoch on a busy 2-core machine


def shoot(page, name: str) -> None:
    folder = os.environ.get("PRUNE_LAB_SCREENSHOTS")
    if folder:
        (paths.APP_DIR / folder).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(1000)  # let the last chart finish drawing
        page.screenshot(path=str(paths.APP_DIR / folder / f"{name}.png"))


def table_percents(page) -> list[float]:
    """The step table's percent column, read from the chart's x values of the line (start point dropped)."""
    xs = page.wait_for_function("""() => {
        const plot = document.querySelector('.st-key-history-chart .js-plotly-plot');
        return plot && plot.data && plot.data.length > 1 ? Array.from(plot.data[1].x) : null; }""", timeout=30_000)
    return [float(x) for x in xs.json_value()[1:]]


def open_app(browser, url: str):
    page = browser.new_page(viewport=SCREEN)
    page.goto(url)
    page.get_by_role("button", name=keyed("Step")).wait_for(timeout=60_000)
    return page


def test_step_puts_one_step_and_the_chart_on_the_first_screen(browser, live_server):
    page = open_app(browser, live_server.start() + "/?epochs=0")
    shoot(page, "prune-intro")
    page.get_by_role("button", name=keyed("Step")).click()
    wait_pruned(page, "10.0 %")
    assert table_percents(page) == [10.0]
    box = page.locator(".st-key-history-chart").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"], box
    for expected in ("20.0 %", "30.0 %"):  # Step twice more
        page.get_by_role("button", name=keyed("Step")).click()
        wait_pruned(page, expected)
    assert table_percents(page) == [10.0, 20.0, 30.0]
    shoot(page, "prune-steps")
    assert page.locator('[data-testid="stException"]').count() == 0


# Toasts vanish after a few seconds: the page records every toast's text as it appears.
RECORD_TOASTS = """() => {
    window.toastsSeen = [];
    new MutationObserver(() => document.querySelectorAll('[data-testid="stToast"]').forEach(toast => {
        if (!window.toastsSeen.includes(toast.innerText)) window.toastsSeen.push(toast.innerText); }))
      .observe(document.body, {childList: true, subtree: true, characterData: true}); }"""


def test_play_then_pause_stops_after_one_more_step(browser, live_server):
    page = open_app(browser, live_server.start() + "/?epochs=1")
    page.evaluate(RECORD_TOASTS)
    page.get_by_role("button", name=keyed("Play")).click()
    pause = page.locator(".st-key-pause-job button").first  # a rerun may briefly show a stale copy too
    pause.wait_for(timeout=JOB_TIMEOUT_MS)
    page.locator(".st-key-live-sparsity").first.wait_for(timeout=JOB_TIMEOUT_MS)  # running, not only queued
    shoot(page, "prune-playing")
    pause.click()
    # "One more" counts from the click: on a busy machine a step can land before the click does (CI once saw
    # the Pause button only after step 1 had finished), so the steps are read right after it - from the live
    # chart (no line before its first step), or from the page's chart once the job has ended.
    landed = page.wait_for_function("""() => {
        const live = document.querySelector('.st-key-live-sparsity .js-plotly-plot');
        const plot = live || document.querySelector('.st-key-history-chart .js-plotly-plot');
        if (!plot || !plot.data) return null;
        return plot.data.length > 1 ? plot.data[1].x.length - 1 : 0; }""", timeout=30_000).json_value()
    page.wait_for_function("""() => !document.querySelector('.st-key-pause-job, .st-key-cancel-job')""",
                           timeout=JOB_TIMEOUT_MS)
    percents = table_percents(page)
    assert 1 <= len(percents) <= landed + 1, (percents, landed)
    assert percents == [10.0 * (i + 1) for i in range(len(percents))]
    wait_pruned(page, f"{percents[-1]:.1f} %")
    # Where it stopped and how to go on, in a toast over the page (no banner pushing the page down).
    page.wait_for_function("() => window.toastsSeen.some(text => text.includes('Paused at'))", timeout=30_000)
    assert f"Paused at {percents[-1]:g} % - press Play to continue." in page.evaluate("window.toastsSeen")[-1]
    assert page.locator('[data-testid="stAlertContentSuccess"]').count() == 0
    page.wait_for_timeout(1500)  # had it not paused, the next step would now be running
    assert page.locator(".st-key-cancel-job").count() == 0
    assert table_percents(page) == percents
    assert page.locator(".st-key-last-curve").count() == 1  # the job's curves stay after it ended


def test_a_settings_link_fills_the_form_and_copies_without_secrets(browser, live_server):
    page = open_app(browser, live_server.start() + "/?percent=80&epochs=2&scope=layer")
    assert "80.00" in page.locator(".st-key-percent").inner_text()  # the slider's value label
    from playwright.sync_api import expect  # here, like the fixture's import: collection needs no Playwright

    # The number input can show its default for a moment of the first render before the link's value (seen
    # while the page drew, under load), so these wait for the value rather than read it once.
    expect(page.locator(".st-key-epochs input")).to_have_value("2", timeout=10_000)
    expect(page.locator(".st-key-scope input")).to_have_value("per layer (same % each)", timeout=10_000)
    page.get_by_role("button", name="Copy link to these settings").click()
    code = page.locator('[data-testid="stPopoverBody"] code, [data-testid="stPopoverBody"] pre').first
    code.wait_for(timeout=10_000)
    query = parse_qs(urlsplit(code.inner_text().strip()).query)
    assert query["percent"] == ["80"] and query["epochs"] == ["2"] and query["scope"] == ["layer"]
    assert not {"me", "job"} & set(query)


def test_drawing_a_digit_gives_a_prediction(browser, live_server):
    page = browser.new_page(viewport=SCREEN)
    page.goto(live_server.start() + "/activations")
    page.get_by_text("Draw", exact=True).click(timeout=90_000)  # a cold server loads MNIST first
    canvas = page.locator(".st-key-digit-canvas-0 canvas").last
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 60, y + 50)
    page.mouse.down()
    for k in range(20):  # a "7": the bar, then the stem
        page.mouse.move(x + 60 + 6 * k, y + 50, steps=2)
    for k in range(30):
        page.mouse.move(x + 180 - 3 * k, y + 50 + 6 * k, steps=2)
    page.mouse.up()
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stMetric"]')]
        .some(m => m.innerText.includes('After: prediction') && /\\n\\d\\n/.test(m.innerText + '\\n'))""",
                           timeout=30_000)
    prediction = metric(page, "After: prediction")
    assert prediction.isdigit(), prediction
    said = page.locator(".st-key-said-digit input")  # the student says which digit it is: the true label
    said.click()
    said.fill("7")
    page.keyboard.press("Enter")
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stMetric"]')]
        .some(m => m.innerText.includes('True label') && m.innerText.includes('7'))""", timeout=30_000)
    page.locator(".st-key-strips .main-svg").first.wait_for(timeout=120_000)
    shoot(page, "activations-draw")


def test_presenter_mode_on_a_projector(browser, live_server):
    """?present=1: body text of at least 20 px, and after a Step each page's main figure on the first screen."""
    page = open_app(browser, live_server.start() + "/?present=1&epochs=0")
    size = page.evaluate("""() => parseFloat(getComputedStyle(
        document.querySelector('[data-testid="stMarkdownContainer"] p')).fontSize)""")
    assert size >= 20, size
    page.get_by_role("button", name=keyed("Step")).click()
    wait_pruned(page, "10.0 %")
    page.get_by_role("button", name=keyed("Step")).click()
    wait_pruned(page, "20.0 %")
    assert table_percents(page) == [10.0, 20.0]
    shoot(page, "presenter-prune")
    for link, title, main in (("Weights", "Weights", "fc1-pair"), ("Histograms", "Weight histograms", "hist-all"),
                              ("Activations", "Activations", "strips")):
        page.get_by_role("link", name=link).click()
        page.get_by_role("heading", level=1, name=title, exact=True).wait_for(timeout=60_000)
        chart = page.locator(f".st-key-{main} .main-svg").first
        chart.wait_for(timeout=120_000)  # a busy 2-core machine draws the Weights page slowly
        box = page.locator(f".st-key-{main}").bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"], (link, box)
        shoot(page, f"presenter-{link.lower()}")
    assert page.locator('[data-testid="stException"]').count() == 0
