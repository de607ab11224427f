"""A class against one server, counted on a Prune Lab tree: eight tabs of one student pressing Prune at once
(4 rounds), twenty students behind one address pressing at once and one after another, 400 page opens without
a cookie after a student's line, and a forged cookie value.

``python -m bench.class_attacks [--tree DIR]`` imports DIR's ``pruning_core`` (default: this checkout) in a
scratch runs directory and presses through the code a page's button runs (``sessions.lines.launch`` ->
``actions.tasks.prune`` -> ``JobQueue.submit``, 0 retraining epochs), printing one table row per attack.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

NAT = "10.0.0.1"  # the whole class behind one address
ROUNDS, TABS, STUDENTS, PAGE_OPENS = 4, 8, 20, 400


def at_once(count: int, press) -> tuple[list, list[str]]:
    """``press(n)`` from ``count`` threads released together: (admitted jobs, refusal messages)."""
    from pruning_core.errors import UserError
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
        thread.join()
    return admitted, refused


class Class:
    """A queue with its worker held by the teacher's job, a session store, and a page's Prune press."""

    def __init__(self, root: Path) -> None:
        from pruning_core import checkpoint
        from pruning_core.service.jobs.queue import JobQueue
        from pruning_core.service.jobs.records import JobSpec
        from pruning_core.service.sessions import keys
        from pruning_core.service.sessions.records import start_of
        from pruning_core.service.sessions.store import SessionStore
        self.gate, self.queue = threading.Event(), JobQueue(workers=1)
        self.store, self.baseline = SessionStore(root / "sessions"), checkpoint.load("baseline")
        self.start = start_of(self.baseline, "baseline", "baseline")
        self.issue = getattr(keys, "issue", None) or getattr(keys, "new_secret")  # the old tree's name
        self.owner_id = keys.owner_id
        self.queue.submit("prune", JobSpec("the teacher's job"), lambda job: self.gate.wait(600), owner="teacher")

    def student(self) -> str:
        owner = self.owner_id(self.issue())
        self.store.start_line(owner, self.start)
        return owner

    def press(self, owner: str):
        from pruning_core.service.actions import tasks
        from pruning_core.service.sessions import lines
        line_id = self.store.load(owner).line().id
        return lines.launch(self.store, owner, line_id, lambda run: tasks.prune(
            self.queue, [self.baseline], [50.0], "global", 0, 0.01, tasks.Requester(owner, NAT, run)))


def reasons(refused: list[str]) -> str:
    return "; ".join(f"{refused.count(r)} x \"{r}\"" for r in sorted(set(refused))) or "none"


def same_student(root: Path) -> str:
    lab = Class(root)
    owner, counts, refused = lab.student(), [], []
    for _ in range(ROUNDS):
        admitted, said = at_once(TABS, lambda n: lab.press(owner))
        counts.append(len(admitted))
        refused += said
        for job in admitted:
            lab.queue.cancel(job)
    lab.gate.set()
    return f"jobs admitted per round: {counts}; refusals: {reasons(refused)}"


def one_address(root: Path, together: bool) -> str:
    lab = Class(root)
    owners = [lab.student() for _ in range(STUDENTS)]
    if together:
        admitted, refused = at_once(STUDENTS, lambda n: lab.press(owners[n]))
    else:
        admitted, refused = [], []
        for owner in owners:
            try:
                admitted.append(lab.press(owner))
            except Exception as err:  # a UserError: the page would show it
                refused.append(str(err))
    lab.gate.set()
    deadline = time.time() + 600
    while any(job.status.active for job in admitted) and time.time() < deadline:
        time.sleep(0.05)
    done = sum(job.status == "done" for job in admitted)
    return f"admitted {len(admitted)}/{STUDENTS}, finished {done}; refusals: {reasons(refused)}"


def page_opens(root: Path) -> str:
    from pruning_core import lab
    from pruning_core.service.sessions.records import start_of
    from pruning_core.settings import PruneSettings
    klass = Class(root)
    klass.gate.set()
    victim = klass.student()
    pruned = lab.prune_step(klass.baseline, PruneSettings(50.0), retrain_epochs=0)
    klass.store.start_line(victim, start_of(pruned, "upload p50.pt"), pruned)
    # What a page open without a cookie does to the store: the new tree holds the line unsaved.
    open_one = getattr(klass.store, "provisional", klass.store.start_line)
    started = time.perf_counter()
    for _ in range(PAGE_OPENS):
        open_one(klass.owner_id(klass.issue()), klass.start)
    seconds = time.perf_counter() - started
    kept = klass.store.load(victim).lines
    saved = sum((d / "session.json").is_file() for d in (root / "sessions").iterdir())
    return (f"victim's lines after {PAGE_OPENS} opens: {len(kept)} of 2; sessions on disk: {saved}; "
            f"{seconds:.1f} s")


def forged_cookie() -> str:
    from pruning_core.errors import UserError
    from pruning_core.service.sessions import keys
    try:
        return f"\"{'A' * 8}...\" (64 characters, not issued) accepted as owner {keys.owner_id('A' * 64)[:8]}..."
    except UserError as err:
        return f"refused: {err}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.class_attacks", description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the Prune Lab checkout whose code is attacked (default: this one)")
    tree = parser.parse_args().tree.resolve()
    sys.path.insert(0, str(tree))
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PRUNE_LAB_RUNS"] = str(Path(folder) / "runs")
        import pruning_core
        print(f"command: python -m bench.class_attacks --tree {tree}  (pruning_core from {pruning_core.__file__})")
        print("| attack | outcome |\n|---|---|")
        scratch = Path(folder)
        attacks = [(f"{TABS} tabs of one student press at once, {ROUNDS} rounds",
                    lambda: same_student(scratch / "a")),
                   (f"{STUDENTS} students behind one address press at once",
                    lambda: one_address(scratch / "b", True)),
                   (f"{STUDENTS} students behind one address press one after another",
                    lambda: one_address(scratch / "c", False)),
                   (f"a student's line, then {PAGE_OPENS} page opens without a cookie",
                    lambda: page_opens(scratch / "d")),
                   ("a forged cookie value", forged_cookie)]
        for name, attack in attacks:
            print(f"| {name} | {attack()} |", flush=True)


if __name__ == "__main__":
    main()
