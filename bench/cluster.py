"""A 30-student burst on the ``local`` executor vs ``ray`` on this machine, and a scale-out model for a lab.

``.venv/bin/python -m bench.cluster [--jobs 30] [--retrain-epochs 1] [--pc-cpus 4] [--target 60]``

Each job is the classroom's "Prune + retrain" (90 %, global, ``--retrain-epochs``) of the shipped baseline,
one per student (a distinct retraining seed each, so the 30 jobs are 30 sweep points of equal cost), one
thread per job. Both executors get this machine's CPUs: ``local`` as worker processes, ``ray`` as a private
local Ray instance (its start-up timed apart). On the same CPUs the ratio of the walls is Ray's overhead.

The scale-out model (an estimate, not a measurement of a real lab): a lab of P PCs with ``--pc-cpus`` CPUs
each runs P x c jobs at once; a burst of N jobs takes ceil(N / (P x c)) waves of (one job's seconds + Ray's
measured overhead per job), with one job's seconds measured here at one thread (lab PCs of a similar speed
assumed). It prints the smallest P that brings the burst under ``--target`` seconds.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

from bench.timing import machine
from pruning_core import checkpoint, cpus
from pruning_core.service import executors
from pruning_core.service.batch import sweep


def burst(name: str, jobs: int, retrain_epochs: int) -> dict:
    """Wall time of ``jobs`` prune + retrain jobs submitted at once; per-job seconds inside the worker."""
    started = time.perf_counter()
    executor = executors.create(name, slots=cpus.AVAILABLE)
    ready = time.perf_counter()
    start = checkpoint.load("baseline")
    points = sweep.plan(start, [90.0], ["global"], list(range(1, jobs + 1)), retrain_epochs=retrain_epochs)
    results = sweep.run(checkpoint.resolve("baseline").read_bytes(), points, executor, retrain_epochs)
    done = time.perf_counter()
    executor.close()
    per_job = statistics.median(r["seconds"] for r in results)
    return {"executor": name, "slots": executor.slots, "start_s": ready - started, "wall_s": done - ready,
            "job_s": per_job, "overhead_per_job_s": (done - ready) * executor.slots / jobs - per_job,
            "accuracies": [r["accuracy_after_retrain"] for r in results]}


def lab_pcs(jobs: int, job_s: float, overhead_s: float, pc_cpus: int, target_s: float) -> tuple[int, float]:
    """The smallest number of lab PCs (each ``pc_cpus`` CPUs) that runs the burst within ``target_s``."""
    for pcs in range(1, jobs + 1):
        seconds = math.ceil(jobs / (pcs * pc_cpus)) * (job_s + max(0.0, overhead_s))
        if seconds <= target_s:
            return pcs, seconds
    return jobs, math.ceil(jobs / (jobs * pc_cpus)) * (job_s + overhead_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--retrain-epochs", type=int, default=1)
    parser.add_argument("--pc-cpus", type=int, default=4, help="CPUs of one lab PC (scale-out model)")
    parser.add_argument("--target", type=float, default=60.0, help="seconds the whole burst should take")
    args = parser.parse_args(argv)
    print(f"command: python -m bench.cluster {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"machine: {machine()}\n", flush=True)
    local = burst("local", args.jobs, args.retrain_epochs)
    on_ray = burst("ray", args.jobs, args.retrain_epochs)
    print("| executor | slots | start-up | burst wall | one job (in worker) | overhead per job |")
    print("|---|---|---|---|---|---|")
    for row in (local, on_ray):
        print(f"| {row['executor']} | {row['slots']} | {row['start_s']:.1f} s | {row['wall_s']:.1f} s | "
              f"{row['job_s']:.2f} s | {row['overhead_per_job_s']:.2f} s |")
    same = local["accuracies"] == on_ray["accuracies"]
    print(f"\nray / local burst wall: {on_ray['wall_s'] / local['wall_s']:.2f}x; same accuracies: {same}")
    ray_extra = on_ray["overhead_per_job_s"] - local["overhead_per_job_s"]
    pcs, seconds = lab_pcs(args.jobs, on_ray["job_s"], on_ray["overhead_per_job_s"], args.pc_cpus, args.target)
    print(f"scale-out model: {args.jobs} jobs of {on_ray['job_s']:.2f} s + {on_ray['overhead_per_job_s']:.2f} s "
          f"Ray overhead each ({ray_extra:+.2f} s vs local) on PCs of {args.pc_cpus} CPUs: {pcs} lab PC(s) "
          f"-> about {seconds:.0f} s (target {args.target:.0f} s)")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
