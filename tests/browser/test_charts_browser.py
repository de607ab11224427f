"""Charts as a projector shows them (Chromium at 1280x720), and a lab that stays on this machine.

- On every page, after the reference schedule's 12 steps with the scrubber on step 3 (the longest titles), no
  title, legend entry, annotation, colour-bar title, axis title or slider label of a Plotly chart overlaps
  another one of the same chart, and none is cut off at the chart's edge: measured on the SVG text the browser
  drew - and again on every page in presenter mode (every chart text at least 20 px).
- Every page, the drawing canvas included, is opened with requests leaving 127.0.0.1 blocked and recorded:
  none may be made.
With PRUNE_LAB_SCREENSHOTS=DIR each chart is also saved as DIR/chart-<page>-<chart>.png to look at.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from pruning_core import paths
from tests.browser.helpers import keyed, wait_idle, wait_painted

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREEN = {"width": 1280, "height": 720}
LINE_TIMEOUT_MS = 480_000  # 12 steps without retraining on a busy 2-core machine
# Navigation link -> the page's own heading.
PAGES = {"Prune & retrain": "Prune & retrain", "Train / load": "Train or load a model", "Weights": "Weights",
         "Histograms": "Weight histograms", "Activations": "Activations", "Experiments": "Experiments",
         "Runs": "Runs"}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHARTLESS = {"train", "runs"}  # pages without a chart until a model is trained or two runs are compared

# Per Plotly chart on the page: its box and the boxes of the texts it placed (not axis ticks, which Plotly
# spaces itself): the figure title, legend entries, annotations (subplot titles included), colour-bar titles,
# axis titles, slider and button labels.
CHART_TEXTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map((plot, index) => {
    const holder = plot.closest('[class*="st-key-"]');
    const key = holder ? [...holder.classList].find(c => c.startsWith('st-key-')).slice(7) : `chart-${index}`;
    const box = r => ({x: r.x, y: r.y, w: r.width, h: r.height});
    const texts = [];
    for (const [kind, selector] of [['title', '.gtitle'], ['legend', '.legend .traces'],
                                    ['annotation', '.annotation-text'], ['colour bar', '.cbtitle'],
                                    ['axis title', '[class^="g-x"][class$="title"] text, [class^="g-y"][class$="title"] text'],
                                    ['slider', '.slider-label'], ['button', '.updatemenu-item-text']]) {
        plot.querySelectorAll(selector).forEach(element => {
            const r = element.getBoundingClientRect();
            if (r.width > 0 && r.height > 0) texts.push({kind, text: element.textContent, ...box(r)});
        });
    }
    return {key, box: box(plot.getBoundingClientRect()), texts};
})"""


def overlap(a: dict, b: dict) -> float:
    """Pixels two boxes share in each direction (the smaller of the two); touching is not overlapping."""
    wide = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    tall = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return min(wide, tall)


def collisions(chart: dict) -> list[str]:
    found, texts, frame = [], chart["texts"], chart["box"]
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if overlap(a, b) > 1.0:
                found.append(f"{chart['key']}: {a['kind']} {a['text']!r} overlaps {b['kind']} {b['text']!r}")
        inside = (a["x"] >= frame["x"] - 1 and a["y"] >= frame["y"] - 1 and
                  a["x"] + a["w"] <= frame["x"] + frame["w"] + 1 and a["y"] + a["h"] <= frame["y"] + frame["h"] + 1)
        if not inside:
            found.append(f"{chart['key']}: {a['kind']} {a['text']!r} is cut at the chart's edge")
    return found


def settle(page) -> None:
    """Until the page's run is over and what it drew is painted."""
    wait_idle(page, 120_000)
    page.wait_for_timeout(300)  # a fragment's rerun may follow the page's own run
    wait_idle(page, 120_000)
    wait_painted(page)


def open_page(page, link: str) -> None:
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", level=1, name=PAGES[link], exact=True).wait_for(timeout=90_000)
    settle(page)


def save_charts(page, name: str) -> None:
    folder = os.environ.get("PRUNE_LAB_SCREENSHOTS")
    if not folder:
        return
    (paths.APP_DIR / folder).mkdir(parents=True, exist_ok=True)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for index in range(charts.count()):
        charts.nth(index).screenshot(path=str(paths.APP_DIR / folder / f"chart-{name}-{index}.png"))


def block_outside(page) -> list[str]:
    """Abort every request to a host other than this machine; the list fills with their addresses."""
    outside: list[str] = []

    def route(request_route) -> None:
        url = request_route.request.url
        if url.startswith(("http:", "https:", "ws:", "wss:")) and urlsplit(url).hostname not in LOCAL_HOSTS:
            outside.append(url)
            request_route.abort()
        else:
            request_route.continue_()

    page.route("**/*", route)
    return outside


def play_reference_schedule(page, url: str) -> None:
    page.goto(url + "/?epochs=0")
    page.get_by_role("button", name=keyed("Play")).click(timeout=90_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stMetric"]')]
             .some(m => m.innerText.includes('Weights pruned') && m.innerText.includes('99.0 %'))
           && !document.querySelector('.st-key-cancel-job')""", timeout=LINE_TIMEOUT_MS)
    settle(page)


def test_no_chart_text_overlaps_another_on_any_page(browser, live_server):
    page = browser.new_page(viewport=SCREEN)
    outside = block_outside(page)
    play_reference_schedule(page, live_server.start())
    problems: list[str] = []

    def measure(name: str) -> None:
        closed = page.locator('[data-testid="stExpander"] details:not([open]) > summary')
        if closed.count():  # folded-away charts are measured as a student sees them once opened
            while closed.count():
                closed.first.click()
            settle(page)
        charts = page.evaluate(CHART_TEXTS)
        assert charts or name.removeprefix("presenter-") in CHARTLESS, f"no chart drawn on {name}"
        for chart in charts:
            problems.extend(f"{name}: {p}" for p in collisions(chart))
        save_charts(page, name)

    measure("prune")
    # Compression on a log axis (and, below, still chosen after visiting the other pages).
    picker = page.locator(".st-key-sparsity-axis-picker input")
    picker.click()
    picker.fill("compression")  # the box filters its options as typed
    page.keyboard.press("Enter")
    settle(page)
    measure("prune-compression")
    page.locator("[class*='st-key-scrubber-'] input[type='range']").focus()  # scrub back to step 3: the longest titles
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    settle(page)
    visits = ("Weights", "Histograms", "Activations", "Experiments", "Train / load", "Runs")
    for link in visits:
        open_page(page, link)
        if link == "Weights":
            page.locator(".st-key-show-animation label").click()
            page.locator(".st-key-animation .main-svg").first.wait_for(timeout=120_000)
            settle(page)
            titles = page.locator(".st-key-fc1-pair .annotation-text").all_text_contents()
            assert any("step 3" in title for title in titles), titles  # the scrubbed step is the one shown
        measure(link.split(" ")[0].lower())
    page.get_by_text("Presenter mode", exact=True).click()  # the same pages on a projector: larger text
    settle(page)
    for link in ("Prune & retrain", *visits):
        open_page(page, link)
        measure("presenter-" + link.split(" ")[0].lower())
    assert not problems, "\n".join(problems)
    assert not outside, outside
    open_page(page, "Prune & retrain")
    from playwright.sync_api import expect  # here, like the fixture's import: collection needs no Playwright

    expect(page.locator(".st-key-sparsity-axis-picker input")).to_have_value("x axis: compression (x, log)")


def test_no_request_leaves_the_machine(browser, live_server):
    page = browser.new_page(viewport=SCREEN)
    outside = block_outside(page)
    page.goto(live_server.start() + "/?epochs=0")
    page.get_by_role("button", name=keyed("Step")).click(timeout=90_000)
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stMetric"]')]
        .some(m => m.innerText.includes('Weights pruned') && m.innerText.includes('10.0 %'))""", timeout=240_000)
    for link in [*PAGES, "Activations"]:
        open_page(page, link)
    page.get_by_text("Draw", exact=True).click()  # the drawing canvas is a component with its own page
    page.locator(".st-key-digit-canvas-0 canvas").last.wait_for(timeout=60_000)
    settle(page)
    page.reload()  # a fresh load asks for the favicon and the fonts again
    page.get_by_role("heading", level=1, name="Activations", exact=True).wait_for(timeout=90_000)
    settle(page)
    page.wait_for_timeout(1000)  # a request the page makes after its run (favicon, icons) comes in this second
    assert not outside, outside
