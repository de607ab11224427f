"""The steps of the student's line in the dashboard. Which finished step every page shows: one value, the
scrubbed step (the latest unless the class picked an earlier one), kept with the student's settings
(``ui.prefs``) and in the URL as ``?step=N``, so a reload, back / forward and a shared link keep it; the picker
sits in the sidebar of every page, and a banner says when an earlier step is shown. Starting a job or a new
line shows the latest again. And the Prune page's step history: the table, go back, naming the line, reset,
downloads; and Undo, in the sidebar, for a line that a reset, a go-back, a load or a trained model replaced.
Streamlit glue only."""
from __future__ import annotations

import csv
import io

import streamlit as st

from . import prefs as ui_prefs
from . import session as ui_session
from . import state as ui_state
from pruning_core import checkpoint, lab
from pruning_core.checkpoint import Checkpoint
from pruning_core.service.sessions.store import MAX_NAME

PARAM = "step"  # ?step=N
URL_KEY = "step-in-url"  # the ?step value this session last put in the URL (a different one came from outside)
TABLE_COLUMNS = ["step", "percent", "scope", "threshold", "accuracy_after_prune", "accuracy_after_retrain",
                 "nonzero_fc1", "nonzero_fc2", "nonzero_fc3", "nonzero"]


def label(index: int, ckpt: Checkpoint) -> str:
    """How a step is named on the picker and on every page: 0 is the model as loaded."""
    return "as loaded" if index == 0 else f"step {index}: {ckpt.history[-1].percent:g} %"


def widths(ckpt: Checkpoint) -> list[int]:
    """The network's layer widths, input to output (784, 300, 100, 10 for LeNet-300-100)."""
    return [784, *ckpt.model.settings.hidden, 10]


def shown_index() -> int:
    """The step every page shows: the chosen one while it is a step of the line, else the latest."""
    last = len(ui_state.steps()) - 1
    chosen = ui_prefs.get(PARAM)
    return chosen if isinstance(chosen, int) and 0 <= chosen <= last else last


def scrubbed() -> bool:
    """True while an earlier step than the latest is shown."""
    return shown_index() < len(ui_state.steps()) - 1


def choose(index: int | None) -> None:
    """Show step ``index`` on every page (``None``: the latest, following each new step as it lands)."""
    ui_prefs.put(**{PARAM: index})
    _write_url()


def _write_url() -> None:
    chosen = ui_prefs.get(PARAM)
    wanted = None if chosen is None else str(chosen)
    if st.query_params.get(PARAM) != wanted:
        if wanted is None:
            del st.query_params[PARAM]
        else:
            st.query_params[PARAM] = wanted
    st.session_state[URL_KEY] = wanted


def follow_url() -> str:
    """Once per run, before anything is drawn: a ``?step=N`` this session did not write (a link, a reload,
    back / forward) chooses the step shown; then the URL is made to say the step shown again (a page switch
    drops the query). Returns the problem with a bad N, in words ("" if none): it is named, not used."""
    given, problem = st.query_params.get(PARAM), ""
    if given is not None and given != st.session_state.get(URL_KEY):
        last = len(ui_state.steps()) - 1
        number = int(given) if given.strip().isdigit() else -1
        if 0 <= number <= last:
            ui_prefs.put(**{PARAM: number})
        else:
            ui_prefs.put(**{PARAM: None})
            problem = (f"?step={given[:20]} is not a step of this line (0 to {last}): showing the latest, "
                       f"{label(last, ui_state.steps()[last])}.")
    _write_url()
    return problem


def picker() -> None:
    """The step picker (a slider over the finished steps; nothing with only one step), for the sidebar."""
    steps = ui_state.steps()
    if len(steps) < 2:
        return
    # A new widget per line length: a landed step starts the slider at the latest again.
    key = f"scrubber-{len(steps)}"
    st.session_state[key] = shown_index()
    st.select_slider("Step shown on every page", list(range(len(steps))), format_func=lambda i: label(i, steps[i]),
                     key=key, on_change=lambda: choose(None if st.session_state[key] == len(steps) - 1
                                                       else st.session_state[key]))


def banner() -> None:
    """While an earlier step is shown: "Showing step 3 of 12" and a button back to the latest."""
    if not scrubbed():
        return
    index, last = shown_index(), len(ui_state.steps()) - 1
    with st.container(horizontal=True, vertical_alignment="center", key="scrubbed-banner"):
        st.markdown(f":orange-background[**Showing step {index} of {last}** "
                    f"({label(index, shown())}), not the latest]")
        st.button("Back to latest", key="back-to-latest", on_click=choose, args=(None,))


def shown() -> Checkpoint:
    """The model every page shows as "after"."""
    return ui_state.steps()[shown_index()]


def pair() -> dict[str, Checkpoint]:
    """{"before": the model as loaded, "after": the step being shown}, the comparison of every page."""
    return {"before": ui_state.base(), "after": shown()}


def titles() -> dict[str, str]:
    """Figure titles that name both sides and their sparsity ("after: step 3: 30 % - 30.0 % pruned")."""
    index, after = shown_index(), shown()
    of = f" of {len(ui_state.steps()) - 1}" if index else ""
    return {"before": f"before: {ui_state.model_name(ui_state.base())} - "
                      f"{ui_state.card(ui_state.base())['sparsity']:.1f} % pruned",
            "after": f"after: {label(index, after).replace(':', of + ':', 1)} - "
                     f"{ui_state.card(after)['sparsity']:.1f} % pruned"}


def undo_button() -> None:
    """"Undo" under the model card while the student's line was just replaced (a reset, a go-back, a loaded or a
    trained model) and nothing was started on the new one: it opens the replaced line again, which was never
    deleted (``SessionStore.undo``); a second Undo comes back."""
    session = ui_session.store().load(ui_state.owner())
    replaced = session.line(session.undo) if session.undo else None
    if replaced is None:
        return

    def undo() -> None:
        ui_session.store().undo(ui_state.owner())
        choose(None)
    st.caption(f"Replaced: {ui_state.plain(replaced.title)}")
    if st.button("Undo", key="undo-line", disabled=ui_state.busy(),
                 help="Opens that line again; the line open now stays saved (a second Undo comes back)."):
        ui_state.attempt(undo)


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
    busy = ui_state.busy() or ui_state.read_only()  # a classmate's line shown read-only changes nowhere
    back, reset, downloads = st.columns([2, 1, 2])
    line = ui_state.line()
    if len(steps) > 1:
        labels = {i: (f"{i}: as loaded" if i == 0 else f"{i}: after pruning to {s.history[-1].percent:g} %")
                  for i, s in enumerate(steps[:-1])}
        target = back.selectbox("Go back to step", list(labels), index=len(labels) - 1, format_func=labels.get)
        if back.button("Go back", disabled=busy):
            ui_session.go_back(line.id, target)
            choose(None)
            st.session_state.notice = ("toast", f"Back to step {target}. {ui_state.UNDO_HINT}")
            st.rerun()
    with back.form("line-name", border=False):
        name = st.text_input("Name this line", line.name, max_chars=MAX_NAME, key=f"line-name-{line.id}",
                             placeholder=line.title, help="Every page shows the name; empty: the steps name it.")
        if st.form_submit_button("Rename", disabled=ui_state.read_only()):
            ui_session.store().rename(ui_state.owner(), line.id, name)
            st.rerun()
    reset.markdown("**Reset to**")
    if reset.button(f"Start of this line ({ui_state.plain(line.start.name)})", key="reset-line",
                    disabled=busy or len(steps) == 1, help="Opens a new line from this start; this line "
                                                           "stays saved, and Undo in the sidebar brings it back."):
        ui_session.go_back(line.id, 0)
        choose(None)
        st.session_state.notice = ("toast", f"Back to the start of this line. {ui_state.UNDO_HINT}")
        st.rerun()
    if reset.button(f"Shipped baseline ({ui_state.DEFAULT_MODEL})", key="reset-baseline", disabled=busy,
                    help="Opens a new line from the shipped baseline; this line stays saved."):
        ui_state.set_model(ui_state.builtin(ui_state.DEFAULT_MODEL), ui_state.DEFAULT_MODEL, ui_state.DEFAULT_MODEL)
        st.session_state.notice = ("toast", f"Shipped baseline loaded. {ui_state.UNDO_HINT}")
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
    downloads.download_button(f"Checkpoint of {ui_state.plain(line.step_name(len(steps) - 1))} (.pt)",
                              lambda: checkpoint.to_bytes(ckpt),
                              f"prune-lab-{ui_state.card(ckpt)['sparsity']:.0f}pct.pt", "application/octet-stream",
                              on_click="ignore")
