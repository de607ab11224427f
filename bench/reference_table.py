"""Side-by-side: our ``seed``-preset schedule vs the reference blog's thresholds and accuracies.

Reads the ``table.csv`` that ``python -m pruning_core schedule`` writes and prints a markdown table.
Run: ``.venv/bin/python -m bench.reference_table DIR/table.csv``.
"""
from __future__ import annotations

import csv
import sys

from pruning_core.research.report_text import REFERENCE_THRESHOLDS

# The accuracies the reference quotes right after pruning (its thresholds live with the report's text).
REFERENCE_AFTER_PRUNE = {90: "93 %", 95: "85 %", 98: "60 %", 99: "46 %"}


def main(path: str) -> None:
    print("| percent | reference threshold | our threshold | ours / reference | reference acc. after prune |"
          " our acc. after prune | our acc. after retrain | nonzero (fc1 / fc2 / fc3) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in csv.DictReader(open(path)):
        percent = float(row["percent"])
        ref = REFERENCE_THRESHOLDS.get(round(percent))
        ours = float(row["threshold"])
        ratio = f"{ours / ref:.3f}" if ref else "-"
        print(f"| {percent:g} | {ref if ref else '-'} | {ours:.5f} | {ratio} | "
              f"{REFERENCE_AFTER_PRUNE.get(round(percent), '~97 %' if percent <= 80 else '-')} | "
              f"{100 * float(row['accuracy_after_prune']):.2f} % | {100 * float(row['accuracy_after_retrain']):.2f} % | "
              f"{row['nonzero_fc1']} / {row['nonzero_fc2']} / {row['nonzero_fc3']} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m bench.reference_table DIR/table.csv")
    main(sys.argv[1])
