"""``make bench`` / ``python -m bench``: every performance benchmark, side by side, in one process.

Runs, in order: epoch (reference pipeline vs engine vs sgemm floor, plus evaluation and the server's thread
count), interactive (the dashboard's prune + retrain call), schedule (the dashboard's reference schedule
against its floor; ``--schedule`` adds the reference's full 20-epoch schedule), sparse (retraining cost
against the share of weights kept, dense and compressed paths) and payload (bytes per dashboard figure).
``--quick`` takes fewer repeats. Each part prints a markdown table of medians, its ratios and its goals, ready
to paste into docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import sys

from bench import epoch, interactive, payload, schedule, sparse
from bench.timing import machine


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7 (2 instead of 5 for prune)")
    parser.add_argument("--schedule", action="store_true",
                        help="also run the reference's full schedule (20 retraining epochs per step; minutes on 2 CPUs)")
    args = parser.parse_args(argv)
    print(f"command: python -m bench {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"machine: {machine()}\n", flush=True)
    epoch.main(3 if args.quick else 7)
    print(flush=True)
    interactive.main(2 if args.quick else 5)
    print(flush=True)
    schedule.main(2 if args.quick else 3, full=args.schedule)
    print(flush=True)
    sparse.main(2 if args.quick else 5)
    print(flush=True)
    payload.main()


if __name__ == "__main__":
    main()
