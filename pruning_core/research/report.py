"""``python -m pruning_core report``: regenerate docs/reproduction.md from real runs.

Runs every section of ``reproduce`` (and the two open-question experiments), writes the markdown with each
table naming its command and seed, renders the charts to PNG with the same Plotly figures the dashboard uses
(drawn by Debian's Chromium through Playwright; skipped with a note where that is missing), and ships the
``paper-92`` and ``paper-98`` checkpoints.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .. import checkpoint, paths
from . import experiments, reproduce
from ..plots import figures
from ..errors import UserError
from .report_text import render
from .reproduce import ReportPlan


def generate(plan: ReportPlan, out: Path, ship: bool, log: Callable[[str], None]) -> Path:
    """Run everything in ``plan`` and write the report to ``out`` (figures beside it in ``figures/``)."""
    started = time.time()
    sections: dict = {}
    for name, run in (("reference", reproduce.reference_schedule), ("sensitivity", reproduce.layer_sensitivity),
                      ("lenet5", reproduce.lenet5), ("methods", reproduce.pruning_methods),
                      ("regularisation", reproduce.regularisation)):
        log(f"report: {name} ...")
        sections[name] = run(plan)
    log("report: paper recipe at 92 % ...")
    sections["paper"], finals = reproduce.paper_sparsity(plan)
    log("report: moonshot towards 98 % ...")
    sections["moon"], paper_98 = reproduce.moonshot(plan, finals[reproduce.SHIPPED_SCOPE])
    sections["timing"] = reproduce.inference_timing(paper_98, plan.timing_repeats)
    for name in experiments.NAMES:
        log(f"report: experiment {name} ...")
        sections[name] = experiments.run_experiment(name, quick=plan.quick)
        if not plan.quick:
            experiments.save_results(name, sections[name])
    if ship:
        checkpoint.save(finals[reproduce.SHIPPED_SCOPE], paths.CHECKPOINTS_DIR / paths.BUILTIN_CHECKPOINTS["paper-92"])
        checkpoint.save(paper_98, paths.CHECKPOINTS_DIR / paths.BUILTIN_CHECKPOINTS["paper-98"])
    run = {"command": "python -m pruning_core report" + (" --quick" if plan.quick else ""),
           "created": time.strftime("%Y-%m-%d %H:%M"), "seconds": time.time() - started}
    if not plan.quick:  # the Experiments page shows these; a smoke run must not replace them
        experiments.save_results(experiments.REPORT, {
            "name": experiments.REPORT, **run, "plan": dataclasses.asdict(plan),
            "sections": {k: v for k, v in sections.items() if k not in experiments.NAMES}})
    return write(sections, dataclasses.asdict(plan), run, out, log)


def write(sections: dict, plan: dict, run: dict, out: Path, log: Callable[[str], None]) -> Path:
    charts = render_charts(sections, out.parent / "figures", log)
    out.write_text(render(sections, plan, run, charts))
    return out


def render_stored(out: Path, log: Callable[[str], None]) -> Path:
    """Re-write the report (text and charts) from the stored results of the last full run, without running
    anything: for changes to the report's wording or charts."""
    stored = experiments.load_results(experiments.REPORT)
    if stored is None:
        raise UserError("no stored report results yet; run `python -m pruning_core report` first")
    sections = dict(stored["sections"])
    for name in experiments.NAMES:
        sections[name] = experiments.load_results(name)
    # Results stored before plans were recorded came from the default plan (ReportPlan()).
    plan = stored.get("plan") or dataclasses.asdict(ReportPlan())
    run = {k: stored.get(k) for k in ("command", "created", "seconds")}
    run["rendered_by"] = "python -m pruning_core report --render-only"
    return write(sections, plan, run, out, log)


def render_charts(sections: dict, directory: Path, log: Callable[[str], None]) -> dict[str, str]:
    """PNG files of the report's charts; {} (and a log line) where no browser is available."""
    charts = {
        "reference": figures.accuracy_vs_sparsity(sections["reference"]["rows"],
                                                  sections["reference"]["baseline_accuracy"]),
        "global_vs_layer": figures.scope_comparison(sections["global_vs_layer"]["runs"]),
        "width_300_vs_600": figures.width_comparison(sections["width_300_vs_600"]["runs"]),
        "sensitivity": figures.sensitivity(sections["sensitivity"]),
        "methods": figures.methods(sections["methods"]),
    }
    try:
        from ..plots.snapshots import save_png
        directory.mkdir(parents=True, exist_ok=True)
        return {name: save_png(fig, directory / f"{name}.png").name for name, fig in charts.items()}
    except Exception as err:  # a report without pictures is still a report
        log(f"report: charts not rendered ({type(err).__name__}: {err})")
        return {}


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(quick: bool, out: str, ship: bool, render_only: bool = False) -> Path:
    if render_only:
        return render_stored(Path(out), _log)
    return generate(reproduce.QUICK if quick else ReportPlan(), Path(out), ship, _log)
