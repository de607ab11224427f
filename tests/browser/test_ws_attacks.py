"""The class attacks of docs/reliability.md against a real server, at the level an attacker uses: Streamlit
websocket sessions with their own connections and cookies, all from one address (``python -m bench.ws_attacks``,
run once for this module as a separate process: tests and benchmarks do not import each other).

- 12 page opens at once right after the server starts: no page crashes, no error shown;
- 8 tabs of one student press "Prune + retrain" at the same instant, 4 rounds: one job admitted each round;
- 20 students with their own cookies behind one address press at once: none refused, all 20 finish;
- 100 page opens without a cookie after those steps (400 in the bench): no new session on disk, a student still
  sees their step.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pruning_core import paths

pytestmark = pytest.mark.slow

TABS, ROUNDS, STUDENTS = 8, 4, 20
PAGE_OPENS = 100  # the invariant (no session written per open) shows at any count; the bench makes 400


@pytest.fixture(scope="module")
def outcome() -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.ws_attacks", "--tabs", str(TABS), "--rounds", str(ROUNDS),
                           "--students", str(STUDENTS), "--page-opens", str(PAGE_OPENS), "--timeout", "400",
                           "--json"], cwd=paths.APP_DIR, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_twelve_pages_opened_at_once_on_a_cold_server_all_render(outcome):
    cold = outcome["cold"]
    assert cold["pages"] == 12 and cold["crashed"] == 0, cold
    assert cold["exceptions"] == [] and cold["errors"] == [], cold


def test_eight_tabs_of_one_student_pressing_at_once_get_one_job_per_round(outcome):
    tabs = outcome["tabs"]
    assert tabs["admitted_per_round"] == [1] * ROUNDS, tabs
    assert all("at a time per student" in text or "still running" in text for text in tabs["refusals"]), tabs


def test_twenty_students_behind_one_address_are_all_served(outcome):
    students = outcome["students"]
    assert students["refused_for_address"] == 0 and students["errors"] == [], students
    assert students["finished"] == STUDENTS, students


def test_cookie_less_page_opens_write_nothing_and_a_students_step_stays(outcome):
    flood = outcome["flood"]
    assert flood["page_opens"] == PAGE_OPENS and flood["crashed"] == 0, flood
    # the job-holding students (one per worker), the 8 tabs' one, the class
    assert flood["sessions_before"] == outcome["tabs"]["blockers"] + 1 + STUDENTS, flood
    assert flood["sessions_after"] == flood["sessions_before"], flood
    assert flood["victim_sees"] == "90.0 %", flood
