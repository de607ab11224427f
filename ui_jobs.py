"""The session's job on every page: its panel polled while it waits or runs, its outcome collected once it ends.

A page draws the student's job with ``poll(key, draw)``: an ``st.fragment`` that reruns every ``POLL_SECONDS``
while the job runs and every ``WAITING_POLL_SECONDS`` while it waits in line (a waiting job changes only when
the line moves, so 30 waiting pages cost the server 4x less), and draws nothing for a job of another kind. When
the job ends, ``collect`` adopts its outcome (``ui_state`` holds the session's model line and finds the job)
and the whole app reruns. Every poll ``touch``es the job (``ui_state.active_job``): a queued job whose tab is
gone is dropped when its turn comes.

One poller per page: the sidebar polls on pages without a panel for the job's kind (so a result is adopted on
any page), and on a page whose own panel draws it (``PANELS``) it shows one still line instead - that panel's
reruns (a step landed, the turn came, the end) redraw it. Two fragments polling the same job doubled every
page's polling cost on the server.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

import ui_state
from pruning_core.service import estimate
from pruning_core.service.jobs import Job
from pruning_core.service.records import JobSnapshot, JobStatus

POLL_SECONDS = 0.5
WAITING_POLL_SECONDS = 2.0  # a queued job changes only when the line moves: 30 waiting pages cost 4x less
# The job kinds each page's own panel draws, by its ``poll`` key (the sidebar keeps still for these there).
PANELS = {"prune": ("prune", "schedule"), "train": ("train",), "experiments": ("experiment",)}


def collect(job: Job) -> None:
    """Adopt a finished job's outcome once and leave a notice for the next run of the page; its final
    snapshot stays in ``collected`` (a fast job may end within the run that started it)."""
    snap = st.session_state.collected = job.snapshot()
    if snap.kind == "train" and snap.outcome.steps:  # prune steps joined the line as they landed
        trained = snap.outcome.steps[-1]
        ui_state.set_model(trained, f"{trained.origin} {'-'.join(map(str, trained.model.settings.hidden))}")
    if snap.outcome.results is not None and snap.spec.experiment:
        st.session_state[f"experiment:{snap.spec.experiment}"] = snap.outcome.results
    if snap.status == JobStatus.DONE:
        st.session_state.notice = ("success", f"{snap.spec.title}: done.")
    elif snap.status == JobStatus.CANCELLED:
        st.session_state.notice = ("warning", f"{snap.spec.title}: cancelled; finished steps are kept, the "
                                              "interrupted one is discarded.")
    else:
        st.session_state.notice = ("error", f"{snap.spec.title} failed: {snap.error}")
    ui_state.job_queue().forget(job)
    ui_state.forget_job()


def show_notice() -> None:
    notice = st.session_state.pop("notice", None)
    if notice:
        getattr(st, notice[0])(notice[1])


def poll(key: str, draw: Callable[[JobSnapshot, Job], None], still_for: str = "") -> None:
    """Draw the session's job with ``draw(snapshot, job)`` and redraw every POLL_SECONDS while it runs;
    when it ends, collect it and rerun the whole app. A page's panel (``key`` in ``PANELS``) draws only its
    kinds of job. ``still_for`` names the page's panel: for a job that panel draws, this one draws once per
    page run and does not poll."""
    kinds = PANELS.get(key, ())
    held = ui_state.active_job()
    waiting = held is not None and held.status == JobStatus.QUEUED
    polled_elsewhere = _drawn_by(still_for, held)
    every = interval(key, still_for, held)

    @st.fragment(run_every=every, key=key)
    def panel() -> None:
        job = ui_state.active_job()
        if job is None:
            return
        snap = job.snapshot()
        if snap.status.finished:
            collect(job)
            st.rerun()
        if waiting and snap.status != JobStatus.QUEUED:
            st.rerun()  # its turn came: the whole page again, now polling at the running rate
        shown = len(st.session_state.get("steps") or ())
        if snap.kind in ui_state.PRUNE_KINDS and len(ui_state.steps()) != shown:  # steps() adopts what landed since
            st.rerun()  # a step landed: every panel, the sidebar card and the step table show it
        if polled_elsewhere:
            st.caption(f"{job_state(job, snap)[0]}: {snap.spec.title} (its progress is on this page)")
        elif not kinds or snap.kind in kinds:
            draw(snap, job)

    panel()


def interval(key: str, still_for: str, held: Job | None) -> float | None:
    """Seconds between polls of the panel ``key`` for the session's job ``held``; None: it does not poll.
    Exactly one panel of a page polls an active job: the page's own panel if it draws that kind of job,
    else the sidebar (``key`` "sidebar", with the page's panel named in ``still_for``)."""
    if held is None or not held.status.active:
        return None
    if (key in PANELS and not _drawn_by(key, held)) or _drawn_by(still_for, held):
        return None
    return WAITING_POLL_SECONDS if held.status == JobStatus.QUEUED else POLL_SECONDS


def _drawn_by(panel: str, held: Job | None) -> bool:
    """True when the page panel ``panel`` (a ``PANELS`` key; "" for none) draws the job ``held``."""
    return held is not None and held.kind in PANELS.get(panel, ())


def progress_and_cancel(snap: JobSnapshot, job: Job) -> None:
    """The common head of every job panel: a progress bar with a status line, and a Cancel button."""
    state, detail = job_state(job, snap)
    st.progress(snap.fraction, text=f"{snap.spec.title}: {state.lower()}, {detail}")
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
    return [event.to_dict() for event in snap.events]
