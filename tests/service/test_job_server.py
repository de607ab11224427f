"""The dashboard's job queue follows ``cpus.burst_plan``: as many job workers as the plan names, and every job
- a lone one included - trains on the plan's threads in its worker process, at a lower CPU priority than the
server's pages."""
from __future__ import annotations

import os
import time

import pytest
import torch

from pruning_core import cpus
from pruning_core.service import executors
from pruning_core.service.executors.worker import NICENESS
from pruning_core.service.jobs import server


class RecordedExecutor:
    """Stands in for the executor the server creates: records what it was asked for, starts nothing."""

    def __init__(self, slots: int, threads: int) -> None:
        self.slots, self.threads = slots, threads


@pytest.mark.parametrize("cores", [1, 2, 4, 16])
def test_the_servers_queue_has_the_burst_plans_workers_and_threads(monkeypatch, cores: int) -> None:
    created: list[RecordedExecutor] = []
    monkeypatch.setattr(server, "_queue", None)  # a fresh server process; restored after the test
    monkeypatch.setattr(cpus, "AVAILABLE", cores)
    monkeypatch.setattr(server.retention, "recover", lambda: None)
    monkeypatch.setattr(server.executors, "create",
                        lambda slots, threads: created.append(RecordedExecutor(slots, threads)) or created[-1])
    queue = server.job_queue()
    workers, threads = cpus.burst_plan(cores)
    assert [(e.slots, e.threads) for e in created] == [(workers, threads)]
    assert queue.executor is created[0]
    assert len(queue._workers) == workers == cores  # one job worker per core: a burst keeps every core busy
    assert queue.threads == threads == 1
    assert server.job_queue() is queue  # made once per process


def threads_in_worker(ctx, pause_s: float) -> tuple[int, int]:
    """A work that reports the intra-op threads torch uses where it runs and that process's niceness (after
    ``pause_s``, so that works submitted together overlap)."""
    time.sleep(pause_s)
    return torch.get_num_threads(), os.nice(0)


@pytest.mark.slow
def test_a_lone_job_and_jobs_side_by_side_run_on_the_plans_threads_below_the_servers_priority() -> None:
    workers, threads = cpus.burst_plan(2)
    executor = executors.create("local", slots=workers, threads=threads)
    lowered = (threads, min(19, os.nice(0) + NICENESS))  # 19: the lowest priority there is
    try:
        assert executor.submit(threads_in_worker, 0.0).result(timeout=120) == lowered  # alone
        together = [executor.submit(threads_in_worker, 0.5) for _ in range(workers)]
        assert [handle.result(timeout=120) for handle in together] == [lowered] * workers
    finally:
        executor.close()
