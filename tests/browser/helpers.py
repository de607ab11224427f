"""Browser (Playwright) helpers of the real-server tests."""
from __future__ import annotations

import re


# Browser (Playwright) helpers. They read the page as it is at one instant and never auto-wait on an element
# that a Streamlit rerun may remove: ``locator.first.inner_text()`` after a ``count()`` waits up to 30 s for an
# element that vanished in between (a progress bar when its job ends), which is a Playwright TimeoutError.
def texts_now(locator) -> list[str]:
    """The inner texts of every element ``locator`` matches right now ([] if none); no waiting."""
    return locator.all_inner_texts()


def metric_value(page, label: str) -> str:
    """The value of the first metric whose box contains ``label``, or "" if there is none right now."""
    values = texts_now(page.locator('[data-testid="stMetric"]', has_text=label)
                       .locator('[data-testid="stMetricValue"]'))
    return values[0] if values else ""


# A metric showing exactly a value (a page draws its elements one by one, so a button can be on the page before
# the metric below it; and "10.0 %" contains "0.0 %", hence exactly), with ``idle``: and no job running.
METRIC_SHOWS = """([label, value, idle]) => [...document.querySelectorAll('[data-testid="stMetric"]')]
    .some(m => m.innerText.includes(label)
               && m.querySelector('[data-testid="stMetricValue"]')?.innerText.trim() === value)
  && !(idle && document.querySelector('.st-key-cancel-job'))"""


def wait_metric(page, label: str, value: str, timeout_ms: int = 60_000) -> None:
    """Until a metric whose box contains ``label`` shows exactly ``value``."""
    page.wait_for_function(METRIC_SHOWS, arg=[label, value, False], timeout=timeout_ms)


def wait_pruned(page, value: str, timeout_ms: int = 240_000) -> None:
    """Until the sidebar card says exactly ``value`` pruned and no job is running (a wait for 0.0 % after a step
    must not end before the reset that brings it). 240 s: a retraining epoch on a busy 2-core machine."""
    page.wait_for_function(METRIC_SHOWS, arg=["Weights pruned", value, True], timeout=timeout_ms)


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app's script is not running (Streamlit marks it on the app's root element)."""
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState"
                           " === 'notRunning'", timeout=timeout_ms)


def wait_painted(page) -> None:
    """Wait for the browser to lay out and paint what is on the page now (two animation frames)."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def keyed(label: str) -> re.Pattern:
    """The accessible name of a button that may carry a keyboard shortcut: Streamlit shows the key in the button,
    named "Shortcut <key>" for screen readers, so Step is "Step Shortcut →" (Play is plain "Play" while a job
    runs and it has no key)."""
    return re.compile(rf"^{re.escape(label)}( Shortcut .+)?$")


def wait_cookie(page, name: str, timeout_ms: int = 60_000) -> str:
    """The value of cookie ``name`` once the page has set it: the app sets its key from the browser after the
    first render, so a heading can show before the cookie exists."""
    page.wait_for_function(f"() => document.cookie.split('; ').some(c => c.startsWith('{name}='))",
                           timeout=timeout_ms)
    return next(c["value"] for c in page.context.cookies() if c["name"] == name)
