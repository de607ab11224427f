"""Shared pytest set-up: keep every test's run directories and caches out of the user's home."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_runs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRUNE_LAB_RUNS", str(tmp_path_factory.mktemp("runs")))
