"""Shared state of the dashboard: per-server caches, the session's model steps, and its background job.

Per server (``st.cache_resource``): MNIST, the shipped baselines and one ``JobQueue`` - with
``jobs.default_workers`` workers, one on a 2-core classroom machine, so it trains one thing at a time and
everybody else waits in line. Creating it first runs ``runs.recover()``: runs a dead server left running
become "interrupted". Per session (``st.session_state``, released by Streamlit two minutes after the tab
closes): ``steps``, the list of checkpoints from the model as loaded (``steps[0]``, the "before" of every
comparison) to the current one (``steps[-1]``), an owner token, and the id of at most one job.

Work functions run in the queue's worker thread and never call Streamlit. They write what the session should
adopt into ``spec["session"]`` (a dict of session-state updates), step by step where that makes sense, so a
cancelled schedule keeps its finished steps; the page thread applies it once the job ends (``collect``).
The job's random token goes in the URL (``?job=``) so a refreshed tab re-attaches to its running job, and the
owner token (``?me=``) so it can still delete its own runs; tokens, not ids, so nobody can guess a
classmate's.
"""
from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from typing import Any

import streamlit as st

from pruning_core import checkpoint, lab, paths, train
from pruning_core.service import runs
from pruning_core.checkpoint import Checkpoint
from pruning_core.data import Mnist, load_mnist
from pruning_core.errors import UserError
from pruning_core.service.jobs import CANCELLED, DONE, FINISHED, Job, JobQueue, default_workers

POLL_SECONDS = 0.5
DEFAULT_MODEL = "baseline"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16}")


@st.cache_resource(show_spinner=False)
def job_queue() -> JobQueue:
    runs.recover()  # before this process queues anything: whatever is still "running" on disk is not
    train.use_threads(train.server_threads())  # the server's CPUs are shared with page runs
    return JobQueue(workers=default_workers(len(os.sched_getaffinity(0))))


@st.cache_resource(show_spinner="Loading MNIST ...")
def dataset() -> Mnist:
    return load_mnist("cpu")


@st.cache_resource(show_spinner=False)
def _builtin(name: str) -> Checkpoint:
    return checkpoint.load(name)


def builtin_names() -> list[str]:
    """Shipped checkpoints present on disk now (``baseline-paper`` may not be generated yet)."""
    return [name for name in paths.BUILTIN_CHECKPOINTS if paths.builtin_checkpoint(name).is_file()]


def builtin(name: str) -> Checkpoint:
    """A shipped checkpoint, loaded once per server. Shared between sessions: never modify it."""
    if name not in builtin_names():
        raise UserError(f"built-in checkpoint {name!r} is not available on this server")
    return _builtin(name)


def steps() -> list[Checkpoint]:
    if "steps" not in st.session_state:
        st.session_state.steps = [builtin(DEFAULT_MODEL)]
    return st.session_state.steps


def current() -> Checkpoint:
    """The model every page shows as "after"."""
    return steps()[-1]


def base() -> Checkpoint:
    """The model as loaded, trained or uploaded: every page's "before"."""
    return steps()[0]


def set_model(ckpt: Checkpoint) -> None:
    """Start over from ``ckpt`` (its accuracy is measured once if the file did not carry it)."""
    if ckpt.accuracy is None:
        ckpt.accuracy = lab.summary(ckpt)["accuracy"]
    st.session_state.steps = [ckpt]


def model_name(ckpt: Checkpoint) -> str:
    hidden = "-".join(str(h) for h in ckpt.model.settings.hidden)
    pruned = f", {len(ckpt.history)} prune step(s)" if ckpt.history else ""
    return f"{ckpt.origin or 'model'} ({hidden}{pruned})"


def card(ckpt: Checkpoint) -> dict:
    """The model card's numbers: accuracy, sparsity %, weights left."""
    info = lab.summary(ckpt, accuracy=ckpt.accuracy)
    return {"name": model_name(ckpt), "accuracy": info["accuracy"], "nonzero": info["nonzero"],
            "total": info["total"], "sparsity": 100.0 * (1 - info["nonzero"] / info["total"])}


def owner() -> str:
    """This tab's owner token (kept across a refresh through ``?me=``): its runs are the ones it may delete."""
    if "owner" not in st.session_state:
        given = st.query_params.get("me", "")
        st.session_state.owner = given if TOKEN.fullmatch(given) else secrets.token_urlsafe(12)
    return st.session_state.owner


def active_job() -> Job | None:
    """The session's job (running, queued, or finished but not yet collected), re-attached from ``?job=``."""
    job_id, token = st.session_state.get("job_id"), st.query_params.get("job", "")
    job = job_queue().get(job_id) if job_id else job_queue().by_token(token) if TOKEN.fullmatch(token) else None
    if job is None:
        _forget_job()
    else:
        st.session_state.job_id = job.id
    return job


def busy() -> bool:
    """True while the session's job is still queued or running (start buttons are disabled then)."""
    job = active_job()
    return job is not None and job.snapshot()["status"] not in FINISHED


def submit(kind: str, spec: dict, work: Callable[[Job], Any], settings: dict) -> Job:
    """Queue ``work`` as a run recording ``settings``; ``spec["session"]`` is where it leaves the
    session-state updates to adopt."""
    if busy():
        raise UserError("your previous job is still running; wait for it or cancel it first")
    spec.setdefault("session", {})
    job = job_queue().submit(kind, spec, work, owner(), settings)
    st.session_state.job_id = job.id
    st.query_params["job"] = job.token
    st.query_params["me"] = owner()
    return job


def collect(job: Job) -> None:
    """Adopt a finished job's outcome once and leave a notice for the next run of the page."""
    snap = job.snapshot()
    st.session_state.update(snap["spec"]["session"])
    if snap["status"] == DONE:
        st.session_state.notice = ("success", f"{snap['spec'].get('title', job.kind)}: done.")
    elif snap["status"] == CANCELLED:
        st.session_state.notice = ("warning", f"{snap['spec'].get('title', job.kind)}: cancelled; finished steps "
                                              "are kept, the interrupted one is discarded.")
    else:
        st.session_state.notice = ("error", f"{snap['spec'].get('title', job.kind)} failed: {snap['error']}")
    job_queue().forget(job)
    _forget_job()


def _forget_job() -> None:
    st.session_state.pop("job_id", None)
    if "job" in st.query_params:
        del st.query_params["job"]


def show_notice() -> None:
    notice = st.session_state.pop("notice", None)
    if notice:
        getattr(st, notice[0])(notice[1])


def fraction(snap: dict) -> float:
    """How far a job is, 0..1: points made (experiments) or training calls done plus the current one's share."""
    spec, events = snap["spec"], snap["events"]
    if "expected" in spec:
        return min(1.0, len(spec["points"]) / max(1, spec["expected"]))
    calls = max(1, sum(e["kind"] == "pruned" for e in events))
    last = events[-1] if events else None
    # A "pruned" event opens a training call (its total_steps is still 0): that call is 0 % done.
    within = 0.0 if last is None or last["kind"] == "pruned" else (
        last["step"] / last["total_steps"] if last["total_steps"] else 1.0)
    return min(1.0, (calls - 1 + within) / spec.get("units", 1))


def poll(key: str, draw: Callable[[dict, Job], None], kinds: tuple[str, ...] = ()) -> None:
    """Draw the session's job with ``draw(snapshot, job)`` and redraw every POLL_SECONDS while it runs;
    when it ends, collect it and rerun the whole app. ``kinds`` limits which jobs this panel draws."""
    running = busy()

    @st.fragment(run_every=POLL_SECONDS if running else None, key=key)
    def panel() -> None:
        job = active_job()
        if job is None:
            return
        snap = job.snapshot()
        if snap["status"] in FINISHED:
            collect(job)
            st.rerun()
        if not kinds or snap["kind"] in kinds:
            draw(snap, job)

    panel()


def progress_and_cancel(snap: dict, job: Job) -> None:
    """The common head of every job panel: a progress bar with a status line, and a Cancel button."""
    place = job_queue().position(job)
    text = f"{snap['spec'].get('title', snap['kind'])}: " + (f"waiting, number {place} in line" if place
                                                            else f"{100 * fraction(snap):.0f} %")
    st.progress(fraction(snap), text=text)
    if st.button("Cancel", key="cancel-job", disabled=job.cancel_requested):
        job_queue().cancel(job)


def chart(fig, caption: str, key: str | None = None) -> None:
    """A figure with its one-sentence caption; our own colours and fonts, not the Streamlit theme's."""
    st.plotly_chart(fig, theme=None, key=key)
    st.caption(caption)
