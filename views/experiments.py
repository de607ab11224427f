"""Experiments: global vs layer-wise pruning and 300 vs 600 hidden units (precomputed by
``python -m pruning_core experiments``, or a quick re-run in the background that only this session sees), and
the reproduction of the reference and of Han et al. (stored by ``python -m pruning_core report``)."""
import streamlit as st

import ui_jobs
import ui_state
from pruning_core.research import experiments
from pruning_core.research.report_sections import ReportSections
from pruning_core.plots import figures, pareto
from pruning_core.research import protocol, protocol_text
from pruning_core.errors import UserError
from pruning_core.service import tasks
from pruning_core.service.jobs import Job
from pruning_core.service.records import JobSnapshot

ABOUT = {
    "global_vs_layer": ("Global vs layer-wise threshold",
                        "One threshold for the whole network vs the same percent in every layer, each step "
                        "retrained; with one global threshold the layers lose different shares of weights.",
                        figures.scope_comparison, ("scope", "seed")),
    "width_300_vs_600": ("300 vs 600 hidden units",
                         "Percent of hidden neurons active per test image (percent 0 = before pruning), for "
                         "the 300- and the 600-wide first layer.",
                         figures.width_comparison, ("hidden", "seed")),
}


def live(snap: JobSnapshot, job: Job) -> None:
    ui_jobs.progress_and_cancel(snap, job)
    name, points = snap.spec.experiment, snap.outcome.points
    if points:
        _, caption, draw, keys = ABOUT[name]
        ui_state.chart(draw(experiments.runs_from_points(points, keys)), "So far: " + caption, f"live-{name}")


st.title("Experiments")
st.caption("Two questions from the reference, answered with precomputed runs; a quick re-run (1 seed, few "
           "percents) takes about a minute and shows its results in your browser session only.")
busy = ui_state.busy()
for name, (title, caption, draw, keys) in ABOUT.items():
    st.subheader(title)
    try:
        data = st.session_state.get(f"experiment:{name}") or experiments.load_results(name)
    except UserError as err:
        st.error(str(err))
        data = None
    if data is None:
        st.info("No precomputed results yet - run `python -m pruning_core experiments` on the server, or "
                "start a quick run here.")
    else:
        ui_state.chart(draw(data["runs"]), caption, f"chart-{name}")
        s = data["settings"]
        st.caption(f"{'Quick' if data['quick'] else 'Full'} run of {data['created']}: percents "
                   f"{', '.join(f'{p:g}' for p in s['percents'])}; {s['retrain_epochs']} retrain epoch(s) per "
                   f"step; seeds {s['seeds']}.")
    if st.button("Re-run quickly in the background", key=f"rerun-{name}", disabled=busy):
        ui_state.attempt(lambda: ui_state.launch(tasks.quick_experiment, name, title))
ui_jobs.poll("experiments", live)


def percent_rows(rows: list[dict], keys: dict[str, str]) -> list[dict]:
    """Report rows with accuracies as percentages, under readable column names."""
    return [{title: round(100 * row[key], 2) if "accuracy" in key else row[key] for key, title in keys.items()}
            for row in rows]


def reproduction(report: ReportSections) -> None:
    """The reproduction report's results (no computation here: the stored sections, drawn; a section the
    stored report lacks is left out)."""
    st.caption(f"From `{report.command}` ({report.created}); the full write-up is docs/reproduction.md.")
    if report.reference:
        ui_state.chart(figures.accuracy_vs_sparsity(list(report.reference.rows), report.reference.baseline_accuracy),
                       "The reference's schedule on the seed baseline, 20 retraining epochs per step: accuracy right "
                       "after each prune and after retraining (thresholds: docs/reproduction.md).", "report-reference")
    left, right = st.columns(2)
    if report.sensitivity:
        with left:
            ui_state.chart(figures.sensitivity(report.sensitivity), "Each layer pruned alone, no retraining: the "
                           "small output layer fc3 breaks first.", "report-sensitivity")
    if report.methods:
        with right:
            ui_state.chart(figures.methods(report.methods), "Han's iterative pruning vs a gradual (AGP) schedule "
                           "vs lottery-ticket rewinding, same retraining per step.", "report-methods")
    if report.regularisation:
        st.markdown("**L1 vs L2 regularisation** (one-shot prune from each dense model, then retraining)")
        st.dataframe([{"regulariser": name, **row} for name, points in report.regularisation.items()
                      for row in percent_rows(list(points), {"percent": "percent",
                                                             "accuracy_after_prune": "after prune (%)",
                                                             "accuracy_after_retrain": "after retrain (%)"})],
                     hide_index=True)
    if report.timing and 1000 in report.timing:
        st.markdown("**One forward pass of 1,000 images:** " + ", ".join(
            f"{kind} {1e3 * report.timing[1000][kind]:.2f} ms" for kind in ("dense", "csr", "shrunk")))


st.subheader("Beating the paper, honestly: validation-chosen plan, several seeds")
protocol_results = protocol.collect()
if protocol_results["finals"]:
    ui_state.chart(pareto.pareto(protocol_text.pareto_rows(protocol_results["finals"]), protocol_text.LITERATURE),
                   "Test error against compression (mean ± sd over seeds; solid: counting weights and biases, "
                   "dotted: weights only) next to the literature's points as each paper reports them.",
                   "protocol-pareto")
    st.markdown(protocol_text.targets_section(protocol_results))
else:
    st.info("No final runs stored yet - see docs/reproduction.md section 2 for the commands.")


st.subheader("Reproducing the reference and Han et al.")
try:
    stored_report = experiments.load_results(experiments.REPORT)
    sections = None if stored_report is None else ReportSections.from_dict(stored_report)
except UserError as err:
    st.error(str(err))
else:
    if sections is None:
        st.info("No stored report yet - run `python -m pruning_core report` on the server (about 25 minutes).")
    else:
        reproduction(sections)

