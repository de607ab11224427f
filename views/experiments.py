"""Experiments: three questions, each answered in one plain sentence before its chart - why magnitude
(magnitude pruning against random and largest-first controls, stored by ``python -m
pruning_core.research.controls``), global vs layer-wise pruning and 300 vs 600 hidden units (precomputed by
``python -m pruning_core experiments``, or a quick re-run in the background that only this session sees); then,
folded away, the research detail: the reproduction of the reference and of Han et al. (stored by ``python -m
pruning_core report``)."""
import streamlit as st

from ui import jobs as ui_jobs
from ui import state as ui_state
from pruning_core.research import answers, controls, experiments
from pruning_core.research.report_sections import ReportSections
from pruning_core.plots import figures, pareto
from pruning_core.research import protocol, protocol3_text, protocol_text, regularisers, report
from pruning_core.errors import UserError
from pruning_core.service.actions import tasks
from pruning_core.service.jobs.job import Job
from pruning_core.service.jobs.records import JobKind, JobSnapshot

ABOUT = {
    "global_vs_layer": ("One threshold for the whole network, or the same share in every layer?",
                        "One threshold for the whole network vs the same percent in every layer, each step "
                        "retrained; with one global threshold the layers lose different shares of weights.",
                        figures.scope_comparison, ("scope", "seed")),
    "width_300_vs_600": ("300 or 600 hidden units: does a wider network prune better?",
                         "Percent of hidden neurons active per test image (percent 0 = before pruning), for "
                         "the 300- and the 600-wide first layer.",
                         figures.width_comparison, ("hidden", "seed")),
}
ANSWER = {"global_vs_layer": answers.global_vs_layer, "width_300_vs_600": answers.width}  # the plain sentence


def live(snap: JobSnapshot, job: Job) -> None:
    ui_jobs.progress_and_cancel(snap, job)
    name, points = snap.spec.experiment, snap.outcome.points
    if points:
        _, caption, draw, keys = ABOUT[name]
        ui_state.chart(draw(experiments.runs_from_points(points, keys)), "So far: " + caption, f"live-{name}")


def why_magnitude() -> None:
    """The stored magnitude vs random vs largest runs: the answer in one sentence, then the chart."""
    try:
        data = experiments.load_results(controls.NAME)
    except UserError as err:
        st.error(ui_state.plain(str(err)))
        return
    if data is None:
        st.info("No stored result yet - run `python -m pruning_core.research.controls` on the server.")
        return
    s = data["settings"]
    st.markdown(controls.answer(data))
    ui_state.chart(figures.controls_comparison(controls.summary(data), controls.LABELS),
                   f"The same schedule from the shipped baseline with three ways of choosing what goes; "
                   f"{s['retrain_epochs']} retraining epoch(s) per step. Mean ± sd over seeds {s['seeds']} (the "
                   "seed of the retraining and of the random choice). Test accuracy: this shows how the method "
                   "works and chooses no setting.", "chart-controls")


st.title("Experiments")
st.caption("Three questions about pruning, each answered in one sentence first; the charts show the numbers, "
           "and the research detail is folded away at the end.")
st.subheader("Why prune the smallest weights?")
why_magnitude()
def result(name: str, data: dict, caption: str, key: str) -> None:
    """One stored or re-run result: its answer in one sentence, its chart, and what run it was."""
    _, _, draw, _ = ABOUT[name]
    st.markdown(ANSWER[name](data))
    ui_state.chart(draw(data["runs"]), caption, key)
    s = data["settings"]
    st.caption(f"{'Quick' if data['quick'] else 'Full'} run of {data['created']}: percents "
               f"{', '.join(f'{p:g}' for p in s['percents'])}; {s['retrain_epochs']} retrain epoch(s) per "
               f"step; seeds {s['seeds']}.")


busy, held = ui_state.busy(), ui_state.active_job()
# A quick re-run's progress is drawn under its own button, not at the page's foot (the page's one job panel).
running = held.spec.experiment if held is not None and held.kind == JobKind.EXPERIMENT else None
for name, (title, caption, _, _) in ABOUT.items():
    st.subheader(title)
    try:
        stored = experiments.load_results(name)
    except UserError as err:
        st.error(ui_state.plain(str(err)))
        stored = None
    if stored is None:
        st.info("No precomputed results yet - run `python -m pruning_core experiments` on the server, or "
                "start a quick run here.")
    else:
        result(name, stored, caption, f"chart-{name}")
    quick = st.session_state.get(f"experiment:{name}")
    if quick is not None:  # beside the stored (several seeds) result, never in its place
        st.markdown("**Your quick re-run** (seen in your browser session only):")
        result(name, quick, caption, f"chart-{name}-quick")
    if st.button("Re-run quickly in the background", key=f"rerun-{name}", disabled=busy,
                 help="1 seed, few percents: about a minute; its results show in your browser session only."):
        ui_state.attempt(lambda: ui_state.launch(tasks.quick_experiment, name, title))
    if running == name:
        ui_jobs.poll(ui_jobs.Panel.EXPERIMENTS, live)
if running not in ABOUT:
    ui_jobs.poll(ui_jobs.Panel.EXPERIMENTS, live)


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
        st.markdown(regularisers.section(regularisers.collect()))  # the same question over 5 seeds, validated
    if report.timing and 1000 in report.timing:
        st.markdown("**One forward pass of 1,000 images:** " + ", ".join(
            f"{kind} {1e3 * report.timing[1000][kind]:.2f} ms" for kind in ("dense", "csr", "shrunk")))


st.subheader("Research detail")
with st.expander("Han et al.'s points under a validation protocol: several seeds"):
    protocol_results, round3 = protocol.collect(), protocol.collect3()
    if protocol_results["finals"]:
        ui_state.chart(pareto.pareto(protocol_text.pareto_rows(protocol_results["finals"]), protocol_text.LITERATURE),
                       "Round 2 (global scope): test error against compression from the dense model (1x) on, mean ± "
                       "sd over 5 seeds (bars); solid: counting weights and biases, dotted: weights only. The "
                       "literature's points are one run each, labelled with the convention each paper counts in.",
                       "protocol-pareto")
        st.markdown(protocol_text.targets_section(protocol_results, protocol.replaced_by_round3()))
    else:
        st.info("No final runs stored yet - see docs/reproduction.md section 2 for the commands.")
    st.markdown(protocol3_text.layers_section(report.shipped_layers(), round3))
    st.markdown(protocol3_text.round3_section(round3, protocol_results["finals"]))

with st.expander("Reproducing the reference and Han et al."):
    try:
        stored_report = experiments.load_results(experiments.REPORT)
        sections = None if stored_report is None else ReportSections.from_dict(stored_report)
    except UserError as err:
        st.error(ui_state.plain(str(err)))
    else:
        if sections is None:
            st.info("No stored report yet - run `python -m pruning_core report` on the server (about 25 minutes).")
        else:
            reproduction(sections)

