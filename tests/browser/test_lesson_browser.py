"""The guided lesson, the slides and the Prune page's keys in a real browser (Chromium at 1280x720, a
projector's screen): with ?lesson=1 the strip ticks step 1 after a Step (made with the right arrow key, which
does nothing while the student types in a box), step 2 after Play (the Space key) reaches 99 %, step 3 after a
visit to Weights and step 5 after one to Class, and keeps the Prune chart on the first screen; Download slide
gives a 1280x720 PNG on Prune and Weights. With PRUNE_LAB_SCREENSHOTS=DIR the slides are saved there to be
looked at."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pruning_core import paths

from .helpers import wait_idle, wait_pruned
from .test_projector_browser import SCREEN, open_app, table_percents

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def ticks(page) -> list[bool]:
    """The lesson strip's five steps: ticked or not, as shown."""
    labels = [page.locator(f".st-key-lesson-{n} button").first.inner_text() for n in range(1, 6)]
    assert all(("check_circle" in label) != ("radio_button_unchecked" in label) for label in labels), labels
    return ["check_circle" in label for label in labels]


def wait_ticks(page, expected: list[bool]) -> None:
    page.wait_for_function("""expected => expected.every((done, i) => {
        const b = document.querySelector(`.st-key-lesson-${i + 1} button`);
        return b && b.innerText.includes(done ? 'check_circle' : 'radio_button_unchecked'); })""", arg=expected, timeout=30_000)
    assert ticks(page) == expected


def slide(page, key: str, tmp_path: Path) -> Path:
    """Press the chart's Download slide; the PNG it gives (kept in $PRUNE_LAB_SCREENSHOTS to be looked at)."""
    import PIL.Image

    with page.expect_download(timeout=60_000) as download:
        page.locator(f".st-key-{key}-slide button").first.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    with PIL.Image.open(path) as image:
        assert image.format == "PNG" and image.size == (1280, 720)
        assert len(image.convert("L").getcolors(1 << 16)) > 20  # many shades: a chart, not a blank page
    folder = os.environ.get("PRUNE_LAB_SCREENSHOTS")
    if folder:
        (paths.APP_DIR / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, paths.APP_DIR / folder / f"slide-{key}.png")
    return path


def test_lesson_ticks_keys_step_and_play_and_slides_download(browser, live_server, tmp_path):
    page = open_app(browser, live_server.start() + "/?lesson=1&epochs=0")
    # the strip's block can be on the page a moment before its first line: wait for the line itself
    page.locator(".st-key-lesson-strip", has_text="Lesson: 0 of 5 done").wait_for(timeout=30_000)
    wait_ticks(page, [False] * 5)

    page.keyboard.press("ArrowRight")  # the Step key
    wait_pruned(page, "10.0 %")
    assert table_percents(page) == [10.0]
    wait_ticks(page, [True, False, False, False, False])
    box = page.locator(".st-key-history-chart").bounding_box()  # the strip leaves the chart on the first screen
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"], box

    # Typing in a box: the arrow moves the cursor, Space types a space; neither steps nor plays.
    schedule = page.locator(".st-key-schedule input")
    schedule.click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    page.keyboard.press("Backspace")  # the space typed, taken back
    page.wait_for_timeout(2000)  # had a key fired, a job would be running now
    assert page.locator(".st-key-cancel-job").count() == 0 and table_percents(page) == [10.0]

    slide(page, "history-chart", tmp_path)

    page.locator("h1", has_text="Prune & retrain").click()  # out of the box: the keys act on the page again
    page.keyboard.press("Space")  # Play: the rest of the schedule, to 99 %
    wait_pruned(page, "99.0 %")
    wait_ticks(page, [True, True, False, False, False])

    page.get_by_role("link", name="Weights").click()
    page.locator(".st-key-fc1-pair-slide").wait_for(timeout=60_000)
    assert "lesson=1" in page.url  # the lesson stays on across the page switch
    wait_ticks(page, [True, True, True, False, False])
    wait_idle(page)
    slide(page, "fc1-pair", tmp_path)
    page.get_by_role("link", name="Class").click()  # step 5 (step 4, a drawn digit, stays open)
    wait_ticks(page, [True, True, True, False, True])
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_lesson_step_shows_its_question_and_hides_its_answer(browser, live_server):
    page = open_app(browser, live_server.start() + "/?lesson=1")
    wait_idle(page)  # a popover opened during a rerun may be drawn again, closed
    page.locator(".st-key-lesson-3 button").first.click()
    body = page.locator('[data-testid="stPopoverBody"]')
    body.wait_for(timeout=10_000)
    assert "Which input pixels lose their connections first" in body.inner_text()
    answer = body.locator('[data-testid="stExpander"]')
    assert "image border" not in answer.inner_text()  # behind the expander until opened
    answer.get_by_text("Answer").click()
    body.get_by_text("The image border", exact=False).wait_for(timeout=10_000)
