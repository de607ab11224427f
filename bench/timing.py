"""The one timing helper every benchmark shares: interleaved repeats, medians, ratios, a markdown table.

Other people's tests run on the same 2 CPUs, so an absolute time means little on its own. Every benchmark
therefore times its cases round-robin in one process (case A, case B, case A, case B ...) so that both see
the same load, and reports medians and ratios of medians.
"""
from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping

import torch

from pruning_core import cpus

# A case either returns None (its wall time is the sample) or the seconds it measured itself (for a case
# that times a fraction of the work and scales it up, or that excludes its own set-up).
Case = Callable[[], float | None]


def interleaved(cases: Mapping[str, Case], repeats: int) -> dict[str, list[float]]:
    """Run every case ``repeats`` times, round-robin; return the seconds of each run per case."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, case in cases.items():
            started = time.perf_counter()
            measured = case()
            samples[name].append(time.perf_counter() - started if measured is None else measured)
    return samples


def medians(samples: Mapping[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) for name, values in samples.items()}


def seconds_table(samples: Mapping[str, list[float]]) -> str:
    """Markdown: case, median, min, max, runs."""
    rows = [f"| {name} | {statistics.median(v):.3f} | {min(v):.3f} | {max(v):.3f} | {len(v)} |"
            for name, v in samples.items()]
    return "\n".join(["| case | median s | min s | max s | runs |", "|---|---|---|---|---|", *rows])


def goal_line(name: str, value: float, limit: float, unit: str, higher_is_better: bool = False,
              why: str = "") -> str:
    """One goals-table row: the measured value against its limit, and ``why`` when the goal is missed."""
    met = value >= limit if higher_is_better else value <= limit
    sign = ">=" if higher_is_better else "<="
    status = "met" if met else f"MISSED by {abs(value - limit):.3g} {unit}: {why}".rstrip(": ")
    return f"| {name} | {value:.3g} {unit} | {sign} {limit:g} {unit} | {status} |"


def goals_table(lines: list[str]) -> str:
    return "\n".join(["| goal | measured | target | status |", "|---|---|---|---|", *lines])


def machine() -> str:
    """CPU count, CPU model, load, torch build and date: what every result in docs/benchmarks.md names."""
    try:
        model = next(line.split(":", 1)[1].strip() for line in
                     subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
                     if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        model = platform.processor() or "unknown CPU"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"CPUs {cpus.AVAILABLE}, {model}, load average {load}; torch {torch.__version__} "
            f"(default {torch.get_num_threads()} threads), {gpu}; {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
