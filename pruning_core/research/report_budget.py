"""Markdown for what ``python -m pruning_core report`` costs from scratch, added up from the run times that every
stored result records (the report's own run, each protocol stage, each L1 vs L2 seed).

The parts ran on different days, two processes at a time, on a shared 2-CPU machine whose load changed by a
factor of ten, so the sum is a record of what was spent, not a from-scratch time; the text says so.
"""
from __future__ import annotations

from .markdown import table

# (label, collector's result, its key, stage command) for the protocol's stored stages, round 2 then round 3.
STAGES = (("round 2 search", "protocol", "selection", "protocol select LR EPOCHS"),
          ("round 2 finals", "protocol", "finals", "protocol final SEED"),
          ("round 2 LeNet-5", "protocol", "lenet5", "protocol lenet5 SEED"),
          ("round 3 rates", "protocol3", "rates", "protocol rates3 ARCH"),
          ("round 3 search", "protocol3", "selection", "protocol select3 SCOPE"),
          ("round 3 finals", "protocol3", "finals", "protocol final3 SEED"),
          ("round 3 LeNet-5", "protocol3", "lenet5", "protocol lenet5_3 SEED"))


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def budget_section(s: dict, run: dict) -> str:
    """The stored run times part by part, their sum, and what is not in it."""
    parts = []  # (part, command, runs, seconds, how)
    if run.get("seconds"):
        parts.append(("sections 1, 3, 4 and the two experiments", f"`{run['command']}`", 1, run["seconds"],
                      f"{run.get('threads') or '?'} threads, finished {run['created']}"))
    stages = [(label, f"`python -m pruning_core.research.{command}`",  # a quick run's stages are not stored
               [r for r in s[collected][key] if "seconds" in r]) for label, collected, key, command in STAGES]
    stages.append(("L1 vs L2 seeds", "`python -m pruning_core.research.regularisers SEED`", s["l1_vs_l2"]))
    for label, command, stored in stages:
        if stored:
            dates = sorted(r.get("created", "?") for r in stored)
            parts.append((label, command, len(stored), sum(r["seconds"] for r in stored),
                          f"1 thread each, finished {dates[0]}" + (f" ... {dates[-1]}" if dates[-1] != dates[0] else "")))
    rows = [[label, command, runs, minutes(seconds), how] for label, command, runs, seconds, how in parts]
    total = sum(part[3] for part in parts)
    return "\n".join([
        "## 5. What the report costs from scratch",
        "`python -m pruning_core report` runs sections 1, 3 and 4, the two experiments, every protocol stage "
        "and L1 vs L2 seed that has no stored result (delete `assets/experiments/protocol_*.json` and "
        "`l1_vs_l2_*.json` to start over), then writes this file. Its time from scratch in one go "
        "(`time python -m pruning_core report` with nothing stored) has **not been measured**: on the shared "
        "2-CPU machine it takes hours. What each part took when it ran, from the run time each stored result "
        "records (minutes of one process's wall clock; each stage is a one-thread process, and two to four ran at "
        "a time):",
        table(["part", "command", "runs", "minutes (sum)", "how"], rows),
        f"\nSum: {total / 60:.0f} process-minutes. It is not a from-scratch time: the parts ran on different days, "
        "several at a time, while other work shared the machine, and a stage's time leaves out any dense model it "
        "found already trained in the cache (`~/.cache/prune-lab/protocol/`): round 3's five final dense models "
        "were trained on 2026-12-05 19:02-19:25 UTC (the cache files' times) by a first attempt at its final "
        "stages that was stopped (commit 239c383), so no stored result holds their training time."])
