"""Prune & retrain: one magnitude-pruning step (or the reference schedule) on the session's model, run as a
background job with live progress, plus the step history with go-back, reset and downloads."""
import csv
import io

import streamlit as st

import ui_state
from pruning_core import checkpoint, lab
from pruning_core.plots import figures
from pruning_core.prune import Unreachable
from pruning_core.service import tasks
from pruning_core.service.jobs import Job
from pruning_core.service.records import JobSnapshot
from pruning_core.settings import PRUNE_SCOPES

SCOPE_LABELS = {"global": "global (one threshold)", "layer": "per layer (same % each)",
                "std": "per layer (quality x std)"}
LR_MIN = 1e-4
TABLE_COLUMNS = ["step", "percent", "scope", "threshold", "accuracy_after_prune", "accuracy_after_retrain",
                 "nonzero_fc1", "nonzero_fc2", "nonzero_fc3", "nonzero"]


def pct(value: float | None) -> str:
    return "..." if value is None else f"{100 * value:.2f} %"


def live(snap: JobSnapshot, job: Job) -> None:
    """While a prune job runs: progress, the three accuracies of the current step, and the training curve."""
    ui_state.progress_and_cancel(snap, job)
    events, finished = snap.events, snap.outcome.steps
    last_pruned = max((i for i, e in enumerate(events) if e.kind == "pruned"), default=None)
    current = events[last_pruned:] if last_pruned is not None else ()
    epochs = [e for e in current if e.kind == "epoch"]
    before = finished[-1].accuracy if finished else snap.spec.before
    after_prune = current[0].accuracy if current else None
    show_metrics(before, after_prune, epochs[-1].accuracy if epochs else None,
                 f" (epoch {epochs[-1].epoch}/{epochs[-1].epochs})" if epochs else "")
    if finished and snap.kind == "schedule":
        rows = lab.step_table(finished[-1].history[len(finished[0].history):])
        ui_state.chart(figures.accuracy_vs_sparsity(rows, finished[0].accuracy),
                       "The schedule so far: accuracy right after each prune (dashed) and after its retraining.",
                       "live-sparsity")
    if events:
        ui_state.chart(figures.training_curve(ui_state.event_dicts(snap)), "Training loss every 50 steps (top) and "
                       "test accuracy after pruning and after each retraining epoch (bottom).", "live-curve")


def show_metrics(before: float | None, after_prune: float | None, after_retrain: float | None,
                 note: str = "") -> None:
    left, middle, right = st.columns(3)
    left.metric("Before pruning", pct(before))
    middle.metric("After prune", pct(after_prune),
                  None if None in (before, after_prune) else f"{100 * (after_prune - before):+.2f} pts")
    right.metric("After retrain" + note, pct(after_retrain),
                 None if None in (after_prune, after_retrain) else f"{100 * (after_retrain - after_prune):+.2f} pts")


def history_section(ckpt) -> None:
    st.subheader("Step history")
    steps = ui_state.steps()
    rows = lab.step_table(ckpt.history)
    if not rows:
        st.info("No pruning steps yet: choose a percent above and press Prune + retrain.")
    else:
        table = [{k: (100 * row[k] if k.startswith("accuracy") else row[k]) for k in TABLE_COLUMNS if k in row}
                 for row in rows]
        st.dataframe(table, hide_index=True, key="history-table", column_config={
            "accuracy_after_prune": st.column_config.NumberColumn("acc. after prune (%)", format="%.2f"),
            "accuracy_after_retrain": st.column_config.NumberColumn("acc. after retrain (%)", format="%.2f"),
            "threshold": st.column_config.NumberColumn(format="%.4f")})
        ui_state.chart(figures.accuracy_vs_sparsity(rows, None if steps[0].history else steps[0].accuracy),
                       "Accuracy right after each prune (dashed) and after retraining (solid): retraining "
                       "recovers what pruning loses, until very high sparsity.", "history-chart")
    busy = ui_state.busy()
    back, reset, downloads = st.columns([2, 1, 2])
    if len(steps) > 1:
        labels = {i: (f"{i}: as loaded" if i == 0 else f"{i}: after pruning to {s.history[-1].percent:g} %")
                  for i, s in enumerate(steps[:-1])}
        target = back.selectbox("Go back to step", list(labels), index=len(labels) - 1, format_func=labels.get)
        if back.button("Go back", disabled=busy):
            st.session_state.steps = steps[:target + 1]
            st.rerun()
    if reset.button("Reset to baseline", disabled=busy or len(steps) == 1):
        st.session_state.steps = steps[:1]
        st.rerun()
    if rows:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        downloads.download_button("Step table (CSV)", buffer.getvalue(), "prune-steps.csv", "text/csv",
                                  on_click="ignore")
    # A callable: the 1.3 MB file is only made when someone clicks, not on every run of the page.
    downloads.download_button("Current checkpoint (.pt)", lambda: checkpoint.to_bytes(ckpt),
                              f"prune-lab-{ui_state.card(ckpt)['sparsity']:.0f}pct.pt", "application/octet-stream",
                              on_click="ignore")


st.title("Prune & retrain")
st.caption("Han et al. (2015): remove the weights with the smallest magnitude, then retrain the survivors "
           "while the pruned ones stay at zero. The percent is of all weights and is cumulative.")
ckpt = ui_state.current()
busy = ui_state.busy()
c_percent, c_scope, c_epochs, c_lr = st.columns([3, 2, 1, 1])
percent = c_percent.slider("Prune to (% of all weights)", 0.0, 99.9, 90.0, 0.1, key="percent")
scope = c_scope.selectbox("Threshold", PRUNE_SCOPES, format_func=SCOPE_LABELS.get, key="scope")
epochs = c_epochs.number_input("Retrain epochs", 0, 20, 1, key="epochs")
# Never below the widget's minimum: a recipe with lr < 0.001 would otherwise make Streamlit raise.
lr = c_lr.number_input("Learning rate", LR_MIN, 1.0, max(LR_MIN, ckpt.recipe.lr / 10), LR_MIN, format="%.4f",
                       key="lr", help="Han et al. retrain with 1/10 of the original learning rate.")
run, schedule = st.columns(2)
# Only after "below the current sparsity" does going back help; a disk error, say, is shown as it is.
HINTS = {Unreachable: ". To prune less, go back to an earlier step or reset to the baseline below."}
if run.button("Prune + retrain", type="primary", disabled=busy, width="stretch"):
    ui_state.attempt(lambda: ui_state.launch(tasks.prune, ui_state.steps(), [percent], scope, int(epochs), lr),
                     HINTS)
if schedule.button("Run the reference schedule (10 -> 99 %, one step each)", disabled=busy, width="stretch"):
    ui_state.attempt(lambda: ui_state.launch(tasks.reference_schedule, ui_state.steps(), scope, int(epochs), lr),
                     HINTS)

ui_state.poll("prune", live, ("prune", "schedule"))
if not busy and ckpt.history:
    last = ckpt.history[-1]
    st.markdown(f"**Last step:** pruned to {last.percent:g} % ({last.scope}), "
                f"{last.retrain_epochs} retrain epoch(s) at lr {last.retrain_lr:g}")
    show_metrics(last.accuracy_before, last.accuracy_after_prune, last.accuracy_after_retrain)
history_section(ckpt)
