"""Classroom load test: N students (default 20) open the same Prune Lab server and all press Run at once.

``.venv/bin/python -m bench.load_test [--sessions 20] [--epochs 1] [--timeout 1800] [--clients browser|websocket]
[--alone K]``

With ``--clients websocket`` the students are light protocol clients (bench/ws_client.py) that time the server
alone; the default drives Chromium tabs as described below. The websocket run first times one student's
job with the server otherwise idle (``single_job_s``: its run from queued to done on the server;
``single_job_client_s``: press to result as the student saw it), then the burst: ``burst_over_compute`` =
wall / (N x single_job_s), 1.0 being a server that never idles while students wait. Server CPU
counts the server process and its worker processes.

Starts ``streamlit run app.py`` on a free 127.0.0.1 port with a temporary runs directory, opens N Playwright
contexts (separate cookie jars: N independent browser sessions) in one Debian Chromium - after one warm-up
visit, as when the teacher opens the lab first (it loads MNIST and the baselines) - and in each: loads the
Prune page, waits for all N to be there, presses "Prune + retrain" (90 %, the default; ``--epochs`` retraining
epochs), visits the Train page and comes back while waiting in line, waits for its job to finish, and opens
the Runs page. Page response = time from an interaction (navigation or click) to the UI showing its result.
Reports completed / lost (runs on disk not "done"), p50/p95/max page response, server peak RSS (VmHWM from
/proc) and the wall time, as a markdown table and one JSON line, with the queue's wait estimate against the
waits that followed (``bench/load_figures.py``: ``wait_error_*`` per job on the server's clock,
``student_wait_error_*`` from each press). Always stops the server; loopback only.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import ws_client
from bench.load_figures import summarize
from bench.timing import machine
from pruning_core.service.runs import store as runs
from pruning_core import paths
from pruning_core.plots import browser as chromium
from pruning_core.service.live_server import Server

CARD_DONE = "90.0 %"
STEP_TIMEOUT_MS = 120_000  # one interaction; far above the goal, so a slow answer is measured, not fatal


async def timed(samples: list[tuple[str, float]], name: str, action, shown) -> None:
    """Run ``action`` then wait for ``shown``; record the seconds between."""
    start = time.perf_counter()
    try:
        await action()
        await shown.wait_for(timeout=STEP_TIMEOUT_MS)
    except Exception as err:
        raise RuntimeError(f"{name}: {type(err).__name__}: {str(err).splitlines()[0]}") from None
    samples.append((name, time.perf_counter() - start))


async def card(page) -> str:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMetric"]', has_text="Weights pruned")
    return await box.locator('[data-testid="stMetricValue"]').first.inner_text() if await box.count() else ""


async def student(browser, url: str, epochs: int, everyone_here: asyncio.Barrier, deadline: float,
                  result: dict) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    samples: list[tuple[str, float]] = result.setdefault("samples", [])
    try:
        run_button = page.get_by_role("button", name="Prune + retrain")
        try:
            await timed(samples, "open Prune page", lambda: page.goto(url), run_button)
            if epochs != 1:  # 1 is the page's default
                await page.get_by_label("Retrain epochs").fill(str(epochs))
                await page.get_by_label("Retrain epochs").press("Tab")
                await page.wait_for_timeout(2000)  # the rerun that takes the new value
        finally:  # arrived, or failed to open (recorded below): the others must not wait for this one forever
            await everyone_here.wait()
        await timed(samples, "press Run -> queued/running panel", run_button.click,
                    page.get_by_role("button", name="Cancel"))
        result["pressed"] = True
        await timed(samples, "open Train page while queued", page.get_by_role("link", name="Train / load").click,
                    page.get_by_role("heading", name="Train or load a model"))
        await timed(samples, "back to Prune page", page.get_by_role("link", name="Prune & retrain").click,
                    run_button)
        while await card(page) != CARD_DONE:
            if time.time() > deadline:
                raise TimeoutError("job did not finish before the load test's deadline")
            await asyncio.sleep(0.5)
        result["done"] = time.time()
        await timed(samples, "open Runs page", page.get_by_role("link", name="Runs").click,
                    page.locator('[data-testid="stMarkdownContainer"]', has_text="done: Prune to 90 %").first)
    except Exception as err:  # one student's failure is a measured outcome, not the end of the test
        result["error"] = f"{type(err).__name__}: {str(err).splitlines()[0]}"
    finally:
        await context.close()


async def warm_up(browser, url: str) -> None:
    """The teacher opens the lab before the class does: the first visit loads MNIST and the baselines."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_role("button", name="Prune + retrain").wait_for(timeout=STEP_TIMEOUT_MS)
    await context.close()


def cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds used so far by one process and its live descendants (the server's training worker
    processes), all threads; or by the whole machine when pid is None."""
    if pid is None:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        return (sum(map(int, fields)) - int(fields[3]) - int(fields[4])) / os.sysconf("SC_CLK_TCK")  # not idle
    stats = {}
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split() if entry.name.isdigit() else None
        except OSError:  # a process that ended while we looked
            continue
        if fields:
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime+stime
    tree = {pid}
    for _ in range(4):  # server -> worker processes -> their helpers
        tree |= {child for child, (parent, _) in stats.items() if parent in tree}
    total = sum(ticks for proc, (_, ticks) in stats.items() if proc in tree)
    return total / os.sysconf("SC_CLK_TCK")


async def drive_light(server: Server, sessions: int, timeout: float, alone: int = 1) -> dict:
    """The same class with light websocket clients (bench/ws_client.py) instead of Chromium tabs."""
    url = server.start()
    results = [{} for _ in range(sessions)]
    warm = ws_client.Client()  # the teacher's first visit loads MNIST and the baselines
    await warm.connect(url)
    await warm.rerun()
    await warm.close()
    # The reference: lone students' jobs with the server otherwise idle, in this same run - after one that is not
    # timed, so that none includes a training worker's start-up (importing torch, loading MNIST); with
    # ``alone`` > 1 half of them before the burst and half after, so a change in the machine's other load
    # during the run moves the reference as it moves the burst.
    untimed = await lone_jobs(url, 1, timeout)
    reference = await lone_jobs(url, (alone + 1) // 2, timeout)
    barrier = asyncio.Barrier(sessions)
    started, cpu_at_start = time.time(), (cpu_seconds(server.proc.pid), cpu_seconds())
    await asyncio.wait_for(asyncio.gather(*(ws_client.student(url, barrier, started + timeout, r) for r in results)),
                           timeout + 60)
    outcome = finish(server, results, started, cpu_at_start)
    reference += await lone_jobs(url, alone // 2, timeout)
    outcome["reference_runs"] = [run_id for run_id, _, _ in untimed + reference]
    outcome["single_job_s"] = statistics.median(server_s for _, server_s, _ in reference)
    outcome["single_job_client_s"] = statistics.median(client_s for _, _, client_s in reference)
    outcome["single_jobs_s"] = [round(server_s, 2) for _, server_s, _ in reference]
    return outcome


async def lone_jobs(url: str, count: int, timeout: float) -> list[tuple[str, float, float]]:
    """``count`` students one after another, each alone on the server: per job, its run's id, its seconds from
    queued to done on the server (the job's own time) and from press to result as the student saw it."""
    times = []
    for _ in range(count):
        alone: dict = {}
        await ws_client.student(url, asyncio.Barrier(1), time.time() + timeout, alone)
        run = runs.all_runs()[0]  # newest first: this student's run
        times.append((run.id, run.status().get("updated", float("nan")) - run.config()["created"],
                      alone["done"] - alone["pressed_at"] if "done" in alone else float("nan")))
    return times


def finish(server: Server, results: list[dict], started: float, cpu_at_start: tuple[float, float]) -> dict:
    """What the run measured: the students' results, wall time, server peak RSS and CPU use."""
    wall = time.time() - started
    peak, _ = server.peak_rss_mb()
    return {"results": results, "wall_s": wall, "peak_rss_mb": peak,
            "server_cores": (cpu_seconds(server.proc.pid) - cpu_at_start[0]) / wall,
            "machine_cores": (cpu_seconds() - cpu_at_start[1]) / wall}


async def drive(server: Server, sessions: int, epochs: int, timeout: float) -> dict:
    from playwright.async_api import async_playwright

    url = server.start()
    results = [{} for _ in range(sessions)]
    async with async_playwright() as p:
        browser = await chromium.launch(p)
        await warm_up(browser, url)
        barrier = asyncio.Barrier(sessions)
        started, cpu_at_start = time.time(), (cpu_seconds(server.proc.pid), cpu_seconds())
        try:
            await asyncio.wait_for(asyncio.gather(*(student(browser, url, epochs, barrier, started + timeout, r)
                                                    for r in results)), timeout + 60)
        finally:
            await browser.close()
    return finish(server, results, started, cpu_at_start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_test", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=1, help="retraining epochs per job (the page's default: 1)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the whole test")
    parser.add_argument("--clients", choices=("browser", "websocket"), default="browser",
                        help="Chromium tabs (page response as a person sees it, tabs sharing the server's CPUs) or "
                             "light websocket clients (the server's own response; --epochs is then the page's 1)")
    parser.add_argument("--alone", type=int, default=1,
                        help="websocket clients: lone jobs timed for the reference, half before the burst and half "
                             "after; the reference is their median (default 1: one, before)")
    args = parser.parse_args(argv)
    if args.alone < 1:
        parser.error("--alone must be at least 1")
    if args.clients == "browser" and not chromium.chromium_installed():
        parser.error(f"{paths.chromium()} is missing (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="prune-lab-load-") as tmp:
        os.environ[paths.ENV_RUNS] = str(Path(tmp) / "runs")  # the server's runs, read back by summarize
        server = Server(Path(tmp) / "runs", Path(tmp) / "streamlit.log")
        try:
            measured = asyncio.run(drive(server, args.sessions, args.epochs, args.timeout) if args.clients == "browser"
                                   else drive_light(server, args.sessions, args.timeout, args.alone))
        finally:
            server.stop()
        figures = summarize(measured, args.sessions, args.epochs)
    print(f"command: python -m bench.load_test {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"machine: {machine()}\n")
    print("| sessions | completed | lost | p50 response | p95 response | max response | server peak RSS | wall |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {figures['sessions']} | {figures['completed']}/{figures['sessions']} | {figures['lost']} | "
          f"{figures['p50_s']:.2f} s | {figures['p95_s']:.2f} s | {figures['max_s']:.2f} s | "
          f"{figures['peak_rss_mb']:.0f} MB | {figures['wall_s']:.0f} s |")
    print("\n" + json.dumps(figures))
    return 0 if figures["completed"] == args.sessions and figures["lost"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
