"""A small classroom through the light websocket clients: every job completes, none is lost, answers are quick.

The full 20-session figures come from ``python -m bench.load_test --clients websocket`` (docs/reliability.md);
this keeps the client and the counting honest on every CI run. No wall-clock goal is asserted here.
"""
from __future__ import annotations

import json

from bench import load_test


def test_three_light_students_all_finish(capsys) -> None:
    code = load_test.main(["--clients", "websocket", "--sessions", "3", "--timeout", "240"])
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0
    assert figures["completed"] == 3 and figures["runs_done"] == 3 and figures["lost"] == 0
    assert figures["errors"] == []
    assert set(figures["p95_by_interaction_s"]) == {"open Prune page", "press Run", "poll"}
