"""A full disk and a cold server: every page renders with one plain line when the server cannot write its
files (sessions, runs), a job that hits a full disk fails with that line, a failed write leaves the old file
whole; and the libraries pages import lazily are imported once, completely, before any page runs."""
from __future__ import annotations

import ast
import errno
import os
import subprocess
import sys

import pytest
from streamlit.runtime.context import ContextProxy
from streamlit.testing.v1 import AppTest

from pruning_core import atomic, paths
from pruning_core.errors import DISK_FULL, disk_problem
from pruning_core.service.jobs.queue import JobQueue
from pruning_core.service.jobs.records import JobSpec, JobStatus
from pruning_core.service.sessions import keys
from tests.helpers import fill_disk, wait_until
from tests.ui.helpers import displayed
from ui import session as ui_session

PAGES = ["views/prune.py", "views/train.py", "views/weights.py", "views/histograms.py", "views/activations.py",
         "views/experiments.py", "views/runs.py"]


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_the_plain_sentence_for_a_disk_problem():
    assert disk_problem(OSError(errno.ENOSPC, "No space left on device")) == DISK_FULL
    assert disk_problem(OSError(errno.EROFS, "Read-only file system")) == \
        "the server could not read or write its files (Read-only file system) - ask your teacher"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_a_plain_line_when_the_disk_is_full(tmp_path, monkeypatch, page):
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path / "runs"))
    returning = {ui_session.COOKIE: keys.issue()}  # a student coming back is saved at once: the page writes
    monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: returning))
    monkeypatch.setattr(atomic, "write_bytes", no_space)  # every session, run and checkpoint write
    at = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60).run()
    if page != "views/prune.py":
        at.switch_page(page).run()
    assert not at.exception
    assert DISK_FULL in [displayed(e.value) for e in at.error]


def test_a_job_that_fills_the_disk_fails_with_the_plain_line():
    queue = JobQueue(workers=1)
    job = queue.submit("prune", JobSpec("fills the disk"), no_space, owner="student")
    wait_until(lambda: job.status.finished, "the job to end")
    assert job.status == JobStatus.FAILED and job.snapshot().error == DISK_FULL
    assert job.run_record.status()["reason"] == DISK_FULL


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    target = atomic.write_json(tmp_path / "session.json", {"lines": [1, 2, 3]})

    class FullDisk:
        def __init__(self, fd, mode):
            self.fd = fd

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            os.close(self.fd)

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fdopen", FullDisk)
    with pytest.raises(OSError):
        atomic.write_json(target, {"lines": []})
    assert target.read_text() == '{"lines": [1, 2, 3]}' and sorted(tmp_path.iterdir()) == [target]


def test_the_app_imports_the_lazy_libraries_before_anything_else():
    tree = ast.parse((paths.APP_DIR / "app.py").read_text())
    first = next(node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))
    assert isinstance(first, ast.ImportFrom) and (first.module, first.names[0].name) == ("ui", "warm_imports")


# Imported only when first used: what twelve page threads raced to import on a cold server.
LAZY = ("pandas", "pyarrow", "plotly.graph_objs._scatter", "plotly.graph_objs._heatmap", "plotly.graph_objs._image",
        "plotly.graph_objs._frame", "plotly.io._json")
CHECK = ("import sys; import plotly.graph_objects, plotly.io; lazy = sys.argv[1:]; "
         "print([m for m in lazy if m in sys.modules]); from ui import warm_imports; "
         "print([m for m in lazy if m not in sys.modules])")


def test_warm_imports_imports_what_the_pages_would_import_lazily():
    out = subprocess.run([sys.executable, "-c", CHECK, *LAZY], capture_output=True, text=True, timeout=120,
                         cwd=paths.APP_DIR, check=True).stdout.splitlines()
    assert out == ["[]", "[]"]  # none imported by plotly itself; every one imported by warm_imports


def test_on_a_real_disk_filled_to_the_last_byte_every_page_renders_with_the_plain_line(tiny_disk, monkeypatch):
    returning = {ui_session.COOKIE: keys.issue()}  # the key is made before the disk fills; the session is not
    monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: returning))
    fill_disk(tiny_disk)
    at = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60).run()
    shown = {}
    for page in PAGES:
        if page != "views/prune.py":
            at.switch_page(page).run()
        assert not at.exception, page
        shown[page] = [displayed(e.value) for e in at.error]
    assert all(errors in ([], [DISK_FULL]) for errors in shown.values()), shown
    assert shown["views/prune.py"] == [DISK_FULL]  # the student's line could not be saved: said in one line
