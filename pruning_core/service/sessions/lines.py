"""How a job and the student's line of work are linked: a prune job goes on in the run the line already holds
(when it can), and its steps join the line as they land. Streamlit-free: the dashboard calls ``launch`` with
the job to start.
"""
from __future__ import annotations

from collections.abc import Callable

from ..jobs.job import Job
from .store import SessionStore


def launch(store: SessionStore, owner: str, line_id: str, start: Callable[[str], Job]) -> Job:
    """Start a job for the owner's line ``line_id``: ``start(run)`` queues it, continuing the run ``run`` ("" for
    a new one: the line's run is finished and nothing came after its newest step, else a new run). A job whose
    steps extend the line (``JobKind.extends_line``) is attached to it, so ``SessionStore.sync`` adopts them."""
    run, run_from = store.continuing(owner, line_id)
    job = start(run)
    if job.kind.extends_line:
        store.attach(owner, line_id, job.run_record.id, run_from if job.run_record.id == run else 0)
    return job
