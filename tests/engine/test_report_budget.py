"""The report's cost from scratch (research/report_budget.py): each stored part's run time, their sum, and the
one-go time said to be unmeasured."""
from __future__ import annotations

from pruning_core.research.report_budget import STAGES, budget_section


def stored(*seconds: float) -> list[dict]:
    return [{"seconds": s, "created": f"2026-12-0{i + 1} 10:00"} for i, s in enumerate(seconds)]


def test_every_stored_part_is_a_row_and_the_sum_adds_them() -> None:
    sections = {"protocol": {"selection": stored(60, 120), "finals": [], "lenet5": stored(600)},
                "protocol3": {"rates": [], "selection": [], "finals": stored(60), "lenet5": []},
                "l1_vs_l2": stored(60, 60)}
    run = {"command": "python -m pruning_core report", "seconds": 1200, "threads": 2, "created": "2026-11-29 04:43"}
    text = budget_section(sections, run)
    assert "| round 2 search | `python -m pruning_core.research.protocol select LR EPOCHS` | 2 | 3.0 |" in text
    assert "| round 2 LeNet-5 |" in text and "| round 3 finals |" in text and "| L1 vs L2 seeds |" in text
    assert "| round 2 finals |" not in text and "| round 3 LeNet-5 |" not in text  # nothing stored: no row
    assert "Sum: 36 process-minutes" in text  # 20 + 3 + 10 + 1 + 2
    assert "**not been measured**" in text
    assert len(STAGES) == 7


def test_a_report_without_a_recorded_run_time_still_adds_its_stages() -> None:
    empty = {"selection": [], "finals": [], "lenet5": [], "rates": []}
    text = budget_section({"protocol": empty, "protocol3": empty, "l1_vs_l2": stored(60)}, {"command": "x"})
    assert "Sum: 1 process-minutes" in text and "sections 1, 3, 4" not in text
    quick = {**empty, "finals": [{"seed": 53113, "points": []}]}  # the quick protocol: in memory, no run time
    assert "| round 2 finals |" not in budget_section({"protocol": quick, "protocol3": empty, "l1_vs_l2": []}, {})
