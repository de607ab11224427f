"""The few steps every dashboard (AppTest) test takes: prune, wait for the job, read the metrics and the model
card."""
from __future__ import annotations

import re
import time

from streamlit.testing.v1 import AppTest

from pruning_core.service.jobs.records import JobSnapshot
from ui import state as ui_state


# The final snapshot of every job the app collected in this test (the ``app`` fixture's spy on ui_jobs.collect).
collected: list[JobSnapshot] = []


def wait_for_job(at: AppTest, timeout: float = 90) -> JobSnapshot:
    """Wait until the session's job has finished (the page collects it on its next run)."""
    if "job_id" not in at.session_state:  # it ended, and was collected, within the run that started it
        return collected[-1]
    job = ui_state.job_queue().get(at.session_state["job_id"])
    deadline = time.time() + timeout
    while job.status.active:
        assert time.time() < deadline, "job did not finish"
        time.sleep(0.05)
    return job.snapshot()


def displayed(markdown: str) -> str:
    """What the browser shows for a Markdown text: user text reaches Markdown escaped (``ui_state.plain``)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(ui_state.WORD_JOINER, "")  # the joiner is invisible


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def card(at: AppTest) -> dict[str, str]:
    """The sidebar model card's metrics."""
    return {m.label: m.value for m in at.sidebar.get("metric")}


def prune(at: AppTest, percent: float) -> JobSnapshot:
    """Press Prune + retrain at ``percent`` with 0 retraining epochs and wait for the result."""
    at.slider(key="percent").set_value(percent)
    at.number_input(key="epochs").set_value(0)
    at.button[0].click().run()
    snap = wait_for_job(at)
    at.run()
    return snap
