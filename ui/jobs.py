"""The session's job on every page: its panel polled while it waits or runs, its outcome collected once it ends.

A page draws the student's job with ``poll(key, draw)``: an ``st.fragment`` that reruns every ``POLL_SECONDS``
while the job runs and every ``WAITING_POLL_SECONDS`` while it waits in line (a waiting job changes only when
the line moves, so waiting pages cost the server less), and draws nothing for a job of another kind. When
the job ends, ``collect`` adopts its outcome (``ui_state`` holds the session's model line and finds the job)
and the whole app reruns. Every poll ``touch``es the job (``ui_state.active_job``): a queued job whose tab is
gone is dropped when its turn comes.

One poller per page: the sidebar polls on pages without a panel for the job's kind (so a result is adopted on
any page), and on a page whose own panel draws it (``PANEL_OF_KIND``) it shows one still line instead - that panel's
reruns (a step landed, the turn came, the end) redraw it. Two fragments polling the same job doubled every
page's polling cost on the server.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable

import streamlit as st

from . import session as ui_session
from . import state as ui_state
from pruning_core.errors import disk_problem
from pruning_core.service.actions import tasks
from pruning_core.service.jobs import estimate
from pruning_core.service.jobs.job import Job
from pruning_core.service.jobs.records import JobKind, JobSnapshot, JobStatus

POLL_SECONDS = 0.5
WAITING_POLL_SECONDS = 2.0  # a queued job changes only when the line moves
# How each kind of toast shows (icon, how long): a job that did not go as asked stays longer, and a failure
# stays until the student closes it, so its reason can be read; any other notice is a line of its ``st`` kind.
TOASTS: dict[str, tuple[str | None, str]] = {"toast": (None, "short"), "toast-warning": ("⚠️", "long"),
                                             "toast-error": ("🚨", "infinite")}


class Panel(enum.StrEnum):
    """Where a job is drawn: a page's own job panel, or the sidebar on every other page (the fragment's key)."""

    SIDEBAR = "sidebar"
    PRUNE = "prune"
    TRAIN = "train"
    EXPERIMENTS = "experiments"


# The page panel that draws each kind of job; on that page the sidebar keeps still for it.
PANEL_OF_KIND: dict[JobKind, Panel] = {JobKind.PRUNE: Panel.PRUNE, JobKind.SCHEDULE: Panel.PRUNE,
                                       JobKind.COMPARE: Panel.PRUNE, JobKind.TRAIN: Panel.TRAIN,
                                       JobKind.EXPERIMENT: Panel.EXPERIMENTS}


def collect(job: Job) -> None:
    """Adopt a finished job's outcome once and leave a notice for the next run of the page."""
    snap = job.snapshot()
    trained = tasks.trained_model(snap) if snap.kind == JobKind.TRAIN else None  # prune steps joined the line
    if trained is not None:                                                       # as they landed
        ui_state.set_model(trained, f"{trained.origin} {'-'.join(map(str, trained.model.settings.hidden))}")
    if snap.kind.extends_line and snap.events:  # the curve kept after the job: its final events, which may
        st.session_state["last-job"] = (snap.spec.title, event_dicts(snap))  # have come after the last poll
    if snap.outcome.results is not None and snap.spec.experiment:
        st.session_state[f"experiment:{snap.spec.experiment}"] = snap.outcome.results
    if snap.status == JobStatus.DONE and job.pausing and len(ui_state.steps()) > 1:
        # Pause ends a schedule early, as a finished job: it says where it stopped and how to go on.
        percent = ui_state.steps()[-1].history[-1].percent
        st.session_state.notice = ("toast", f"Paused at {percent:g} % - press Play to continue.")
    elif snap.status == JobStatus.DONE:
        undo = f" {ui_state.UNDO_HINT}" if trained is not None else ""
        st.session_state.notice = ("toast", f"{ui_state.plain(snap.spec.title)}: done.{undo}")
    elif snap.status == JobStatus.CANCELLED:
        st.session_state.notice = ("toast-warning", f"{ui_state.plain(snap.spec.title)}: cancelled; finished "
                                                    "steps are kept, the interrupted one is discarded.")
    else:
        st.session_state.notice = ("toast-error", ui_state.plain(f"{snap.spec.title} failed: {snap.error}"))
    ui_state.job_queue().forget(job)
    ui_state.forget_job()


def show_notice() -> None:
    """The last job's result as a toast: it floats over the page, which does not move; a cancelled job's stays
    10 s, a failed job's until it is closed (``TOASTS``)."""
    notice = st.session_state.pop("notice", None)
    if notice:
        kind, text = notice
        if kind in TOASTS:
            icon, duration = TOASTS[kind]
            st.toast(text, icon=icon, duration=duration)
        else:
            getattr(st, kind)(text)


def poll(key: Panel, draw: Callable[[JobSnapshot, Job], None], still_for: Panel | None = None) -> None:
    """Draw the session's job with ``draw(snapshot, job)`` and redraw every POLL_SECONDS while it runs;
    when it ends, collect it and rerun the whole app. A page's panel draws only its kinds of job
    (``PANEL_OF_KIND``). ``still_for`` names the page's panel: for a job that panel draws, this one draws once
    per page run and does not poll."""
    held = ui_state.active_job()
    waiting = held is not None and held.status == JobStatus.QUEUED
    polled_elsewhere = _drawn_by(still_for, held)
    every = interval(key, still_for, held)

    @st.fragment(run_every=every, key=key)
    def panel() -> None:  # reruns alone, outside app.py's guard: a full disk is one plain line here too
        try:
            draw_panel()
        except OSError as err:
            st.error(ui_state.plain(disk_problem(err)))

    def draw_panel() -> None:
        job = ui_state.active_job()
        if job is None:
            return
        snap = job.snapshot()
        if snap.status.finished:
            collect(job)
            st.rerun()
        if waiting and snap.status != JobStatus.QUEUED:
            st.rerun()  # its turn came: the whole page again, now polling at the running rate
        shown = ui_session.models_held()
        if snap.kind.extends_line and len(ui_state.steps()) != shown:  # steps() adopts what landed since
            st.rerun()  # a step landed: every panel, the sidebar card and the step table show it
        if polled_elsewhere:
            st.caption(f"{job_state(job, snap)[0]}: {ui_state.plain(snap.spec.title)} "
                       "(its progress is on this page)")
        elif key == Panel.SIDEBAR or _drawn_by(key, job):
            draw(snap, job)

    panel()


def interval(key: Panel, still_for: Panel | None, held: Job | None) -> float | None:
    """Seconds between polls of the panel ``key`` for the session's job ``held``; None: it does not poll.
    Exactly one panel of a page polls an active job: the page's own panel if it draws that kind of job,
    else the sidebar (``key`` "sidebar", with the page's panel named in ``still_for``)."""
    if held is None or not held.status.active:
        return None
    if (key != Panel.SIDEBAR and not _drawn_by(key, held)) or _drawn_by(still_for, held):
        return None
    return WAITING_POLL_SECONDS if held.status == JobStatus.QUEUED else POLL_SECONDS


def _drawn_by(panel: Panel | None, held: Job | None) -> bool:
    """True when the page panel ``panel`` (None or "" for none) draws the job ``held``."""
    return bool(panel) and held is not None and PANEL_OF_KIND.get(held.kind) == panel


def progress_and_cancel(snap: JobSnapshot, job: Job) -> None:
    """The common head of every job panel: a progress bar with a status line, and a Cancel button."""
    state, detail = job_state(job, snap)
    st.progress(snap.fraction, text=f"{ui_state.plain(snap.spec.title)}: {state.lower()}, {detail}")
    if st.button("Cancel", key="cancel-job", disabled=job.cancel_requested):
        ui_state.job_queue().cancel(job)


def job_state(job: Job, snap: JobSnapshot) -> tuple[str, str]:
    """("Waiting", "number 2 in line, about 3 min") or ("Running", "40 %"): the wait from the speed measured on
    this server (``JobQueue.estimated_wait``)."""
    place = ui_state.job_queue().position(job)
    if not place:
        return "Running", f"{100 * snap.fraction:.0f} %"
    return "Waiting", f"number {place} in line, {estimate.describe(ui_state.job_queue().estimated_wait(job))}"


def event_dicts(snap: JobSnapshot) -> list[dict]:
    """The job's progress events as the plots take them (they also draw stored runs' metrics lines)."""
    return [dataclasses.asdict(event) for event in snap.events]
