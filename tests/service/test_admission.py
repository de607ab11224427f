"""Admission and the line's order against a class that presses at once, through the code path a page's button
takes (``sessions.lines.launch`` -> ``actions.tasks.prune`` -> ``JobQueue.submit``): eight tabs of one student
get one job per round; twenty students behind one address are all admitted and all finish; a student with fewer
recent jobs goes first; one address cannot mint students faster than ``new_owners_per_minute``.
"""
from __future__ import annotations

import threading
import time

import pytest

from pruning_core.errors import UserError
from pruning_core.service.actions import tasks
from pruning_core.service.jobs.queue import JobQueue, QueueLimits
from pruning_core.service.jobs.records import JobSpec, JobStatus
from pruning_core.service.runs import store as runs
from pruning_core.service.sessions import keys, lines
from pruning_core.service.sessions.records import start_of
from pruning_core.service.sessions.store import SessionStore
from tests.helpers import wait_until
from tests.service.helpers import wait_finished

DEADLINE_S = 60
NAT = "10.0.0.1"  # one address for the whole class (a NAT, a proxy)


@pytest.fixture
def gate():
    """Work that holds the queue's only worker until the test opens the gate."""
    opened = threading.Event()
    yield opened
    opened.set()


def at_once(count: int, press) -> tuple[list, list[str]]:
    """``press(n)`` from ``count`` threads released together; (what was admitted, the refusals)."""
    barrier, admitted, refused = threading.Barrier(count), [], []

    def tab(n: int) -> None:
        barrier.wait()
        try:
            admitted.append(press(n))
        except UserError as err:
            refused.append(str(err))

    threads = [threading.Thread(target=tab, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_S)
    return admitted, refused


def page_press(queue: JobQueue, store: SessionStore, owner: str, models) -> callable:
    """What Prune + retrain does for ``owner``'s open line (0 retraining epochs: quick)."""
    line_id = store.load(owner).line().id
    return lambda n: lines.launch(store, owner, line_id, lambda run: tasks.prune(
        queue, models, [50.0], "global", 0, 0.01, tasks.Requester(owner, NAT, run)))


def test_eight_tabs_of_one_student_pressing_at_once_get_one_job_each_round(gate, tmp_path, baseline, monkeypatch):
    create = runs.create

    def slow_disk(*args, **kwargs):  # the run directory takes a while to make, as on a busy disk
        time.sleep(0.05)
        return create(*args, **kwargs)

    monkeypatch.setattr(runs, "create", slow_disk)
    queue, store = JobQueue(workers=1), SessionStore(tmp_path / "sessions")
    holder = queue.submit("prune", JobSpec("a classmate's job"), lambda job: gate.wait(DEADLINE_S), owner="c")
    owner = keys.owner_id(keys.issue())
    store.start_line(owner, start_of(baseline, "baseline", "baseline"))
    press = page_press(queue, store, owner, [baseline])
    for round_ in range(4):  # the worker is held: each round's job waits, and is cancelled before the next
        admitted, refused = at_once(8, press)
        assert len(admitted) == 1, f"round {round_}: {len(admitted)} jobs admitted for one student"
        assert len(refused) == 7 and all("already have a job waiting in line" in reason for reason in refused)
        queue.cancel(admitted[0])
    gate.set()
    assert wait_finished(holder).status == JobStatus.DONE
    assert wait_finished(press(0)).status == JobStatus.DONE  # one press after the last round: its job runs


def test_twenty_students_behind_one_address_are_all_admitted_and_all_finish(gate, tmp_path, baseline):
    queue, store = JobQueue(workers=1), SessionStore(tmp_path / "sessions")
    queue.submit("prune", JobSpec("holds the worker"), lambda job: gate.wait(DEADLINE_S), owner="teacher")
    owners = [keys.owner_id(keys.issue()) for _ in range(20)]
    for owner in owners:
        store.start_line(owner, start_of(baseline, "baseline", "baseline"))
    presses = [page_press(queue, store, owner, [baseline]) for owner in owners]
    admitted, refused = at_once(20, lambda n: presses[n](n))
    assert refused == [] and len(admitted) == 20
    assert {job.client for job in admitted} == {NAT}
    gate.set()
    assert [wait_finished(job).status for job in admitted] == [JobStatus.DONE] * 20


def test_a_student_with_fewer_recent_jobs_goes_first(gate):
    queue = JobQueue(workers=1)
    for n in range(2):  # "busy" had two jobs lately
        wait_finished(queue.submit("prune", JobSpec(f"busy's job {n}"), lambda job: None, owner="busy", client=NAT))
    queue.submit("prune", JobSpec("holds the worker"), lambda job: gate.wait(DEADLINE_S), owner="teacher")
    wait_until(lambda: queue.waiting() == 0, "the teacher's job to start")
    again = queue.submit("prune", JobSpec("busy's second"), lambda job: None, owner="busy", client=NAT)
    first = queue.submit("prune", JobSpec("a newcomer"), lambda job: None, owner="new", client=NAT)
    later = queue.submit("prune", JobSpec("another newcomer"), lambda job: None, owner="newer", client=NAT)
    assert [queue.position(job) for job in (first, later, again)] == [1, 2, 3]
    with pytest.raises(UserError, match="already have a job waiting in line"):  # a second press says so
        queue.submit("prune", JobSpec("again"), lambda job: None, owner="new", client=NAT)


def test_one_address_cannot_mint_students_faster_than_the_limit(gate):
    queue = JobQueue(workers=1, limits=QueueLimits(new_owners_per_minute=5))
    for n in range(5):
        queue.submit("prune", JobSpec(f"student {n}"), lambda job: gate.wait(DEADLINE_S), owner=f"s{n}", client=NAT)
    with pytest.raises(UserError, match="5 new students came from this computer's address in the last minute"):
        queue.submit("prune", JobSpec("a sixth"), lambda job: None, owner="s5", client=NAT)
    queue.submit("prune", JobSpec("another room"), lambda job: None, owner="s6", client="10.0.0.2")
