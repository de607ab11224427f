"""How long the Weights page keeps running with a 12-step line: a real server, a real Chromium at 1280x720.

``.venv/bin/python -m bench.weights_page [--rounds 5] [--compare DIR]``

Each server gets one student whose line is the reference schedule's 12 steps (Play with 0 retraining epochs);
then, per round, the student opens the Prune page and then the Weights page, and the sample is the time from
the click on "Weights" until the page's script run is over (and no other run follows within 2 s).
``--compare DIR`` starts a second server from another checkout of the app (e.g. ``git archive HEAD | tar -x -C
DIR`` before a change) and alternates rounds between the two, so both see the same machine load.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.timing import machine
from pruning_core import paths
from pruning_core.plots import browser as chromium
from pruning_core.service.live_server import Server

SCREEN = {"width": 1280, "height": 720}
# Streamlit marks the app's root element while a script run is in progress (tests/helpers.py waits on it too).
RUNNING = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState !== 'notRunning'"""
QUIET_S = 2.0  # not running for this long: no rerun (a fragment, a poll) follows
LINE_TIMEOUT_MS = 600_000


def twelve_steps(page, url: str) -> None:
    """The reference schedule, 10 -> 99 %, played to its end without retraining."""
    page.goto(url + "/?epochs=0")
    page.locator("button", has_text="Play").first.click(timeout=90_000)  # "Play" and its key, Space
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stMetric"]')]
             .some(m => m.innerText.includes('Weights pruned') && m.innerText.includes('99.0 %'))
           && !document.querySelector('.st-key-cancel-job')""", timeout=LINE_TIMEOUT_MS)


def until_idle(page, started: float) -> float:
    """Seconds from ``started`` until the page's run ended (a run last seen in progress)."""
    last_seen = started
    while time.perf_counter() - max(last_seen, started + 0.5) < QUIET_S:
        if page.evaluate(RUNNING):
            last_seen = time.perf_counter()
        time.sleep(0.02)
    return last_seen - started


def open_weights(page) -> float:
    page.get_by_role("link", name="Prune & retrain").click()
    page.get_by_role("heading", level=1, name="Prune & retrain").wait_for(timeout=60_000)
    until_idle(page, time.perf_counter())
    started = time.perf_counter()
    page.get_by_role("link", name="Weights").click()
    page.get_by_role("heading", level=1, name="Weights", exact=True).wait_for(timeout=60_000)
    return until_idle(page, started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.weights_page", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another checkout of the app to time beside this one")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright  # bench/test-only dependency

    apps = {"this checkout": paths.APP_DIR, **({f"compare ({args.compare})": args.compare} if args.compare else {})}
    samples: dict[str, list[float]] = {name: [] for name in apps}
    with tempfile.TemporaryDirectory(prefix="prune-lab-weights-") as tmp, sync_playwright() as driver:
        servers = {name: Server(Path(tmp) / str(i) / "runs", Path(tmp) / f"streamlit-{i}.log",
                                {"PYTHONPATH": str(app_dir)}, app_dir=app_dir)
                   for i, (name, app_dir) in enumerate(apps.items())}
        browser = chromium.launch(driver)
        try:
            pages = {}
            for name, server in servers.items():
                pages[name] = browser.new_page(viewport=SCREEN)
                twelve_steps(pages[name], server.start())
            for _ in range(args.rounds):  # interleaved: both servers see the same machine load
                for name, page in pages.items():
                    samples[name].append(open_weights(page))
        finally:
            browser.close()
            for server in servers.values():
                server.stop()
    print(f"command: python -m bench.weights_page {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}\n")
    print("| app | Weights page run, 12-step line: median | min | max | samples |\n|---|---|---|---|---|")
    for name, times in samples.items():
        print(f"| {name} | {statistics.median(times):.2f} s | {min(times):.2f} s | {max(times):.2f} s | "
              f"{len(times)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
