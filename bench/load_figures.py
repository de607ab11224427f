"""What a load test run measured, as figures: completed and lost jobs, page response percentiles by
interaction, the burst against its compute, and the queue's wait estimate against the waits that followed
(``bench/load_test.py`` drives the run; ``bench/page_open.py`` uses the percentile)."""
from __future__ import annotations

import statistics

from pruning_core.service.runs import store as runs


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


def summarize(outcome: dict, sessions: int, epochs: int) -> dict:
    results = outcome["results"]
    on_disk = [run.summary() for run in runs.all_runs() if run.id not in outcome.get("reference_runs", ())]
    times = [t for r in results for _, t in r.get("samples", [])]
    by_kind: dict[str, list[float]] = {}
    for r in results:
        for name, t in r.get("samples", []):
            by_kind.setdefault(name, []).append(t)
    return {
        "sessions": sessions, "retrain_epochs": epochs,
        "completed": sum("done" in r and "error" not in r for r in results),
        "runs_on_disk": len(on_disk), "runs_done": sum(i["status"] == "done" for i in on_disk),
        "lost": sum(1 for r in results if r.get("pressed")) - sum(i["status"] == "done" for i in on_disk),
        "errors": sorted({r["error"] for r in results if "error" in r}),
        "p50_s": statistics.median(times) if times else float("nan"), "p95_s": percentile(times, 0.95),
        "max_s": max(times, default=float("nan")),
        "p95_by_interaction_s": {k: round(percentile(v, 0.95), 2) for k, v in by_kind.items()},
        "requests_by_interaction": {k: len(v) for k, v in by_kind.items()},  # e.g. how many polls the pages made
        "peak_rss_mb": round(outcome["peak_rss_mb"], 1), "wall_s": round(outcome["wall_s"], 1),
        # How busy the 2 cores were: the server's share, and everything (server, Chromium, other users' jobs).
        "server_cores": round(outcome["server_cores"], 2), "machine_cores": round(outcome["machine_cores"], 2),
        "dropped_polls": sum(r.get("dropped_polls", 0) for r in results),
        **burst_figures(outcome, sessions),
        **wait_figures(results, [run for run in runs.all_runs() if run.id not in outcome.get("reference_runs", ())]),
    }


def wait_figures(results: list[dict], burst_runs: list) -> dict:
    """The queue's wait estimate against the wait that followed, two ways.

    The queue's own (``wait_error_*``): each run's "started" line holds the estimate made when its job was
    queued and the wait from that moment until a worker took the job, on the server's clock - one job, one
    instant, one clock. The student's (``student_wait_error_*``): the same estimates against press -> the panel
    leaving "waiting", paired by rank (the line is first come first served); that wait also holds the time from
    the press until the server queued the job (30 presses are served one by one) and up to one 2 s poll of a
    waiting page, neither of which an estimate made at queueing can contain."""
    started = [line for run in burst_runs for line in run.metrics() if line.get("kind") == "started"]
    figures = {"max_wait_s": round(max((s["waited_s"] for s in started), default=float("nan")), 1),
               **_errors("wait", [(s["estimated_wait_s"], s["waited_s"]) for s in started])}
    measured = sorted(r["started_at"] - r["pressed_at"] for r in results if "started_at" in r)
    estimates = [run.config().get("settings", {}).get("estimated_wait_s")
                 for run in sorted(burst_runs, key=lambda run: run.config().get("created", 0.0))]
    return {**figures, "student_max_wait_s": round(max(measured, default=float("nan")), 1),
            **_errors("student_wait", list(zip(estimates, measured)))}


def _errors(name: str, pairs: list[tuple[float | None, float]]) -> dict:
    """Median and largest |estimate - measured| / measured over waits of 5 s and more (on shorter ones a poll's
    lag or a relay's tenth of a second is most of the error), and the median over waits of 30 s and more."""
    pairs = [(e, m) for e, m in pairs if e is not None and m >= 5.0]
    if not pairs:
        return {}
    errors = [abs(e - m) / m for e, m in pairs]
    long_errors = [abs(e - m) / m for e, m in pairs if m >= 30.0]
    return {f"{name}_error_median": round(statistics.median(errors), 3), f"{name}_error_max": round(max(errors), 3),
            f"{name}_error_median_30s": round(statistics.median(long_errors), 3) if long_errors else None,
            f"{name}_longest_estimated_s": round(max(pairs, key=lambda p: p[1])[0], 1)}


def burst_figures(outcome: dict, sessions: int) -> dict:
    """The burst against its compute: wall / (sessions x one job's time alone, same run: the median of the lone
jobs timed, each listed)."""
    single = outcome.get("single_job_s")
    if single is None:
        return {}
    return {"single_job_s": round(single, 2), "single_job_client_s": round(outcome["single_job_client_s"], 2),
            "single_jobs_s": outcome.get("single_jobs_s", [round(single, 2)]),
            "burst_over_compute": round(outcome["wall_s"] / (sessions * single), 2)}
