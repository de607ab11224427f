"""The steps of the student's line in the dashboard. Which finished step the pages show: the Prune page's step
scrubber sets it, and Weights, Histograms and Activations draw that step as "after" (the latest one unless the
class scrubbed back). And the Prune page's step history: the table, go back, reset, downloads.
Streamlit glue only."""
from __future__ import annotations

import csv
import io

import streamlit as st

import ui_session
import ui_state
from pruning_core import checkpoint, lab
from pruning_core.checkpoint import Checkpoint

KEY = "shown-step"
TABLE_COLUMNS = ["step", "percent", "scope", "threshold", "accuracy_after_prune", "accuracy_after_retrain",
                 "nonzero_fc1", "nonzero_fc2", "nonzero_fc3", "nonzero"]


def label(index: int, ckpt: Checkpoint) -> str:
    """How a step is named on the scrubber and on every page: 0 is the model as loaded."""
    return "as loaded" if index == 0 else f"step {index}: {ckpt.history[-1].percent:g} %"


def widths(ckpt: Checkpoint) -> list[int]:
    """The network's layer widths, input to output (784, 300, 100, 10 for LeNet-300-100)."""
    return [784, *ckpt.model.settings.hidden, 10]


def shown_index() -> int:
    """The scrubbed step, or the latest one. A choice holds while the line is as long as when it was made:
    a new step landing (or a reset, or going back) shows the latest again."""
    last = len(ui_state.steps()) - 1
    chosen = st.session_state.get(KEY)
    if isinstance(chosen, tuple) and len(chosen) == 2 and chosen[1] == last and 0 <= chosen[0] <= last:
        return chosen[0]
    return last


def choose(index: int) -> None:
    """Show step ``index`` on every page (until the line changes)."""
    st.session_state[KEY] = (index, len(ui_state.steps()) - 1)


def scrubber() -> None:
    """A slider over the finished steps that sets which one every page shows (nothing with only one step)."""
    steps = ui_state.steps()
    if len(steps) < 2:
        return
    # A new widget per line length: a landed step starts the slider at the latest again.
    key = f"scrubber-{len(steps)}"
    st.select_slider("Step shown on every page (Weights, Histograms, Activations)", list(range(len(steps))),
                     value=shown_index(), format_func=lambda i: label(i, steps[i]), key=key,
                     on_change=lambda: choose(st.session_state[key]))


def shown() -> Checkpoint:
    """The model every page shows as "after"."""
    return ui_state.steps()[shown_index()]


def pair() -> dict[str, Checkpoint]:
    """{"before": the model as loaded, "after": the step being shown}, the comparison of every page."""
    return {"before": ui_state.base(), "after": shown()}


def titles() -> dict[str, str]:
    """Figure titles that name both sides and their sparsity ("after: step 3: 30 % - 30.0 % pruned")."""
    index, after = shown_index(), shown()
    scrubbed = " (scrubbed back)" if index < len(ui_state.steps()) - 1 else ""
    return {"before": f"before: {ui_state.model_name(ui_state.base())} - "
                      f"{ui_state.card(ui_state.base())['sparsity']:.1f} % pruned",
            "after": f"after: {label(index, after)}{scrubbed} - {ui_state.card(after)['sparsity']:.1f} % pruned"}


def history_section(ckpt: Checkpoint) -> None:
    """The step table, Go back, Reset (start of this line / shipped baseline) and the downloads."""
    st.subheader("Step history")
    steps = ui_state.steps()
    rows = lab.step_table(ckpt.history)
    if not rows:
        st.info("No pruning steps yet: press Step, Play, or Prune + retrain above.")
    else:
        table = [{k: (100 * row[k] if k.startswith("accuracy") else row[k]) for k in TABLE_COLUMNS if k in row}
                 for row in rows]
        st.dataframe(table, hide_index=True, key="history-table", column_config={
            "accuracy_after_prune": st.column_config.NumberColumn("acc. after prune (%)", format="%.2f"),
            "accuracy_after_retrain": st.column_config.NumberColumn("acc. after retrain (%)", format="%.2f"),
            "threshold": st.column_config.NumberColumn(format="%.4f")})
    busy = ui_state.busy()
    back, reset, downloads = st.columns([2, 1, 2])
    line = ui_state.line()
    if len(steps) > 1:
        labels = {i: (f"{i}: as loaded" if i == 0 else f"{i}: after pruning to {s.history[-1].percent:g} %")
                  for i, s in enumerate(steps[:-1])}
        target = back.selectbox("Go back to step", list(labels), index=len(labels) - 1, format_func=labels.get)
        if back.button("Go back", disabled=busy):
            ui_session.store().go_back(ui_state.owner(), line.id, target)
            st.rerun()
    reset.markdown("**Reset to**")
    if reset.button(f"Start of this line ({ui_state.plain(line.start.name)})", key="reset-line",
                    disabled=busy or len(steps) == 1):
        ui_session.store().go_back(ui_state.owner(), line.id, 0)
        st.rerun()
    if reset.button(f"Shipped baseline ({ui_state.DEFAULT_MODEL})", key="reset-baseline", disabled=busy,
                    help="Opens a new line from the shipped baseline; this line stays saved."):
        ui_state.set_model(ui_state.builtin(ui_state.DEFAULT_MODEL), ui_state.DEFAULT_MODEL, ui_state.DEFAULT_MODEL)
        st.rerun()
    if rows:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        downloads.download_button("Step table (CSV)", buffer.getvalue(), "prune-steps.csv", "text/csv",
                                  on_click="ignore")
    # A callable: the 1.3 MB file is only made when someone clicks, not on every run of the page.
    # It names the step it holds: during a schedule that is the newest finished step, not the one running.
    downloads.download_button(f"Checkpoint of {line.step_name(len(steps) - 1)} (.pt)",
                              lambda: checkpoint.to_bytes(ckpt),
                              f"prune-lab-{ui_state.card(ckpt)['sparsity']:.0f}pct.pt", "application/octet-stream",
                              on_click="ignore")
