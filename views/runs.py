"""Runs: the history of the student's own jobs (saved on disk, they survive closing the tab or restarting the
server) - open a run's charts, continue pruning from any of its steps, compare two runs, delete one.
Classmates' work is reached only through what they share on the Class page."""
import dataclasses
import time

import streamlit as st

from ui import state as ui_state
from ui import tree as ui_tree
from pruning_core.plots import figures
from pruning_core.service.runs import store as runs
from pruning_core.service.runs import retention
from pruning_core.errors import UserError
from pruning_core.service.runs.records import progress_from_dict

# Colours, not emoji: a classroom PC may have no emoji font (Chromium then draws empty boxes).
STATUS_COLOURS = {"queued": "violet", "running": "blue", "done": "green", "failed": "red", "cancelled": "gray",
                  "interrupted": "orange"}


def when(created: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created))


def label(info: dict) -> str:
    return f"{when(info['created'])} - {info['title']} ({info['status']})"


def step_rows(run: runs.Run) -> list[dict]:
    """The prune steps of a run, as ``lab.step_table`` rows (a training run has none)."""
    return [e["row"] for e in run.metrics() if e.get("kind") == "step" and e.get("row")]


def step_label(event: dict) -> str:
    row, accuracy = event.get("row") or {}, event.get("accuracy")
    what = f"pruned to {row['percent']:g} %" if row else "trained"
    return f"step {event['index']}: {what}" + (f", test accuracy {100 * accuracy:.2f} %" if accuracy else "")


def details(run: runs.Run, info: dict) -> None:
    """One run: status and reason, its charts, continue from a step, delete."""
    message = f"**:{STATUS_COLOURS.get(info['status'], 'gray')}[{info['status']}]**: " \
              f"{ui_state.plain(info['title'])}, started {when(info['created'])}, {info['steps']} step(s) saved, " \
              f"{info['megabytes']:.1f} MB."
    st.markdown(message)
    if info["reason"]:
        (st.error if info["status"] == "failed" else st.warning)(ui_state.plain(info["reason"]))
    metrics = run.metrics()
    rows = step_rows(run)
    if rows:
        ui_state.chart(figures.accuracy_vs_sparsity(rows, run.config().get("settings", {}).get("start_accuracy")),
                       "This run's steps: accuracy right after each prune (dashed) and after retraining (solid).",
                       "run-sparsity")
    events = [dataclasses.asdict(event) for line in metrics if (event := progress_from_dict(line)) is not None]
    if events:
        ui_state.chart(figures.training_curve(events), "This run's training loss "
                       "(top) and test accuracy after pruning and after each epoch (bottom).", "run-curve")
    saved = {e["index"]: e for e in metrics if e.get("kind") == "step" and e.get("index") in run.steps()}
    busy = ui_state.busy()
    pick, go_on, remove = st.columns([3, 2, 1], vertical_alignment="bottom")
    if saved:
        index = pick.selectbox("Step", list(saved), index=len(saved) - 1, key="run-step",
                               format_func=lambda i: step_label(saved[i]))
        if go_on.button("Continue pruning from this step", disabled=busy, key="run-continue"):
            ui_state.set_model(run.load_step(index), f"{info['title']}, its step {index}")
            st.session_state.notice = ("success", f"Loaded step {index} of {ui_state.plain(info['title'])}; "
                                                  "prune on from here.")
            st.switch_page("views/prune.py")
    else:
        pick.caption("No completed step was saved in this run.")
    if remove.button("Delete run", disabled=info["status"].active, key="run-delete",
                     help="A run can be deleted once it has finished."):
        runs.delete(run)
        st.session_state.notice = ("success", f"Deleted run {run.id}.")
        st.rerun()


def compare(run: runs.Run, info: dict, others: list[dict]) -> None:
    candidates = {o["id"]: o for o in others if o["id"] != run.id and o["steps"]}
    if not candidates:
        return
    st.subheader("Compare with another run")
    other = st.selectbox("Run", list(candidates), index=None, key="run-compare", placeholder="choose a run",
                         format_func=lambda i: label(candidates[i]))
    if other is None:
        return
    chosen = runs.get(other)
    both = {f"A ({info['title']})": step_rows(run), f"B ({candidates[other]['title']})": step_rows(chosen)}
    if not all(both.values()):
        st.info("Only pruning runs have accuracy-vs-sparsity steps to compare; one of these is a training run.")
        return
    ui_state.chart(figures.run_comparison(both), "Run A and run B: accuracy after each prune (dashed) and after "
                   "retraining (solid) against the percent of weights pruned.", "run-comparison")


st.title("Runs")
st.caption(f"Every job is saved on the server as a run: settings, progress log and a checkpoint per completed "
           f"step. Runs survive closing the tab and restarting the server; up to {retention.KEEP_RUNS} are kept "
           f"(at most {retention.MAX_TOTAL_BYTES // 2**30} GB, {retention.KEEP_PER_OWNER} per student); beyond that "
           "the oldest finished runs of whoever has the most are deleted first.")
queue = ui_state.job_queue()  # first: on a fresh server this marks runs a dead server left running
st.caption(f"Job queue: {queue.waiting()} waiting (at most {queue.limits.max_waiting}), one job per student, "
           "round-robin between students (who had fewer jobs lately goes first).")
ui_tree.section()
me = ui_state.owner()
infos = [info for info in (run.summary() for run in runs.all_runs()) if info["owner"] == me]
if not infos:
    st.info("No runs of yours yet: start one on the Prune & retrain or Train / load page (your classmates' "
            "shared lines are on the Class page).")
    st.stop()
st.dataframe([{"started": when(i["created"]), "run": i["title"], "status": i["status"], "steps": i["steps"],
               "MB": i["megabytes"], "reason": i["reason"]} for i in infos],
             hide_index=True, key="runs-table")
by_id = {i["id"]: i for i in infos}
chosen_id = st.selectbox("Open a run", list(by_id), index=0, key="run", format_func=lambda i: label(by_id[i]))
try:
    chosen = runs.get(chosen_id)
    details(chosen, by_id[chosen_id])
    compare(chosen, by_id[chosen_id], infos)
except UserError as err:  # e.g. deleted by its owner or by retention while this page was open
    st.error(ui_state.plain(str(err)))
