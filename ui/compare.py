"""The Prune page's one-click "magnitude vs random vs largest": the student's schedule, retraining epochs and
learning rate, run from their current model once per criterion as one background job
(``tasks.compare_criteria``), with its price before the press and the three accuracy lines overlaid as the
steps land (the Prune page's job panel draws ``live``); the finished result stays with the session."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from pruning_core.checkpoint import Checkpoint
from pruning_core.plots import figures
from pruning_core.research import controls
from pruning_core.service.actions import player, tasks
from pruning_core.service.jobs import estimate
from pruning_core.service.jobs.job import Job
from pruning_core.service.jobs.records import JobSnapshot, JobStatus
from . import jobs as ui_jobs
from . import state as ui_state

RESULT = "experiment:compare-criteria"  # where ui.jobs.collect keeps the finished job's results
CAPTION = ("One line per criterion, the same schedule from the same model: right after each prune (left) and "
           "after its retraining (right). Magnitude keeps the accuracy; random and largest-first lose it.")


def overlay(points: Sequence[Mapping], start: Checkpoint | Mapping) -> object:
    """The three criteria's lines, each opened by the model they started from (``start``: the model, or the
    stored result's ``start_sparsity`` / ``start_accuracy``)."""
    if isinstance(start, Checkpoint):
        first = (ui_state.card(start)["sparsity"], start.accuracy)
    else:
        first = (start["start_sparsity"], start["start_accuracy"])
    head = {"percent": first[0], "accuracy_after_prune": first[1], "accuracy_after_retrain": first[1]}
    runs = [{"scope": scope, "points": [head, *(p for p in points if p["scope"] == scope)]}
            for scope in tasks.CRITERIA if any(p["scope"] == scope for p in points)]
    figure = figures.controls_comparison(controls.summary({"runs": runs}), controls.LABELS)
    # The legend lower than the stored result's: at this chart's height it ran into the x axis titles.
    return figure.update_layout(legend={"y": -0.3}, margin={"b": 120})


def section(ckpt: Checkpoint, schedule_text: str, epochs: int, lr: float, problem: str) -> None:
    """The button with its price, and the last finished comparison of this session."""
    st.subheader("Why magnitude? Compare it with random and largest-first")
    percents = [] if problem else player.remaining(player.parse_schedule(schedule_text),
                                                   ui_state.card(ckpt)["sparsity"])
    steps, size = tasks.comparison_size(ckpt, percents, epochs)
    seconds = ui_state.job_queue().estimated_seconds(steps, size)
    why = problem or ("" if percents else "the schedule has no step above this model's sparsity")
    go, note = st.columns([2, 3], vertical_alignment="center")
    if go.button("Compare magnitude vs random vs largest", key="compare-criteria",
                 disabled=ui_state.busy() or ui_state.read_only() or bool(why)):
        ui_state.attempt(lambda: ui_state.launch(tasks.compare_criteria, ui_state.steps(), percents, epochs, lr))
    note.caption(f"Off: {ui_state.plain(why)}." if why else
                 f"Your schedule from this model ({', '.join(f'{p:g}' for p in percents)} %, {epochs} retraining "
                 f"epoch(s) at lr {lr:g}) three times: {steps} prune steps, "
                 f"{estimate.describe(seconds).replace('wait ', '')} on this server. Your line is not changed.")
    result = st.session_state.get(RESULT)
    if result and not ui_state.busy():
        ui_state.chart(overlay(result["points"], result), f"Comparison from {ui_state.plain(result['start'])}. "
                       + CAPTION, "compare-result")


def live(snap: JobSnapshot, job: Job) -> None:
    """The comparison job's panel: progress with Cancel and the lines so far."""
    ui_jobs.progress_and_cancel(snap, job)
    if snap.status != JobStatus.QUEUED and snap.outcome.points:
        ui_state.chart(overlay(snap.outcome.points, ui_state.current()), CAPTION, "compare-live")
