"""The CPU rules of pruning_core/cpus.py that are pure functions of a core count."""
from __future__ import annotations

import pytest

from pruning_core import cpus


@pytest.mark.parametrize(("cores", "plan"), [(1, (1, 1)), (2, (2, 1)), (4, (4, 1)), (16, (16, 1)), (0, (1, 1))])
def test_a_burst_runs_one_single_threaded_worker_per_core(cores: int, plan: tuple[int, int]) -> None:
    workers, threads = cpus.burst_plan(cores)
    assert (workers, threads) == plan
    assert workers * threads == max(1, cores)  # every core busy, none oversubscribed
