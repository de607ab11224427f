"""Shared pytest set-up of every layer's tests: run directories out of the user's home, the shipped baseline.
Each folder's own conftest.py adds the fixtures of its layer (service: a job queue; ui: the app under AppTest;
browser: a real server and Debian's Chromium).

Fixtures live in conftest files so test modules never import each other; plain helper functions are in
``tests/helpers.py`` (and each folder's ``helpers.py``).
"""
from __future__ import annotations

import subprocess

import pytest

from pruning_core import checkpoint, paths


@pytest.fixture(autouse=True)
def isolated_runs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path_factory.mktemp("runs")))


@pytest.fixture(scope="module")
def baseline() -> checkpoint.Checkpoint:
    """The shipped baseline (loaded once per test module; never modify it)."""
    return checkpoint.load("baseline")


@pytest.fixture
def tiny_disk(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """A real 24 MB filesystem (tmpfs) holding the runs directory, for the full-disk tests; skipped, with the
    reason, where this machine does not let the tests mount one (mounting needs root in most containers)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {(mounted.stderr or mounted.stdout).strip()}")
    monkeypatch.setenv(paths.ENV_RUNS, str(disk / "runs"))
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
