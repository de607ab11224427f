"""Presenter mode measured in Chromium at 1280x720 on every page (``presenter_measure.js``): every visible text,
the charts' and the network diagram's included, at least 20 px; the key numbers (metrics) larger than body
text; no button, label, input or selectbox value cut short or broken mid-word; the caption over the page
below Streamlit's header; and the mode kept in the URL across page switches and a reload. Measured again on
the Prune page while Play runs (progress, Pause and Cancel on the page).
With PRUNE_LAB_SCREENSHOTS=docs/screenshots every page is saved as presenter-<page>.png."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from pruning_core import paths
from tests.browser.helpers import keyed, wait_idle, wait_painted

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREEN = {"width": 1280, "height": 720}
BODY_PX = 20
MEASURE = (Path(__file__).parent / "presenter_measure.js").read_text(encoding="utf-8")
# Navigation link -> the page's own heading, and the screenshot's name.
PAGES = {"Prune & retrain": ("Prune & retrain", "prune"), "Train / load": ("Train or load a model", "train"),
         "Weights": ("Weights", "weights"), "Histograms": ("Weight histograms", "histograms"),
         "Activations": ("Activations", "activations"), "Experiments": ("Experiments", "experiments"),
         "Class": ("Class", "class"), "Runs": ("Runs", "runs")}


def settle(page) -> None:
    """Until the page's run is over, its charts drawn and painted."""
    wait_idle(page, 120_000)
    page.wait_for_timeout(1000)  # a fragment's rerun may follow, and Plotly draws after the run
    wait_idle(page, 120_000)
    wait_painted(page)


def problems(page, name: str) -> list[str]:
    found = page.evaluate(MEASURE, BODY_PX)
    listed = [f"{name}: {len(found[kind])} {kind}: {found[kind][:8]}" for kind in ("small", "cut", "broken")
              if found[kind]]
    if found["captionUnderHeader"]:
        listed.append(f"{name}: the caption (y {found['captionTop']}) is under the header (to y {found['headerBottom']})")
    if found["numberPx"] is not None and found["numberPx"] <= BODY_PX:
        listed.append(f"{name}: key numbers at {found['numberPx']} px, not larger than body text")
    return listed


def shoot(page, name: str) -> None:
    folder = os.environ.get("PRUNE_LAB_SCREENSHOTS")
    if folder:
        (paths.APP_DIR / folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(paths.APP_DIR / folder / f"presenter-{name}.png"))


def test_presenter_mode_passes_the_measurement_on_every_page(browser, live_server):
    page = browser.new_page(viewport=SCREEN)
    page.goto(live_server.start() + "/?present=1&epochs=0")
    page.get_by_role("button", name=keyed("Step")).click(timeout=90_000)  # a line: every page has content
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stMetric"]')]
        .some(m => m.innerText.includes('Weights pruned') && m.innerText.includes('10.0 %'))
        && !document.querySelector('.st-key-cancel-job')""", timeout=240_000)
    found: list[str] = []
    for link, (heading, name) in PAGES.items():
        page.get_by_role("link", name=link).click()
        page.get_by_role("heading", level=1, name=heading, exact=True).wait_for(timeout=90_000)
        settle(page)
        assert "present=1" in page.url, (link, page.url)  # a page switch keeps the mode in the address
        found += problems(page, name)
        shoot(page, name)
    page.reload()  # on the last page: the mode survives a reload
    page.get_by_role("heading", level=1, name="Runs", exact=True).wait_for(timeout=90_000)
    settle(page)
    found += problems(page, "runs after a reload")

    page.get_by_role("link", name="Prune & retrain").click()  # the Prune page while Play runs
    page.get_by_role("heading", level=1, name="Prune & retrain", exact=True).wait_for(timeout=90_000)
    settle(page)
    epochs = page.locator(".st-key-epochs input")
    epochs.fill("3")  # long enough a schedule to be measured while it runs
    epochs.press("Enter")
    settle(page)
    page.get_by_role("button", name=keyed("Play")).click(timeout=90_000)
    page.locator(".st-key-cancel-job").first.wait_for(timeout=120_000)
    page.locator(".st-key-pause-job button").first.wait_for(timeout=60_000)  # the working Pause, beside the progress
    page.mouse.move(0, 0)  # no tooltip of the button just pressed over the page
    page.wait_for_timeout(1000)  # the panel's next poll has drawn the progress
    wait_painted(page)
    playing = page.locator('[data-testid="stProgress"]').count()
    found += problems(page, "prune while playing")
    shoot(page, "playing")
    page.locator(".st-key-cancel-job button").first.click()
    page.wait_for_function("() => !document.querySelector('.st-key-cancel-job')", timeout=120_000)
    assert playing, "no progress bar was on the page while Play ran"
    assert not found, "\n".join(found)
