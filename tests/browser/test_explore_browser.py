"""Exploring by hand in a real browser (Chromium at 1280x720): a click on a row of the Weights page's fc1 picture
opens that neuron, and "Remove this neuron" adds a step whose fc1 row for it is all zero.
With PRUNE_LAB_SCREENSHOTS=docs/screenshots the screens are saved."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from pruning_core import checkpoint, paths
from tests.browser.helpers import keyed, wait_idle, wait_pruned

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREEN = {"width": 1280, "height": 720}
JOB_TIMEOUT_MS = 120_000
NEURON = 120

# Where a row of the fc1 picture's "after" panel is on the screen: plotly's own axes map data to pixels.
ROW_ON_SCREEN = """row => {
    const plot = document.querySelector('.st-key-fc1-pair .js-plotly-plot');
    if (!plot || !plot._fullLayout || !plot._fullLayout.yaxis2) return null;
    const box = plot.getBoundingClientRect(), xa = plot._fullLayout.xaxis2, ya = plot._fullLayout.yaxis2;
    return {x: box.left + xa._offset + xa.l2p(400), y: box.top + ya._offset + ya.l2p(row)}; }"""


def shoot(page, name: str, at: str) -> None:
    """A screenshot with the element ``at`` on top of the screen, once the app has settled."""
    folder = os.environ.get("PRUNE_LAB_SCREENSHOTS")
    if folder:
        wait_idle(page)
        page.locator(at).first.evaluate("element => element.scrollIntoView()")
        page.wait_for_timeout(1000)  # let the last chart finish drawing
        (paths.APP_DIR / folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(paths.APP_DIR / folder / f"{name}.png"))


def chosen_neuron(page) -> str:
    """The neuron box's value once the app has settled (mid-rerun the old box may still be on the page)."""
    wait_idle(page)
    return page.locator(".st-key-neuron input").first.input_value()


def saved_steps(runs_dir: Path) -> list[Path]:
    return sorted((runs_dir / "sessions").glob("*/*/step-*.pt"))


def test_click_a_neuron_and_remove_it(browser, live_server, tmp_path):
    page = browser.new_page(viewport=SCREEN)
    page.goto(live_server.start() + "/weights")
    page.wait_for_function(ROW_ON_SCREEN, arg=NEURON, timeout=60_000)
    page.locator(".st-key-fc1-pair").scroll_into_view_if_needed()
    spot = page.evaluate(ROW_ON_SCREEN, NEURON)
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_function("() => document.querySelector('.st-key-neuron input')?.value !== '0'", timeout=30_000)
    neuron = int(chosen_neuron(page))  # rows are about 0.8 px tall here: the click lands within a few rows
    assert abs(neuron - NEURON) <= 3, neuron
    detail = page.get_by_text("of 784 inputs and").first
    detail.wait_for(timeout=30_000)
    assert "784 of 784 inputs and 100 of 100 outputs kept" in page.inner_text("body")
    shoot(page, "weights-neuron", ".st-key-fc1-pair")
    page.locator(".st-key-remove-neuron button").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stMetric"]')]
             .some(m => m.innerText.includes('Weights pruned') && m.innerText.includes('0.3 %'))""",
        timeout=JOB_TIMEOUT_MS)
    page.get_by_text("Last hand-made step").first.wait_for(timeout=30_000)
    assert chosen_neuron(page) == str(neuron)
    assert "0 of 784 inputs and 0 of 100 outputs kept" in page.inner_text("body")
    shoot(page, "weights-neuron-removed", ".st-key-neuron-field")
    steps = saved_steps(Path(live_server.env[paths.ENV_RUNS]))
    assert len(steps) == 1
    step = checkpoint.load(str(steps[0]))
    assert not step.model.fc1.weight[neuron].any() and not step.model.fc2.weight[:, neuron].any()
    assert step.model.fc1.weight[neuron - 1].all() and step.model.fc1.weight[neuron + 1].all()
    record = step.history[-1]
    assert (record.scope, record.neurons, record.retrain_epochs) == ("hand", (neuron,), 0)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_one_click_comparison_overlays_three_criteria(browser, live_server):
    page = browser.new_page(viewport=SCREEN)
    page.goto(live_server.start() + "/?epochs=0")
    schedule = page.locator(".st-key-schedule input")
    schedule.wait_for(timeout=60_000)
    schedule.fill("50, 80")
    schedule.press("Enter")
    page.get_by_text("6 prune steps").first.wait_for(timeout=30_000)  # the price, before the press
    page.locator(".st-key-compare-criteria button").click()
    names = page.wait_for_function("""() => {
        const plot = document.querySelector('.st-key-compare-result .js-plotly-plot');
        return plot && plot.data ? plot.data.filter(t => t.showlegend !== false).map(t => t.name) : null; }""",
                                   timeout=JOB_TIMEOUT_MS).json_value()
    assert sorted(names) == ["largest |w| first", "magnitude (smallest |w| first)", "random weights"]
    xs = page.evaluate("""() => document.querySelector('.st-key-compare-result .js-plotly-plot').data
        .map(t => Array.from(t.x))""")
    assert all(x == [0, 50, 80] for x in xs), xs  # each line from the model it started at through the schedule
    assert "No pruning steps yet" in page.inner_text("body")  # the student's line is not changed
    shoot(page, "prune-compare", ".st-key-compare-result")
    assert page.locator('[data-testid="stException"]').count() == 0


NODE_ON_SCREEN = """([depth, row]) => {
    const plot = document.querySelector('.st-key-step-tree .js-plotly-plot');
    if (!plot || !plot._fullLayout) return null;
    const box = plot.getBoundingClientRect(), xa = plot._fullLayout.xaxis, ya = plot._fullLayout.yaxis;
    return {x: box.left + xa._offset + xa.l2p(depth), y: box.top + ya._offset + ya.l2p(row)}; }"""


def test_tree_branches_after_going_back_and_opens_a_step(browser, live_server):
    page = browser.new_page(viewport=SCREEN)
    url = live_server.start()
    page.goto(url + "/?epochs=0")
    step = page.get_by_role("button", name=keyed("Step"))
    step.wait_for(timeout=60_000)
    for expected in ("10.0 %", "20.0 %"):
        step.click()
        wait_pruned(page, expected, JOB_TIMEOUT_MS)
    page.get_by_role("button", name="Go back", exact=True).click()  # to step 1 (the choice it offers first)
    wait_pruned(page, "10.0 %", JOB_TIMEOUT_MS)
    schedule = page.locator(".st-key-schedule input")
    schedule.fill("10, 25")
    schedule.press("Enter")
    wait_idle(page)
    step.click()
    wait_pruned(page, "25.0 %", JOB_TIMEOUT_MS)
    page.goto(url + "/runs")
    spots = page.wait_for_function("""() => {
        const plot = document.querySelector('.st-key-step-tree .js-plotly-plot');
        return plot && plot.data && plot.data[1] ? [Array.from(plot.data[1].x), Array.from(plot.data[1].y)] : null; }""",
                                   timeout=60_000).json_value()
    assert sorted(zip(*spots)) == [(0, 0), (1, 0), (2, 0), (2, 1)]  # start, 10 %, then two branches
    shoot(page, "runs-tree", "h3:has-text('Your experiments as a tree')")
    spot = page.evaluate(NODE_ON_SCREEN, [1, 0])  # the 10 % step: on the open line, older than its newest
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_function("() => new URLSearchParams(location.search).get('step') === '1'", timeout=30_000)
    page.get_by_text("Showing step 1 of 2").first.wait_for(timeout=30_000)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Weights").click()  # every page follows
    page.wait_for_function("() => location.pathname.endsWith('/weights')", timeout=30_000)
    page.get_by_text("Showing step 1 of 2").first.wait_for(timeout=60_000)
    page.wait_for_function("""() => {
        const plot = document.querySelector('.st-key-fc1-pair .js-plotly-plot');
        return plot && plot.layout && plot.layout.annotations.some(a => a.text.includes('step 1 of 2')); }""",
                           timeout=60_000)  # the fc1 picture's "after" is step 1
    assert page.locator('[data-testid="stException"]').count() == 0
