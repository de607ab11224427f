"""Fixtures of the service tests."""
from __future__ import annotations

import pytest

from pruning_core.service.jobs.queue import JobQueue


@pytest.fixture
def queue() -> JobQueue:
    """A fresh one-worker job queue whose work runs in its own thread (no executor)."""
    return JobQueue(workers=1)
