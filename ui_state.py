"""Shared state of the dashboard: per-server caches, the session's model steps, and its background job.

Per server: MNIST and the shipped baselines (``st.cache_resource``: a client's ``clear_cache`` only makes them
load again) and one ``JobQueue`` (``service.shared``: a process singleton no client message can reset; it
runs ``upkeep.recover()`` once). Per student, on the server (``ui_session``: a per-browser secret in a cookie,
never in a URL): the open *line*, the checkpoints from the model as loaded (``steps()[0]``, the "before" of
every comparison) to the newest step (``steps()[-1]``), kept through reloads, page switches and restarts.

Buttons call one function of ``pruning_core.service.tasks`` through ``launch``, inside ``attempt`` (bad input
-> one ``st.error`` line, nothing queued). A job leaves what the session should adopt in its ``JobOutcome``;
the page thread adopts it once the job ends (``ui_jobs``: the job's panel, polled); a prune job's steps are
adopted from its run as each one lands. A reloaded tab finds its job by its owner; a URL carries no rights, so
a shared link lets nobody cancel a classmate's job or delete their runs.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import streamlit as st

from pruning_core import checkpoint, lab, paths
from pruning_core.checkpoint import Checkpoint
from pruning_core.data import Mnist, load_mnist
from pruning_core.errors import UserError
import ui_memo
import ui_session
from pruning_core.service import shared
from pruning_core.service.jobs import Job, JobQueue
from pruning_core.service.session_records import Line, Start, start_of
from pruning_core.service.tasks import Client

DEFAULT_MODEL = "baseline"
PRUNE_KINDS = ("prune", "schedule")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=^\"'])")


def job_queue() -> JobQueue:
    return shared.job_queue()


@st.cache_resource(show_spinner="Loading MNIST ...")
def dataset() -> Mnist:
    return load_mnist("cpu")


@st.cache_resource(show_spinner=False)
def _builtin(name: str) -> Checkpoint:
    shipped = checkpoint.load(name)
    # Every student's start shares this model (service/sessions.py), and each page run evaluates it in
    # ``models.evaluating``, which restores the mode it found: in eval mode already, no run can leave
    # another's forward pass in training mode (dropout on) when it ends first. Training sets its own mode.
    shipped.model.eval()
    return shipped


def builtin_names() -> list[str]:
    """Shipped checkpoints present on disk now (``baseline-paper`` may not be generated yet)."""
    return [name for name in paths.BUILTIN_CHECKPOINTS if paths.builtin_checkpoint(name).is_file()]


def builtin(name: str) -> Checkpoint:
    """A shipped checkpoint, loaded once per server. Shared between sessions: never modify it."""
    if name not in builtin_names():
        raise UserError(f"built-in checkpoint {name!r} is not available on this server")
    return _builtin(name)


def line() -> Line:
    """The student's open line (a new student starts one from the default shipped model), with every step its
    job has finished so far."""
    return ui_session.line(default_start())


@st.cache_resource
def default_start() -> Start:
    """The default model's ``Start``, once per server: measuring its sparsity on every call cost ~11 % of the
    server's CPU in a 30-student burst (py-spy; ``line()`` runs several times per page run and every poll)."""
    return start_of(builtin(DEFAULT_MODEL), DEFAULT_MODEL, DEFAULT_MODEL)


def steps() -> list[Checkpoint]:
    """The open line's models: the start, then each step."""
    return ui_session.models(line(), builtin)


def current() -> Checkpoint:
    """The model every page shows as "after"."""
    return steps()[-1]


def base() -> Checkpoint:
    """The model as loaded, trained or uploaded: every page's "before"."""
    return steps()[0]


def set_model(ckpt: Checkpoint, label: str, builtin_name: str = "") -> None:
    """Open a new line from ``ckpt``, named ``label`` on every page (its accuracy is measured once if the file
    did not carry it); ``builtin_name`` for a shipped checkpoint, which the line refers to by name."""
    if ckpt.accuracy is None:
        ckpt.accuracy = lab.summary(ckpt)["accuracy"]
    ui_session.start(ckpt, label, builtin_name)


def before_after() -> str:
    """What every page compares, in words: "Line: baseline -> 90 % - before: baseline 97.91 % - after: ..."."""
    current, models = line(), steps()
    after = (f"{plain(current.step_name(len(models) - 1))} {100 * models[-1].accuracy:.2f} %" if len(models) > 1
             else "no steps yet")
    return (f"**Line:** {plain(current.title)} - **before:** {plain(current.start.name)} "
            f"{100 * models[0].accuracy:.2f} % - **after:** {after}")


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
    accuracy = ckpt.accuracy if ckpt.accuracy is not None else lab.summary(ckpt)["accuracy"]
    nonzero, total = ui_memo.nonzero_total(ckpt)  # counted once per model: the card is on every page run
    return {"name": model_name(ckpt), "accuracy": accuracy, "nonzero": nonzero, "total": total,
            "sparsity": 100.0 * (1 - nonzero / total)}


def owner() -> str:
    """This browser's owner id (from its cookie, never from the URL): its runs are the ones it may delete."""
    return ui_session.owner()


def client() -> Client:
    """Who this session is to the queue: its owner token and its computer's address (none on localhost)."""
    return Client(owner(), st.context.ip_address or "")


def active_job() -> Job | None:
    """The student's job (running, queued, or finished but not yet collected), found again after a reload by
    its owner; only ever the student's own."""
    job_id = st.session_state.get("job_id")
    job = job_queue().get(job_id) if job_id else job_queue().of_owner(owner())
    if job is None or job.owner != owner():
        forget_job()
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
    current = line()
    run, run_from = ui_session.store().continuing(owner(), current.id)  # a prune goes on in the line's run
    job = task(job_queue(), *args, dataclasses.replace(client(), run=run))
    st.session_state.job_id = job.id
    if job.kind in PRUNE_KINDS:  # its steps extend the open line as they land
        ui_session.store().attach(owner(), current.id, job.run_record.id, run_from if job.run_record.id == run else 0)
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


def forget_job() -> None:
    """The session holds no job any more (collected, or gone from the queue)."""
    st.session_state.pop("job_id", None)


def chart(fig, caption: str, key: str | None = None) -> None:
    """A figure with its one-sentence caption; our own colours and fonts, not the Streamlit theme's."""
    st.plotly_chart(fig, theme=None, key=key)
    st.caption(caption)
