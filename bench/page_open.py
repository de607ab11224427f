"""N students open the Prune page in the same second, then press Run together: the server's response time.

``.venv/bin/python -m bench.page_open [--sessions 30] [--rounds 5] [--press] [--compare DIR] [--skeleton]``

The load test's slowest interactions were opening the Prune page and pressing "Prune + retrain" while 30
students did the same (p95 2.6 s and 3.8 s; py-spy: the page's figures and weight counts). This times
those alone, with the load test's light websocket clients (bench/ws_client.py): each round, ``--sessions`` new
clients connect and ask for the page together (and with ``--press`` then all press, for a 0-epoch job), and
every request's time to ``script_finished`` is a sample. The server process's own CPU time per student (from
/proc; its training worker not counted) is the figure the machine's other load moves least. ``--compare DIR``
starts a second server from another checkout of the app (e.g. ``git archive HEAD | tar -x -C DIR`` before a
change) and alternates rounds between the two, so both see the same machine load: compare inside one run.
``--skeleton`` adds the Prune page's skeleton (``bench/page_skeleton.py``: the same elements, no lab code), so
the same run splits a page's cost into Streamlit's part and the lab's.
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

from bench import cold_start, page_skeleton, ws_client
from bench.load_figures import percentile
from bench.timing import machine
from pruning_core import paths
from pruning_core.service.live_server import Server

# The load test's job, without its retraining epoch: pressing costs the page the same, and the line of 30
# jobs that follows each round drains in seconds instead of a minute.
PRESS_LINK = ws_client.JOB_LINK.replace("epochs=1", "epochs=0")
RUN = "Prune + retrain"


def own_cpu_seconds(pid: int) -> float:
    """CPU seconds the process ``pid`` itself used so far (all threads; not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def one_round(url: str, sessions: int, press: bool) -> dict[str, list[float]]:
    """``sessions`` new students connect, all ask for the Prune page at once, then (``press``) all press
    "Prune + retrain" at once; seconds per answer, by interaction."""
    clients = [ws_client.Client(PRESS_LINK) for _ in range(sessions)]
    try:
        await asyncio.gather(*(client.connect(url) for client in clients))
        times = {"open": list(await asyncio.gather(*(client.rerun() for client in clients)))}
        if press:
            times["press"] = list(await asyncio.gather(*(client.rerun(press=RUN) for client in clients)))
        return times
    finally:
        await asyncio.gather(*(client.close() for client in clients))


async def drained(server: Server) -> None:
    """Until no job of ``server`` is queued or running (its runs' status files say so)."""
    while any(json.loads(status.read_text()).get("status") in ("queued", "running")
              for status in server.runs_dir.glob(f"*/{paths.RUN_STATUS}")):
        await asyncio.sleep(0.5)


async def measure(servers: dict[str, Server], sessions: int, rounds: int, press: bool) -> dict[str, dict]:
    """Per server: every answer's seconds by interaction, and the server's CPU seconds over its rounds (its own
    cost per page, which the machine's other load changes far less than the wall time)."""
    for server in servers.values():  # the teacher's first visit: MNIST and the baselines load once per server
        await one_round(server.url, 1, press=False)
    measured: dict[str, dict] = {name: {"times": {}, "cpu_s": 0.0} for name in servers}
    for _ in range(rounds):  # interleaved: each server's rounds see the same machine load
        for name, server in servers.items():
            before = own_cpu_seconds(server.proc.pid)
            for interaction, times in (await one_round(server.url, sessions, press)).items():
                measured[name]["times"].setdefault(interaction, []).extend(times)
            measured[name]["cpu_s"] += own_cpu_seconds(server.proc.pid) - before
            await drained(server)
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_open", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another checkout of the app to time beside this one")
    parser.add_argument("--press", action="store_true", help='then all press "Prune + retrain" at once (0 epochs)')
    parser.add_argument("--skeleton", action="store_true",
                        help="also serve the Prune page's elements without lab code (bench/page_skeleton.py)")
    args = parser.parse_args(argv)
    apps = {"this checkout": paths.APP_DIR, **({f"compare ({args.compare})": args.compare} if args.compare else {})}
    servers: dict[str, Server] = {}
    with tempfile.TemporaryDirectory(prefix="prune-lab-open-") as tmp:
        if args.skeleton:
            apps["skeleton (same elements, no lab code)"] = page_skeleton.write(Path(tmp) / "skeleton")
        try:
            for index, (name, app_dir) in enumerate(apps.items()):
                root = Path(tmp) / str(index)
                # PYTHONPATH: the other checkout's own packages, not this one's
                servers[name] = Server(root / "runs", Path(tmp) / f"streamlit-{index}.log",
                                       {"PYTHONPATH": str(app_dir)}, app_dir=app_dir)
            for server in servers.values():
                server.start()
                if server.launched:  # the launcher's preload must not share round 1
                    cold_start.wait_ready(server, 0)
            measured = asyncio.run(measure(servers, args.sessions, args.rounds, args.press))
        finally:
            for server in servers.values():
                server.stop()
    figures = {name: {"server_cpu_ms_per_student": round(1000 * m["cpu_s"] / len(m["times"]["open"]), 1),
                      **{interaction: {"p50_s": round(statistics.median(times), 3),
                                       "p95_s": round(percentile(times, 0.95), 3), "max_s": round(max(times), 3),
                                       "samples": len(times)} for interaction, times in m["times"].items()}}
               for name, m in measured.items()}
    print(f"command: python -m bench.page_open {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}\n")
    print("| app | interaction | p50 | p95 | max | samples |\n|---|---|---|---|---|---|")
    for name, row in figures.items():
        for interaction, times in row.items():
            if isinstance(times, dict):
                print(f"| {name} | {interaction} | {times['p50_s']:.2f} s | {times['p95_s']:.2f} s | "
                      f"{times['max_s']:.2f} s | {times['samples']} |")
    print("\nserver CPU per student (" + ", ".join(f"{name}: {row['server_cpu_ms_per_student']:.0f} ms"
                                               for name, row in figures.items()) + ")")
    print("\n" + json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
