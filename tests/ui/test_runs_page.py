"""The Runs page under AppTest: a finished job is listed with its charts, a step can be continued from, two runs
compared and deleted; only your own runs are listed (a classmate's never, not even to open), and a failed or
interrupted run shows its reason.

Retraining is 0 epochs throughout, so no test trains.
"""
from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from pruning_core.service.jobs import queue as jobs
from pruning_core.service.runs import store as runs
from pruning_core.service.jobs.records import JobStatus
from pruning_core.service.sessions import keys as session_keys
from tests.ui.helpers import card, displayed, prune


def open_runs(at: AppTest) -> AppTest:
    at.switch_page("views/runs.py").run()
    assert not at.exception
    return at


def owner_of(at: AppTest) -> str:
    """The AppTest session's owner id (as the cookie's secret makes it)."""
    return session_keys.owner_id(at.session_state["session_secret"])


def charts(at: AppTest) -> list[str]:
    """The open run's charts (the tree of the student's experiments above them is not counted)."""
    return [c.proto.id for c in at.get("plotly_chart") if not c.proto.id.endswith("-step-tree")]


def test_a_finished_job_is_listed_and_continued_from(app):
    prune(app, 60.0)
    app.button(key="reset-line").click().run()
    open_runs(app)
    table = app.dataframe[0].value
    assert list(table["status"]) == ["done"] and list(table["steps"]) == [1]
    # The line's name:
    assert any(displayed(m.value).startswith("**:green[done]**: baseline -> 60 %") for m in app.markdown)
    assert len(charts(app)) == 2  # accuracy vs sparsity, training curve
    assert "step 1: pruned to 60 %" in app.selectbox(key="run-step").format_func(1)
    app.button(key="run-continue").click().run()
    assert not app.exception and app.title[0].value == "Prune & retrain"
    assert card(app)["Weights pruned"] == "60.0 %"
    start = app.session_state["steps"][0].origin
    assert "its step 1" in start and not start.startswith("run ")  # a friendly name, no run id


def test_a_line_of_work_is_one_run_with_a_curve(app):
    prune(app, 50.0)
    prune(app, 70.0)  # the next step of the same line goes on in the same run
    open_runs(app)
    table = app.dataframe[0].value
    assert list(table["steps"]) == [2] and list(table["run"]) == ["baseline -> 50 % -> 70 %"]
    assert list(table["status"]) == ["done"]


def test_only_your_own_runs_are_listed_compared_and_deleted(app):
    prune(app, 50.0)
    app.button(key="reset-line").click().run()  # back to the start: the next step opens a new run
    prune(app, 70.0)
    stranger = runs.create("prune", "a classmate's run", {}, owner="someone-else1234")
    stranger.set_status(JobStatus.DONE)
    open_runs(app)
    newest, *mine = [r.id for r in runs.all_runs()]
    assert newest == stranger.id and len(app.dataframe[0].value) == 2  # the classmate's run is not listed
    assert app.selectbox(key="run").options == [app.selectbox(key="run").format_func(i) for i in mine]
    assert app.selectbox(key="run").value == mine[0]  # your latest run opens first
    app.selectbox(key="run-compare").set_value(mine[1]).run()
    assert not app.exception and len(charts(app)) == 3
    assert not app.button(key="run-delete").disabled
    app.button(key="run-delete").click().run()
    assert not app.exception and [r.id for r in runs.all_runs()] == [stranger.id, mine[1]]
    assert "Deleted run" in app.success[0].value


@pytest.mark.parametrize("status, reason, element", [
    (JobStatus.FAILED, "training diverged (the loss became NaN or infinite)", "error"),
    (JobStatus.INTERRUPTED, "the server stopped while this run was running", "warning")])
def test_failed_and_interrupted_runs_show_their_reason(app, status, reason, element):
    run = runs.create("prune", "broken", {}, owner=owner_of(app))
    run.set_status(status, reason)
    open_runs(app)
    assert reason in [displayed(e.value) for e in getattr(app, element)]


def test_a_crashing_job_is_reported_and_the_model_kept(app, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("injected fault")

    # The training runs in the executor's worker process, out of a monkeypatch's reach: the fault goes into
    # the server side of the job instead (where the queue relays the work), which must fail that job alone.
    monkeypatch.setattr(jobs.Job, "remote", crash)
    app.number_input(key="epochs").set_value(0)
    app.button[0].click().run()
    deadline = time.time() + 60
    while not app.toast:  # the job may fail before or after the page's first poll
        assert time.time() < deadline, "the failure never showed"
        time.sleep(0.05)
        app.run()
    assert not app.exception
    failure = app.toast[0]  # a toast, so the page does not move; it stays until closed, so it can be read
    assert "failed: internal error: RuntimeError: injected fault" in displayed(failure.value)
    assert failure.icon == "🚨" and failure.proto.duration == 0 and not app.error
    assert card(app)["Weights pruned"] == "0.0 %"
    open_runs(app)
    assert list(app.dataframe[0].value["status"]) == ["failed"]
