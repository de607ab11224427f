"""Fixtures of the dashboard tests: the whole app under Streamlit's AppTest."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from pruning_core import paths
from tests.ui import helpers
from ui import jobs as ui_jobs


@pytest.fixture
def app(tmp_path, monkeypatch) -> AppTest:
    """The whole app (navigation + Prune page) in a fresh AppTest session with its own runs and results."""
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path / "runs"))
    monkeypatch.setenv(paths.ENV_EXPERIMENTS, str(tmp_path / "experiments"))
    collect = ui_jobs.collect

    def spy(job) -> None:  # the final snapshot of every collected job, for helpers.wait_for_job
        helpers.collected.append(job.snapshot())
        collect(job)

    monkeypatch.setattr(helpers, "collected", [])
    monkeypatch.setattr(ui_jobs, "collect", spy)
    at = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60).run()
    assert not at.exception
    return at
