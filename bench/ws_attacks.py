"""A class against a real server, on the wire: the attacks of docs/reliability.md's table through Streamlit's
own websocket protocol (bench/ws_client.py), each tab with its own connection and, where it has one, its cookie.

``python -m bench.ws_attacks [--tabs 8] [--rounds 4] [--students 20] [--page-opens 400] [--tree DIR] [--json]``

Starts ``streamlit run app.py`` on a free 127.0.0.1 port with a scratch runs directory (every client comes from
127.0.0.1: the whole class behind one address) and, in this order:

1. ``cold``: right after the server answers its health check, 12 tabs open the Prune page at once; counts the
   pages that crashed (an exception shown) and the errors shown.
2. ``tabs``: long jobs of other students hold every job worker (one per core: ``cpus.burst_plan``), so the
   student's job waits in the queue and never changes their line; then ``--tabs`` tabs of one student (one
   cookie) press "Prune + retrain" at the same instant, ``--rounds`` times; counts the runs each round admitted
   (run directories of that student made during the round), then cancels the admitted job and waits until it
   has stopped.
3. ``students``: ``--students`` students, each with their own cookie, press "Prune + retrain" (90 %, 0 retraining
   epochs) at once; counts the refused and the finished.
4. ``flood``: ``--page-opens`` page opens without a cookie (16 at a time) after those students' steps; counts the
   session directories on disk before and after, and whether a student who pruned still sees 90 % when they come
   back with their cookie.

``--tree DIR`` serves another checkout of the app (an older commit unpacked beside this one: the "before" figures).
Prints one line per attack and, with ``--json``, one JSON object last. Always stops the server.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench import ws_client
from pruning_core import cpus, paths
from pruning_core.service.live_server import Server
from pruning_core.service.runs.files import RunFiles

BLOCKER_LINK = "percent=90&epochs=20&scope=global"  # the longest job a student may ask for: holds the worker
TAB_LINK = "percent=50&epochs=0&scope=global"
STUDENT_LINK = "percent=90&epochs=0&scope=global"
COLD_TABS, FLOOD_AT_ONCE = 12, 16


async def open_page(url: str, query: str = "", secret: str | None = None) -> ws_client.Client:
    """A connected tab that has drawn its page once (the caller closes it)."""
    client = ws_client.Client(query, secret)
    await client.connect(url)
    await client.rerun()
    return client


async def new_student(url: str, query: str = "") -> str:
    """A browser's first visit: the secret the server planted in its cookie."""
    client = await open_page(url, query)
    await client.close()
    if not client.issued:
        raise RuntimeError("the page planted no cookie")
    return client.issued


def runs_of(runs_dir: Path, owner: str) -> set[str]:
    """The run directories of ``owner`` on disk."""
    found = set()
    for config in runs_dir.glob(f"*/{paths.RUN_CONFIG}"):
        try:
            if json.loads(config.read_text()).get("owner") == owner:
                found.add(config.parent.name)
        except (OSError, ValueError):
            continue
    return found


def active_runs(runs_dir: Path, owner: str) -> set[str]:
    """The runs of ``owner`` still queued or running (their status.json: the server writes it before it marks
    the job finished in memory, so a run read as finished here no longer blocks the student's next press)."""
    return {run for run in runs_of(runs_dir, owner) if RunFiles(runs_dir / run).status()["status"].active}


def owner_of(secret: str) -> str:
    from pruning_core.service.sessions import keys  # reads the server's key: PRUNE_LAB_RUNS is set by main
    return keys.owner_id(secret)


async def cold(url: str) -> dict:
    tabs = [ws_client.Client() for _ in range(COLD_TABS)]
    await asyncio.gather(*(tab.connect(url) for tab in tabs))
    await asyncio.gather(*(tab.rerun() for tab in tabs))
    await asyncio.gather(*(tab.close() for tab in tabs))
    return {"pages": COLD_TABS, "crashed": sum(bool(tab.exceptions) for tab in tabs),
            "exceptions": sorted({e for tab in tabs for e in tab.exceptions}),
            "errors": sorted({alert for tab in tabs for alert in tab.alerts})}


async def press_together(tabs: list[ws_client.Client], button: str) -> None:
    await asyncio.gather(*(tab.rerun(press=button) for tab in tabs))


async def cancel_the_job(tabs: list[ws_client.Client], runs_dir: Path, owner: str, tries: int = 40) -> None:
    """Cancel the student's admitted job from one of their tabs and wait until it has stopped. The tab whose
    press was admitted shows its panel when that run ends, but under load the run can end before the panel is
    drawn; a tab's next run finds the job by its owner, so the tabs are run again until one offers Cancel. A
    running job stops at its next batch, and a job can also finish on its own (a blocker's worker came free):
    either way the next round starts only once the student has no job left in line or running."""
    pressed = False
    for attempt in range(tries):
        if not active_runs(runs_dir, owner):
            return
        if not pressed:
            holder = next((tab for tab in tabs if "Cancel" in tab.buttons and tab.progress), None)
            if holder:
                await holder.rerun(press="Cancel")
                pressed = True
                continue
            await tabs[attempt % len(tabs)].rerun()
        await asyncio.sleep(min(0.2 * attempt, 2.0))
    raise RuntimeError(f"the student's job was still queued or running after {tries} looks (Cancel pressed: {pressed})")


async def eight_tabs(url: str, runs_dir: Path, tabs: int, rounds: int) -> dict:
    workers, _ = cpus.burst_plan(cpus.AVAILABLE)  # the server's job workers (service/jobs/server.py)
    blockers = [await open_page(url, BLOCKER_LINK, await new_student(url)) for _ in range(workers)]
    for blocker in blockers:
        await blocker.rerun(press="Prune + retrain")  # every worker is busy with one of these through every round
    if len(list(runs_dir.glob(f"*/{paths.RUN_CONFIG}"))) != workers:
        raise RuntimeError(f"the {workers} blocking jobs were not all admitted: {[b.alerts for b in blockers]}")
    secret = await new_student(url)
    owner, admitted, refusals = owner_of(secret), [], []
    for _ in range(rounds):
        before = runs_of(runs_dir, owner)
        clients = await asyncio.gather(*(open_page(url, TAB_LINK, secret) for _ in range(tabs)))
        await press_together(clients, "Prune + retrain")
        admitted.append(len(runs_of(runs_dir, owner) - before))
        refusals += [alert for tab in clients for alert in tab.alerts]
        if admitted[-1]:
            await cancel_the_job(clients, runs_dir, owner)  # else the next round's presses would find it in line
        await asyncio.gather(*(tab.close() for tab in clients))
    for blocker in blockers:
        await blocker.rerun(press="Cancel")
        await blocker.close()
    return {"tabs": tabs, "blockers": workers, "admitted_per_round": admitted,
            "refusals": {text: refusals.count(text) for text in sorted(set(refusals))}}


async def students(url: str, count: int, timeout: float) -> tuple[dict, list[str]]:
    secrets = [await new_student(url, STUDENT_LINK) for _ in range(count)]
    results = [{} for _ in range(count)]
    together = asyncio.Barrier(count)
    await asyncio.gather(*(ws_client.student(url, together, time.time() + timeout, result, STUDENT_LINK, secret)
                           for result, secret in zip(results, secrets)))
    errors = [result["error"] for result in results if "error" in result]
    return ({"students": count, "finished": sum("done" in result for result in results),
             "refused_for_address": sum("address" in error for error in errors), "errors": sorted(set(errors))},
            [secret for secret, result in zip(secrets, results) if "done" in result])


async def flood(url: str, opens: int, victim: str | None) -> dict:
    sessions = paths.sessions_dir()  # the server's: both read PRUNE_LAB_RUNS

    def owners() -> int:  # students' folders; the class board's files live beside them
        return sum(not entry.name.startswith(paths.CLASS_BOARD) for entry in sessions.iterdir())

    before = owners()
    pending = iter(range(opens))
    crashed = 0

    async def opener() -> None:
        nonlocal crashed
        for _ in pending:
            tab = await open_page(url)
            crashed += bool(tab.exceptions)
            await tab.close()

    started = time.perf_counter()
    await asyncio.gather(*(opener() for _ in range(FLOOD_AT_ONCE)))
    took = time.perf_counter() - started
    shown = ""
    if victim:
        back = await open_page(url, "", victim)
        shown = back.metrics.get("Weights pruned", "")
        await back.close()
    return {"page_opens": opens, "seconds": round(took, 1), "crashed": crashed, "sessions_before": before,
            "sessions_after": owners(), "victim_sees": shown}


async def attack(server: Server, args: argparse.Namespace) -> dict:
    url = server.start()
    outcome = {"cold": await cold(url)}
    outcome["tabs"] = await eight_tabs(url, server.runs_dir, args.tabs, args.rounds)
    outcome["students"], finished = await students(url, args.students, args.timeout)
    outcome["flood"] = await flood(url, args.page_opens, finished[0] if finished else None)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ws_attacks", description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--page-opens", type=int, default=400)
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the students' jobs to finish")
    parser.add_argument("--tree", type=Path, default=paths.APP_DIR, help="the checkout whose app.py is served")
    parser.add_argument("--json", action="store_true", help="print the outcome as one JSON line last")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="prune-lab-attacks-") as tmp:
        os.environ[paths.ENV_RUNS] = str(Path(tmp) / "runs")  # the server's key, to name a secret's owner
        server = Server(Path(tmp) / "runs", Path(tmp) / "streamlit.log", app_dir=args.tree)
        try:
            outcome = asyncio.run(attack(server, args))
        finally:
            server.stop()
    print(f"command: python -m bench.ws_attacks {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    for name, figures in outcome.items():
        print(f"{name}: {json.dumps(figures)}")
    if args.json:
        print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
