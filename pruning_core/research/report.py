"""``python -m pruning_core report``: regenerate docs/reproduction.md from real runs.

Runs every section of ``reproduce``, the two open-question experiments and the validation protocol's missing
stages (``protocol.run_all``: they ship ``paper-92``, ``paper-98``, ``paper-68x`` and ``lenet5-92``) and the
L1 vs L2 seeds not stored yet (``regularisers``), writes
the markdown with each table naming its command and seed, and renders the charts to PNG with the same Plotly
figures the dashboard uses (drawn by Debian's Chromium through Playwright; skipped with a note where that is
missing). ``documents`` is the pure text of every results doc, which a test compares with docs/.
"""
from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .. import checkpoint, cpus
from . import experiments, protocol, protocol3_text, protocol_text, regularisers, reproduce
from ..plots import figures, pareto
from ..errors import UserError
from .report_text import REFERENCE_DOC, reference_doc, render
from .reproduce import ReportPlan


def generate(plan: ReportPlan, out: Path, ship: bool, log: Callable[[str], None],
             experiment_plan: experiments.ExperimentPlan | None = None,
             runner: experiments.Runner | None = None) -> Path:
    """Run everything in ``plan`` and write the report to ``out`` (figures beside it in ``figures/``); the two
    experiments run with ``experiment_plan`` (default: the standard plan of the same mode), their independent
    runs by ``runner`` (default: one after another here; the CLI passes the executor's)."""
    started = time.time()
    sections: dict = {}
    for name, run in (("reference", reproduce.reference_schedule), ("sensitivity", reproduce.layer_sensitivity),
                      ("methods", reproduce.pruning_methods), ("regularisation", reproduce.regularisation)):
        log(f"report: {name} ...")
        sections[name] = run(plan)
    # The validation protocol stores each of its stages itself (a quick run stores and ships nothing).
    sections["protocol"] = protocol.quick() if plan.protocol == "quick" else protocol.run_all(ship, log)
    sections["protocol3"] = protocol.collect3()
    if plan.protocol != "quick":
        regularisers.run_missing(log)
    sections["l1_vs_l2"] = regularisers.collect()
    sections["shipped_layers"] = shipped_layers()
    sections["timing"] = reproduce.inference_timing(checkpoint.load("paper-98"), plan.timing_repeats)
    for name in experiments.NAMES:
        log(f"report: experiment {name} ...")
        sections[name] = experiments.run_experiment(name, quick=plan.quick, plan=experiment_plan, runner=runner)
        if not plan.quick:
            experiments.save_results(name, sections[name])
    run = {"command": "python -m pruning_core report" + (" --quick" if plan.quick else ""),
           "created": time.strftime("%Y-%m-%d %H:%M"), "seconds": time.time() - started,
           "threads": cpus.current(), "commit": protocol.commit()}
    if runner is not None:  # the executor's runs have their own thread count and run side by side
        run["experiment_runs"] = {"at_once": getattr(runner, "slots", None),
                                  "threads": getattr(runner, "threads", None)}
    if not plan.quick:  # the Experiments page shows these; a smoke run must not replace them
        experiments.save_results(experiments.REPORT, {
            "name": experiments.REPORT, **run, "plan": dataclasses.asdict(plan),
            "sections": {k: v for k, v in sections.items()
                         if k not in experiments.NAMES + ("protocol", "protocol3", "l1_vs_l2", "shipped_layers")}})
    return write(sections, dataclasses.asdict(plan), run, out, log)


SHIPPED_LAYERS = ("paper-92", "paper-98", "paper-68x", "lenet5-92")
CHARTS = ("reference", "pareto", "global_vs_layer", "width_300_vs_600", "sensitivity", "methods")


def documents(sections: dict, plan: dict | None, run: dict, charts: dict[str, str]) -> dict[str, str]:
    """The results docs as text: the report, and the reference schedule doc (docs/reference-schedule.md)."""
    return {"reproduction.md": render(sections, plan, run, charts),
            REFERENCE_DOC: reference_doc(sections["reference"], run)}


def write(sections: dict, plan: dict | None, run: dict, out: Path, log: Callable[[str], None]) -> Path:
    charts = render_charts(sections, out.parent / "figures", log)
    for name, text in documents(sections, plan, run, charts).items():
        (out.parent / name if name == REFERENCE_DOC else out).write_text(text)
    return out


def render_stored(out: Path, log: Callable[[str], None]) -> Path:
    """Re-write the report (text and charts) from the stored results of the last full run, without running
    anything: for changes to the report's wording or charts."""
    return write(*stored_inputs(), out, log)


def stored_inputs() -> tuple[dict, dict | None, dict]:
    """(sections, plan, run) of the stored results: the report's own, the two experiments', the protocol's
    stages. A run stored before plans were recorded has plan None (the text says so; no default is assumed)."""
    stored = experiments.load_results(experiments.REPORT)
    if stored is None:
        raise UserError("no stored report results yet; run `python -m pruning_core report` first")
    sections = dict(stored["sections"])
    for name in experiments.NAMES:
        sections[name] = experiments.load_results(name)
    sections["protocol"] = protocol.collect()
    sections["protocol3"] = protocol.collect3()
    sections["l1_vs_l2"] = regularisers.collect()
    sections["shipped_layers"] = shipped_layers()
    run = {k: stored.get(k) for k in ("command", "created", "seconds", "threads", "commit")}
    run["rendered_by"] = "python -m pruning_core report --render-only"
    return sections, stored.get("plan"), run


def shipped_layers() -> dict[str, dict[str, float]]:
    """Per-layer kept shares (%) of the shipped pruned checkpoints, for the comparison with Han et al."""
    return {name: protocol3_text.kept_shares(name) for name in SHIPPED_LAYERS}


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
    if sections["protocol"]["finals"]:
        charts["pareto"] = pareto.pareto(protocol_text.pareto_rows(sections["protocol"]["finals"]),
                                         protocol_text.LITERATURE)
    try:
        from ..plots.snapshots import save_png
        directory.mkdir(parents=True, exist_ok=True)
        return {name: save_png(fig, directory / f"{name}.png").name for name, fig in charts.items()}
    except Exception as err:  # a report without new pictures is still a report: link the ones on disk
        log(f"report: charts not rendered ({type(err).__name__}: {err})")
        return {name: f"{name}.png" for name in CHARTS if (directory / f"{name}.png").is_file()}


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(quick: bool, out: str, ship: bool, render_only: bool = False,
         runner: experiments.Runner | None = None) -> Path:
    if render_only:
        return render_stored(Path(out), _log)
    return generate(reproduce.QUICK if quick else ReportPlan(), Path(out), ship, _log, runner=runner)
