"""One poller per page (ui_jobs.interval): exactly one panel of a page polls the session's active job.

The page's own panel polls a job of a kind it draws, and the sidebar then keeps still; for any other job (or on
a page without a panel) the sidebar polls it, so its result is adopted wherever the student is. The Chromium
side (no sidebar progress bar while the Prune page's panel polls) is in tests/browser/test_browser.py.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from ui import jobs as ui_jobs
from pruning_core.service.jobs.records import JobStatus

PAGE_PANEL_KINDS = [(panel, kind) for kind, panel in ui_jobs.PANEL_OF_KIND.items()]
ALL_KINDS = sorted(ui_jobs.PANEL_OF_KIND)
PAGE_PANELS = sorted(set(ui_jobs.PANEL_OF_KIND.values()))


def job(kind: str, status: JobStatus = JobStatus.RUNNING) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, status=status)


def pollers(page: str, held: SimpleNamespace | None) -> dict[str, float]:
    """The panels of ``page`` ("" for a page without one) that poll ``held``, with their intervals."""
    panels = {"sidebar": ui_jobs.interval("sidebar", page, held)}
    if page:
        panels[page] = ui_jobs.interval(page, "", held)
    return {key: every for key, every in panels.items() if every is not None}


@pytest.mark.parametrize("page", [*PAGE_PANELS, ""])
@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_exactly_one_panel_polls_an_active_job(page: str, kind: str, status: JobStatus) -> None:
    polling = pollers(page, job(kind, status))
    assert list(polling) == [page if (page, kind) in PAGE_PANEL_KINDS else "sidebar"], polling
    expected = ui_jobs.WAITING_POLL_SECONDS if status == JobStatus.QUEUED else ui_jobs.POLL_SECONDS
    assert list(polling.values()) == [expected]


@pytest.mark.parametrize("status", [JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED])
def test_nothing_polls_without_an_active_job(status: JobStatus) -> None:
    assert pollers("prune", None) == {}
    assert pollers("prune", job("prune", status)) == {}
