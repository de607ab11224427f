"""Kill and restart: a real server is SIGKILLed in the middle of a multi-step job and started again on the same
runs directory. The run must come back "interrupted" (on disk and on the Runs page), never half-written, and
every step it completed before the kill must load as a valid checkpoint, and the Prune page offers "Continue
from step N", which plays the rest of the schedule.
"""
from __future__ import annotations

import time

import pytest

from pruning_core import paths
from pruning_core.service.runs import store as runs
from pruning_core.service.jobs.records import JobStatus

from .helpers import keyed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEADLINE_S = 240  # the first step is one retraining epoch; generous because the 2-core machine may be busy


def test_a_killed_server_leaves_an_interrupted_run_with_loadable_steps(browser, live_server, monkeypatch):
    monkeypatch.setenv(paths.ENV_RUNS, str(live_server.runs_dir))  # this test reads the server's runs
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(live_server.start())
    # Play: the reference schedule (10 -> 99 %), one step after another, as one job.
    page.get_by_role("button", name=keyed("Play")).wait_for(timeout=60_000)
    page.get_by_role("button", name=keyed("Play")).click()
    deadline = time.time() + DEADLINE_S
    while not (runs.all_runs() and runs.all_runs()[0].steps()):
        assert time.time() < deadline, "the first step never completed"
        time.sleep(0.1)
    live_server.kill()
    run = runs.all_runs()[0]
    assert run.status()["status"] == JobStatus.RUNNING  # as the dead server left it

    page.goto(live_server.start() + "/runs")
    page.get_by_text("the server stopped while this run was running").first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert run.status()["status"] == JobStatus.INTERRUPTED
    assert "server stopped while this run was running" in run.status()["reason"]
    for index in run.steps():
        step = run.load_step(index)
        assert step.history[-1].percent == 10.0 * index and step.accuracy > 0.9
    assert [e["index"] for e in run.metrics() if e["kind"] == "step"] == run.steps()
    # The Prune page offers to go on from the last kept step, and does.
    page.get_by_role("link", name="Prune & retrain").click()
    go_on = page.get_by_role("button", name=f"Continue from step {len(run.steps())}")
    go_on.wait_for(timeout=60_000)
    go_on.click()
    page.locator(".st-key-cancel-job").first.wait_for(timeout=60_000)  # the rest of the schedule is playing
    page.locator(".st-key-cancel-job button").first.click()
