"""Shared state of the dashboard: per-server caches, the session's model steps, and its background job.

Per server: MNIST and the shipped baselines (``st.cache_resource``: a client's ``clear_cache`` only makes them
load again) and one ``JobQueue`` (``service.shared``: a process singleton no client message can reset; it
runs ``runs.recover()`` once). Per session (``st.session_state``, released by Streamlit two minutes after the
tab closes): ``steps``, the list of checkpoints from the model as loaded (``steps[0]``, the "before" of every
comparison) to the current one (``steps[-1]``), an owner token, and the id of at most one job.

Buttons call one function of ``pruning_core.service.tasks`` through ``launch``, inside ``attempt`` (bad input
-> one ``st.error`` line, nothing queued). A job leaves what the session should adopt in its ``JobOutcome``;
the page thread adopts it once the job ends (``collect``). The job's random token goes in the URL (``?job=``)
so a refreshed tab re-attaches to its running job, and the owner token (``?me=``) so it can still delete its
own runs; tokens, not ids, so nobody can guess a classmate's. Every poll ``touch``es the job: a queued job
whose tab is gone is dropped when its turn comes.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

import streamlit as st

from pruning_core import checkpoint, lab, paths
from pruning_core.checkpoint import Checkpoint
from pruning_core.data import Mnist, load_mnist
from pruning_core.errors import UserError
from pruning_core.service import shared
from pruning_core.service.jobs import Job, JobQueue
from pruning_core.service.records import JobSnapshot, JobStatus
from pruning_core.service.tasks import Client

POLL_SECONDS = 0.5
DEFAULT_MODEL = "baseline"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16}")


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=^\"'])")


def job_queue() -> JobQueue:
    return shared.job_queue()


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


def plain(text: str) -> str:
    """User text (a file name) made safe inside Markdown: every punctuation mark escaped, so ``[x](url)``
    shows as those characters, never as a link, emphasis, colour directive or emoji."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def model_name(ckpt: Checkpoint) -> str:
    """The model's name for Markdown (card, captions): its origin may be an uploaded file's name, escaped."""
    hidden = "-".join(str(h) for h in ckpt.model.settings.hidden)
    pruned = f", {len(ckpt.history)} prune step(s)" if ckpt.history else ""
    return f"{plain(ckpt.origin or 'model')} ({hidden}{pruned})"


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


def client() -> Client:
    """Who this session is to the queue: its owner token and its computer's address (none on localhost)."""
    return Client(owner(), st.context.ip_address or "")


def active_job() -> Job | None:
    """The session's job (running, queued, or finished but not yet collected), re-attached from ``?job=``."""
    job_id, token = st.session_state.get("job_id"), st.query_params.get("job", "")
    job = job_queue().get(job_id) if job_id else job_queue().by_token(token) if TOKEN.fullmatch(token) else None
    if job is None:
        _forget_job()
    else:
        st.session_state.job_id = job.id
        job.touch()
    return job


def busy() -> bool:
    """True while the session's job is still queued or running (start buttons are disabled then)."""
    job = active_job()
    return job is not None and job.status.active


def launch(task: Callable[..., Job], *args: Any) -> Job:
    """Start ``task(queue, *args, client)`` (a ``service.tasks`` function) as this session's one job."""
    if busy():
        raise UserError("your previous job is still running; wait for it or cancel it first")
    job = task(job_queue(), *args, client())
    st.session_state.job_id = job.id
    st.query_params["job"] = job.token
    st.query_params["me"] = owner()
    return job


def attempt(action: Callable[[], Any], hints: dict[type[UserError], str] | None = None) -> None:
    """Run a button's ``action``; a ``UserError`` is one ``st.error`` line (plus the hint for its type, where
    going another way helps), anything else done reruns the app so every panel shows the new state."""
    try:
        action()
    except UserError as err:
        hint = next((text for kind, text in (hints or {}).items() if isinstance(err, kind)), "")
        st.error(f"{err}{hint}")
    else:
        st.rerun()


def collect(job: Job) -> None:
    """Adopt a finished job's outcome once and leave a notice for the next run of the page."""
    snap = job.snapshot()
    if snap.outcome.steps:
        st.session_state.steps = list(snap.outcome.steps)
    if snap.outcome.results is not None and snap.spec.experiment:
        st.session_state[f"experiment:{snap.spec.experiment}"] = snap.outcome.results
    if snap.status == JobStatus.DONE:
        st.session_state.notice = ("success", f"{snap.spec.title}: done.")
    elif snap.status == JobStatus.CANCELLED:
        st.session_state.notice = ("warning", f"{snap.spec.title}: cancelled; finished steps are kept, the "
                                              "interrupted one is discarded.")
    else:
        st.session_state.notice = ("error", f"{snap.spec.title} failed: {snap.error}")
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


def poll(key: str, draw: Callable[[JobSnapshot, Job], None], kinds: tuple[str, ...] = ()) -> None:
    """Draw the session's job with ``draw(snapshot, job)`` and redraw every POLL_SECONDS while it runs;
    when it ends, collect it and rerun the whole app. ``kinds`` limits which jobs this panel draws."""
    running = busy()

    @st.fragment(run_every=POLL_SECONDS if running else None, key=key)
    def panel() -> None:
        job = active_job()
        if job is None:
            return
        snap = job.snapshot()
        if snap.status.finished:
            collect(job)
            st.rerun()
        if not kinds or snap.kind in kinds:
            draw(snap, job)

    panel()


def progress_and_cancel(snap: JobSnapshot, job: Job) -> None:
    """The common head of every job panel: a progress bar with a status line, and a Cancel button."""
    place = job_queue().position(job)
    text = f"{snap.spec.title}: " + (f"waiting, number {place} in line" if place else f"{100 * snap.fraction:.0f} %")
    st.progress(snap.fraction, text=text)
    if st.button("Cancel", key="cancel-job", disabled=job.cancel_requested):
        job_queue().cancel(job)


def event_dicts(snap: JobSnapshot) -> list[dict]:
    """The job's progress events as the plots take them (they also draw stored runs' metrics lines)."""
    return [event.to_dict() for event in snap.events]


def chart(fig, caption: str, key: str | None = None) -> None:
    """A figure with its one-sentence caption; our own colours and fonts, not the Streamlit theme's."""
    st.plotly_chart(fig, theme=None, key=key)
    st.caption(caption)
