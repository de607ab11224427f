"""N students open the Prune page in the same second: the server's response time, no training (issue 17).

``.venv/bin/python -m bench.page_open [--sessions 30] [--rounds 5] [--compare DIR]``

The load test's worst interaction was opening the Prune page while 30 students did it at once (p95 2.6 s;
py-spy: the page's figures). This times that interaction alone, with the load test's light websocket clients
(bench/ws_client.py): each round, ``--sessions`` new clients connect and ask for the page together, and every
request's time to ``script_finished`` is a sample; the server's CPU time per page open (its process and
worker processes, from /proc) is the figure the machine's other load moves least. ``--compare DIR`` starts a second server from another
checkout of the app (e.g. ``git archive HEAD | tar -x -C DIR`` before a change) and alternates rounds between
the two, so both see the same machine load: the comparison is the ratio inside one run.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench import ws_client
from bench.load_test import cpu_seconds, percentile
from bench.timing import machine
from pruning_core import paths
from pruning_core.service.live_server import Server


async def one_round(url: str, sessions: int) -> list[float]:
    """``sessions`` new students connect, then all ask for the Prune page at once; seconds per answer."""
    clients = [ws_client.Client(ws_client.JOB_LINK) for _ in range(sessions)]
    try:
        await asyncio.gather(*(client.connect(url) for client in clients))
        return list(await asyncio.gather(*(client.rerun() for client in clients)))
    finally:
        await asyncio.gather(*(client.close() for client in clients))


async def measure(servers: dict[str, Server], sessions: int, rounds: int) -> dict[str, dict]:
    """Per server: every answer's seconds, and the server's CPU seconds over its rounds (its own cost per page,
    which the machine's other load changes far less than the wall time)."""
    for server in servers.values():  # the teacher's first visit: MNIST and the baselines load once per server
        await one_round(server.url, 1)
    measured: dict[str, dict] = {name: {"times": [], "cpu_s": 0.0} for name in servers}
    for _ in range(rounds):  # interleaved: each server's rounds see the same machine load
        for name, server in servers.items():
            before = cpu_seconds(server.proc.pid)
            measured[name]["times"] += await one_round(server.url, sessions)
            measured[name]["cpu_s"] += cpu_seconds(server.proc.pid) - before
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_open", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another checkout of the app to time beside this one")
    args = parser.parse_args(argv)
    apps = {"this checkout": paths.APP_DIR, **({f"compare ({args.compare})": args.compare} if args.compare else {})}
    servers: dict[str, Server] = {}
    with tempfile.TemporaryDirectory(prefix="prune-lab-open-") as tmp:
        try:
            for index, (name, app_dir) in enumerate(apps.items()):
                root = Path(tmp) / str(index)
                # PYTHONPATH: the other checkout's own packages, not this one's
                servers[name] = Server(root / "runs", Path(tmp) / f"streamlit-{index}.log",
                                       {"PYTHONPATH": str(app_dir)}, app_dir=app_dir)
            for server in servers.values():
                server.start()
            measured = asyncio.run(measure(servers, args.sessions, args.rounds))
        finally:
            for server in servers.values():
                server.stop()
    figures = {name: {"p50_s": round(statistics.median(times), 3), "p95_s": round(percentile(times, 0.95), 3),
                      "max_s": round(max(times), 3), "server_cpu_ms_per_open": round(1000 * m["cpu_s"] / len(times), 1),
                      "samples": len(times)} for name, m in measured.items() for times in [m["times"]]}
    print(f"command: python -m bench.page_open {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}\n")
    print("| app | p50 | p95 | max | server CPU per open | samples |\n|---|---|---|---|---|---|")
    for name, row in figures.items():
        print(f"| {name} | {row['p50_s']:.2f} s | {row['p95_s']:.2f} s | {row['max_s']:.2f} s | "
              f"{row['server_cpu_ms_per_open']:.0f} ms | {row['samples']} |")
    print("\n" + json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
