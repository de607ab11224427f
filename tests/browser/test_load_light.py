"""A small classroom through the light websocket clients: every job completes, none is lost, answers are quick.

The full 30-session figures come from ``python -m bench.load_test --clients websocket`` (docs/reliability.md);
this runs the same command for 3 students on every CI run, so the client and the counting stay honest. It runs
the benchmark as a separate process (tests and benchmarks do not import each other). No wall-clock goal is
asserted here.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pruning_core import paths

pytestmark = pytest.mark.slow


def test_three_light_students_all_finish() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.load_test", "--clients", "websocket", "--sessions", "3",
                           "--timeout", "240"], cwd=paths.APP_DIR, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["completed"] == 3 and figures["runs_done"] == 3 and figures["lost"] == 0
    assert figures["errors"] == []
    assert set(figures["p95_by_interaction_s"]) == {"open Prune page", "press Run", "poll"}
