"""Class-page load test: N students (default 30) work while their lines are shared and one Class page is open.

``.venv/bin/python -m bench.class_load [--students 30] [--lines 60] [--steps-per-s 2] [--timeout 1800] [--no-class]``

Starts ``streamlit run app.py`` on a free 127.0.0.1 port with a temporary runs directory. The board holds
``--lines`` shared lines of 13 points each (the reference schedule's start and 12 steps), written straight into
the server's board file, and while the test runs a step lands on one of them every 1/``--steps-per-s`` s (so the
Class page's chart is rebuilt on nearly every poll: its worst case). Meanwhile N light websocket students
(``bench/ws_client.py``, as ``bench.load_test --clients websocket``) open the Prune page together, press
"Prune + retrain" (90 %, 1 epoch) and answer their page's polls until it is done, and one Class page client
opens /class and answers its board's polls. Every request is timed to the server's ``script_finished``.
Prints p50 / p95 / max for the students' requests and for the Class page's (goal: p95 <= 1 s), as a markdown
table and one JSON line. ``--no-class``: the same students with an empty board and no Class page, the reference
to run beside it on the same machine. Always stops the server; loopback only.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import ws_client
from bench.load_figures import percentile
from bench.timing import machine
from pruning_core import paths
from pruning_core.service.classroom.board import Board, Point
from pruning_core.service.live_server import Server
from pruning_core.settings import REFERENCE_PERCENTS


def seed_board(board: Board, lines: int) -> list[tuple[str, str]]:
    """``lines`` shared lines of the reference schedule (made-up owners and accuracies): their keys."""
    keys = [(f"{n:032x}", f"{n:08x}") for n in range(lines)]
    for n, (owner, line) in enumerate(keys):
        points = [Point(i, p, 0.97 - 0.0004 * p - 0.001 * (n % 7), "global, 1 epoch(s), lr 0.001")
                  for i, p in enumerate([0.0, *REFERENCE_PERCENTS])]
        board.share(owner, line, f"student {n}", points)
    return keys


async def steps_landing(board: Board, keys: list[tuple[str, str]], every_s: float, stop: asyncio.Event) -> int:
    """A step lands on a random shared line every ``every_s`` seconds until ``stop``: how many landed."""
    landed = 0
    while not stop.is_set():
        owner, line = random.choice(keys)
        await asyncio.to_thread(board.publish, owner, line, 13, [Point(13, 99.5, 0.9 + random.random() / 20)])
        landed += 1
        await asyncio.sleep(every_s)
    return landed


async def class_page(url: str, stop: asyncio.Event, samples: list[float]) -> None:
    """One open Class page: open it, then answer its board's polls until ``stop``."""
    client = ws_client.Client(page="class")
    await client.connect(url)
    try:
        samples.append(await client.rerun())
        while not stop.is_set():
            await asyncio.sleep(min(client.fragments.values(), default=1.0))
            for fragment in list(client.fragments):
                samples.append(await client.rerun(fragment_id=fragment, timeout=ws_client.POLL_TIMEOUT))
    finally:
        await client.close()


async def drive(server: Server, students: int, lines: int, steps_per_s: float, timeout: float,
                with_class: bool = True) -> dict:
    url = server.start()
    board = Board(paths.class_board_file())  # the server's own file (the same runs directory)
    keys = seed_board(board, lines if with_class else 0)
    warm = ws_client.Client()  # the teacher's first visit loads MNIST and the baselines
    await warm.connect(url)
    await warm.rerun()
    await warm.close()
    stop, class_samples = asyncio.Event(), []
    results = [{} for _ in range(students)]
    viewer = asyncio.create_task(class_page(url, stop, class_samples) if with_class else stop.wait())
    landing = asyncio.create_task(steps_landing(board, keys, 1 / steps_per_s, stop) if with_class else stop.wait())
    started, barrier = time.time(), asyncio.Barrier(students)
    try:
        await asyncio.wait_for(asyncio.gather(*(ws_client.student(url, barrier, started + timeout, r)
                                                for r in results)), timeout + 60)
    finally:
        stop.set()
    await viewer
    landed = await landing
    return {"results": results, "class": class_samples, "steps_landed": landed if with_class else 0,
            "wall_s": time.time() - started, "board_version": board.version()}


def figures(samples: list[float]) -> dict:
    return {"requests": len(samples), "p50_s": round(statistics.median(samples), 3) if samples else None,
            "p95_s": round(percentile(samples, 0.95), 3) if samples else None,
            "max_s": round(max(samples), 3) if samples else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.class_load", description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--lines", type=int, default=60, help="shared lines on the board")
    parser.add_argument("--steps-per-s", type=float, default=2.0, help="steps landing on the board per second")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the whole test")
    parser.add_argument("--no-class", action="store_true", help="the reference: no shared lines, no Class page")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="prune-lab-class-load-") as tmp:
        os.environ[paths.ENV_RUNS] = str(Path(tmp) / "runs")  # the server's runs and board, written here too
        server = Server(Path(tmp) / "runs", Path(tmp) / "streamlit.log")
        try:
            measured = asyncio.run(drive(server, args.students, args.lines, args.steps_per_s, args.timeout,
                                         not args.no_class))
        finally:
            server.stop()
    results = measured["results"]
    students = figures([t for r in results for _, t in r.get("samples", [])])
    kinds = sorted({kind for r in results for kind, _ in r.get("samples", [])})
    by_kind = {kind: figures([t for r in results for k, t in r.get("samples", []) if k == kind]) for kind in kinds}
    viewer = figures(measured["class"])
    summary = {"students": args.students, "completed": sum("done" in r and "error" not in r for r in results),
               "errors": sorted({r["error"] for r in results if "error" in r}), "lines": args.lines,
               "steps_landed": measured["steps_landed"], "wall_s": round(measured["wall_s"], 1),
               "student_requests": students, "student_requests_by_kind": by_kind, "class_page": viewer}
    print(f"command: python -m bench.class_load {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"machine: {machine()}\n")
    print("| who | requests | p50 | p95 | max |\n|---|---|---|---|---|")
    for name, row in (("students (Prune page, polls)", students), *((f"- students: {kind}", row) for kind, row in
                                                                    by_kind.items()),
                      ("Class page (open, polls)", viewer)):
        print(f"| {name} | {row['requests']} | {row['p50_s']} s | {row['p95_s']} s | {row['max_s']} s |")
    print(f"\n{summary['completed']}/{args.students} jobs done, {measured['steps_landed']} steps landed on "
          f"{args.lines} shared lines in {summary['wall_s']} s\n")
    print(json.dumps(summary))
    return 0 if summary["completed"] == args.students else 1


if __name__ == "__main__":
    raise SystemExit(main())
