"""How long a class waits when the lab starts cold: server start, first page, second page, and a restart.

``.venv/bin/python -m bench.cold_start [--rounds 3] [--after-ready]``

Each round starts a fresh server as ``make run`` does (``ui/serve.py`` through bench's ``Server``: a free
loopback port, an empty runs directory) with Chromium already running, and times in Debian's Chromium through
Playwright:

* ``start -> health``: process start until ``/_stcore/health`` answers "ok"; with ``--after-ready`` also
  ``start -> ready``, until the launcher prints "Ready" (MNIST, checkpoints and job workers loaded), and the
  pages are opened only then (a teacher who opens the lab once the terminal says so); without it they are
  opened at health (one who opens it at once);
* ``first page``: the first student (a fresh browser context) opens the lab until the Prune page is idle (its
  "Prune + retrain" button shown and Streamlit's script state ``notRunning``); ``start -> first page idle``
  adds the two, as a teacher typing ``make run`` then opening the lab at once sees it;
* ``second page``: a second student opening the lab just after;
* then the first student presses "Prune + retrain" (90 %, 1 epoch) and waits for the result, so the server
  holds their line on disk; the server is killed (SIGKILL) and started again on the same runs directory;
  ``restart -> health``, and ``first student after restart``: that student's tab reloads until the Prune page
  is idle again and shows their 90 % step;
* ``floor``: a one-button Streamlit app (``FLOOR_APP``, no lab code, Streamlit's default config: not this
  project's ``.streamlit/config.toml``) in a fresh browser context, twice per round: what a page open costs in
  this browser on this machine whatever the lab does.

Prints the medians and every sample as a table and one JSON line, the machine and its load average.
"""
from __future__ import annotations

import argparse
import json
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

RUN = "Prune + retrain"
IDLE = "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
TIMEOUT_MS = 120_000  # far above the goals: a slow answer is measured, not fatal
JOB_TIMEOUT_S = 300.0
READY = "Ready: "  # what the launcher prints when its preload is done


def page_idle(page, url: str | None = None) -> float:
    """Open ``url`` (None: reload) and wait until the Prune page is idle; seconds taken."""
    started = time.perf_counter()
    page.goto(url) if url else page.reload()
    page.get_by_role("button", name=RUN).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS)
    return time.perf_counter() - started


def pruned_shown(page) -> str:
    """The sidebar card's "Weights pruned" value right now ("" if none)."""
    return " ".join(page.locator('[data-testid="stMetric"]', has_text="Weights pruned")
                    .locator('[data-testid="stMetricValue"]').all_inner_texts())


def wait_ready(server: Server, log_from: int) -> None:
    """Until the launcher prints that its preload is done ("Ready: ...", ``ui/serve.py``) in this start's log."""
    deadline = time.time() + TIMEOUT_MS / 1000
    while READY not in server.log_path.read_text()[log_from:]:
        if time.time() > deadline:
            raise TimeoutError("the server never said it was ready")
        time.sleep(0.05)


def start(server: Server, times: dict[str, float], when: str, after_ready: bool) -> float:
    """Start ``server``; record ``<when> -> health`` and ``<when> -> ready``; the start's clock."""
    log_from = server.log_path.stat().st_size if server.log_path.exists() else 0
    started = time.perf_counter()
    server.start()
    times[f"{when} -> health"] = time.perf_counter() - started
    if after_ready:
        wait_ready(server, log_from)
        times[f"{when} -> ready"] = time.perf_counter() - started
    return started


def one_round(browser, root: Path, after_ready: bool) -> dict[str, float]:
    """One cold start and one restart of a fresh server; seconds by event."""
    root.mkdir(parents=True)
    server = Server(root / "runs", root / "streamlit.log")
    times: dict[str, float] = {}
    try:
        started = start(server, times, "start", after_ready)
        first = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        times["first page"] = page_idle(first, server.url)
        times["start -> first page idle"] = time.perf_counter() - started
        second = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        times["second page"] = page_idle(second, server.url)
        second.context.close()
        first.get_by_role("button", name=RUN).click()
        deadline = time.time() + JOB_TIMEOUT_S
        while "90.0 %" not in pruned_shown(first):
            if time.time() > deadline:
                raise TimeoutError("the first student's job did not finish")
            first.wait_for_timeout(500)
        server.kill()
        started = start(server, times, "restart", after_ready)
        times["first student after restart"] = page_idle(first)
        if "90.0 %" not in pruned_shown(first):
            raise RuntimeError("after the restart the student's line was not shown")
        times["restart -> first student idle"] = time.perf_counter() - started
        first.context.close()
    finally:
        server.stop()
    return times


# The floor under every page open: Streamlit itself with one button, in the same Chromium and a fresh context.
FLOOR_APP = f"import streamlit as st\n\nst.button({RUN!r})\n"


def floor_round(browser, root: Path) -> dict[str, float]:
    """A one-button Streamlit app (no lab code) opened in a fresh browser context twice: the part of a page
    open that is the browser and Streamlit, which no preloading can remove."""
    root.mkdir(parents=True)
    (root / "app.py").write_text(FLOOR_APP)
    server = Server(root / "runs", root / "streamlit.log", app_dir=root)  # no ui/serve.py: plain streamlit run
    times: dict[str, float] = {}
    try:
        server.start()
        for event in ("floor: first page, one-button app", "floor: second page, one-button app"):
            page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            times[event] = page_idle(page, server.url)
            page.context.close()
    finally:
        server.stop()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--after-ready", action="store_true",
                        help="open the pages once the server prints 'Ready' (its preload done), not at health")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not chromium.chromium_installed():
        parser.error(f"{paths.chromium()} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    samples: dict[str, list[float]] = {}
    loads = [os.getloadavg()[0]]
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="prune-lab-cold-") as tmp:
        browser = chromium.launch(playwright)
        try:
            for index in range(args.rounds):
                measured = {**one_round(browser, Path(tmp) / str(index), args.after_ready),
                            **floor_round(browser, Path(tmp) / f"floor-{index}")}
                for event, seconds in measured.items():
                    samples.setdefault(event, []).append(seconds)
                loads.append(os.getloadavg()[0])
        finally:
            browser.close()
    print(f"command: python -m bench.cold_start {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"machine: {machine()}; 1-minute load average {min(loads):.1f}-{max(loads):.1f} over the rounds\n")
    print("| event | median s | samples s |\n|---|---|---|")
    for event, values in samples.items():
        print(f"| {event} | {statistics.median(values):.2f} | {', '.join(f'{v:.2f}' for v in values)} |")
    print("\n" + json.dumps({event: [round(v, 3) for v in values] for event, values in samples.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
