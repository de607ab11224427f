"""Student sessions in a real browser: a real ``streamlit run`` server driven by Debian's Chromium.

Reloading, switching pages and restarting the server never lose a student's steps; a classmate who opens the
student's full URL in another browser (another context: other cookies) can neither cancel the student's job
nor see or delete the student's runs; an out-of-range learning rate never starts a job with another value.
Prune steps here retrain 0 epochs (prune only), so they take a second, not a minute.
"""
from __future__ import annotations

import re
import time

import pytest

from pruning_core.service.sessions import keys

from .helpers import keyed, wait_metric

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOB_TIMEOUT_MS = 120_000


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Prune + retrain").wait_for(timeout=60_000)


def set_number(page, label: str, value: str) -> None:
    field = page.get_by_role("spinbutton", name=label)
    field.fill(value)
    field.press("Enter")
    page.wait_for_timeout(800)  # the rerun the committed value starts


def prune_once(page, epochs: str = "0") -> None:
    """Prune the session's model to the slider's default (90 % from the baseline) with ``epochs`` retraining."""
    set_number(page, "Retrain epochs", epochs)
    page.get_by_role("button", name="Prune + retrain").click()


def history_rows(page) -> int:
    table = page.locator('[data-testid="stDataFrame"]')
    table.first.wait_for(timeout=30_000)
    return int(table.first.get_attribute("data-test-rows") or 0) if table.count() else 0


def assert_line_kept(page, what: str) -> None:
    wait_metric(page, "Weights pruned", "90.0 %", 30_000)
    assert page.get_by_text("before: baseline").first.is_visible(), what
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    assert page.get_by_text("No pruning steps yet").count() == 0, what


def test_reload_and_page_switch_keep_the_model_and_its_history(browser, live_server):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_app(page, live_server.start())
    wait_metric(page, "Weights pruned", "0.0 %", 30_000)  # the sidebar card may come after the button
    prune_once(page)
    wait_metric(page, "Weights pruned", "90.0 %", JOB_TIMEOUT_MS)
    assert_line_kept(page, "after the job")

    page.reload()
    open_app(page, page.url)
    assert_line_kept(page, "after a reload")

    page.get_by_role("link", name="Weights").click()
    page.get_by_role("heading", level=1).first.wait_for(timeout=30_000)
    wait_metric(page, "Weights pruned", "90.0 %", 30_000)
    page.reload()
    page.get_by_role("heading", level=1).first.wait_for(timeout=60_000)
    wait_metric(page, "Weights pruned", "90.0 %", 30_000)
    page.get_by_role("link", name="Prune & retrain").click()
    assert_line_kept(page, "after switching pages and reloading")


def test_a_restarted_server_restores_the_line(browser, live_server):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_app(page, live_server.start())
    prune_once(page)
    wait_metric(page, "Weights pruned", "90.0 %", JOB_TIMEOUT_MS)
    live_server.kill()
    live_server.start()
    page.reload()
    open_app(page, page.url)
    assert_line_kept(page, "after a server restart")


def test_a_running_schedule_shows_each_step_and_a_shared_url_gives_no_control(browser, live_server):
    owner_ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    student = owner_ctx.new_page()
    open_app(student, live_server.start())
    set_number(student, "Retrain epochs", "3")  # long enough to still run when the classmate looks
    student.get_by_role("button", name=keyed("Play")).click()  # the reference schedule, step after step
    student.get_by_role("button", name="Cancel", exact=True).wait_for(timeout=30_000)
    # Live: the first finished step is on the sidebar card and in the step table while the schedule runs on.
    wait_metric(student, "Weights pruned", "10.0 %", JOB_TIMEOUT_MS)
    assert student.get_by_role("button", name="Cancel", exact=True).count() == 1
    student.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    # The download says which step it holds (Streamlit's Markdown may draw "->" as an arrow).
    assert student.get_by_text(re.compile(r"Checkpoint of baseline \S+ 10 %")).count() >= 1

    classmate = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    classmate.goto(student.url)  # the full URL, as projected or pasted into the class chat
    classmate.get_by_role("button", name="Prune + retrain").wait_for(timeout=60_000)
    classmate.wait_for_timeout(2000)
    assert classmate.get_by_role("button", name="Cancel", exact=True).count() == 0
    assert student.get_by_role("button", name="Cancel", exact=True).count() == 1  # still the student's, still running
    wait_metric(classmate, "Weights pruned", "0.0 %", 30_000)  # the classmate has a line of their own

    student.get_by_role("button", name="Cancel", exact=True).click()
    student.get_by_role("button", name="Cancel", exact=True).wait_for(state="detached", timeout=JOB_TIMEOUT_MS)
    classmate.get_by_role("link", name="Runs").click()  # a classmate's Runs page lists only their own runs
    classmate.get_by_text("No runs of yours yet").wait_for(timeout=30_000)
    assert classmate.get_by_role("button", name="Delete run").count() == 0
    student.get_by_role("link", name="Runs").click()
    student.get_by_role("button", name="Delete run").wait_for(timeout=30_000)
    assert student.get_by_role("button", name="Delete run").is_enabled()


def test_an_out_of_range_learning_rate_never_starts_a_job(browser, live_server):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    open_app(page, live_server.start())
    for typed in ("5", "0", "1e-9"):
        set_number(page, "Learning rate", typed)
        # Said beside the prune buttons and under the criteria comparison, which uses the same learning rate.
        page.get_by_text(f"the learning rate must be from 0.0001 to 1, not {float(typed):g}").first.wait_for(
            timeout=30_000)
        button = page.get_by_role("button", name="Prune + retrain")
        assert button.is_disabled(), typed
        button.click(force=True)  # a click on the disabled button does nothing
        page.wait_for_timeout(500)
    runs = sorted(p.name for p in live_server.runs_dir.glob("2*") if p.is_dir())
    assert runs == [], "a job was started although the learning rate was out of range"


def test_two_tabs_opened_at_once_in_a_fresh_browser_are_one_student(browser, live_server):
    """Two tabs of a fresh browser both connect before either has planted a cookie, so each is handed a
    secret of its own. Made deterministic here: the first tab's server messages (its page, and with it the
    script that plants its cookie) are held back until the second tab has loaded and planted its cookie.
    The first tab then finds that cookie and reloads with it. Without that, it would plant over it, and the
    second tab's work would belong to an owner no reload finds again."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    url = live_server.start()
    first, second = context.new_page(), context.new_page()
    held, routes, released = [], [], []  # the first connection's held messages; its routes; set when released

    def hold_until_released(route) -> None:
        """The first connection's server-to-page messages wait in ``held``; the page's go out unchanged."""
        server = route.connect_to_server()
        routes.append(route)
        server.on_message(lambda message: route.send(message) if released or route is not routes[0]
                          else held.append(message))

    first.route_web_socket(re.compile(r".*/_stcore/stream"), hold_until_released)
    first.goto(url, wait_until="commit")
    key = live_server.runs_dir / keys.KEY_FILE  # made when the server issues its first secret (nothing else is
    deadline = time.time() + 60                # written for a new visitor until it comes back or starts work)
    while not key.is_file():  # the first tab's session has an owner
        assert time.time() < deadline, "the first tab never connected"
        first.wait_for_timeout(200)  # not time.sleep: Playwright runs the route's handlers only inside its calls
    open_app(second, url)  # connects without a cookie too, and plants its own
    assert [c["value"] for c in context.cookies() if c["name"] == "prune_lab_key"]
    with first.expect_navigation(timeout=30_000):  # the first tab's script finds that cookie and reloads
        released.append(True)
        for message in held:
            routes[0].send(message)
    open_app(first, first.url)
    prune_once(first)
    wait_metric(first, "Weights pruned", "90.0 %", JOB_TIMEOUT_MS)
    # A page switch is a rerun in the same session (no new cookie is read): it shows that session's owner.
    second.get_by_role("link", name="Weights").click()
    second.get_by_role("heading", level=1).first.wait_for(timeout=30_000)
    wait_metric(second, "Weights pruned", "90.0 %", 30_000)
