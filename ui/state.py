"""Shared state of the dashboard: per-server caches, the session's model steps, and its background job.

Per server: MNIST and the shipped baselines (``st.cache_resource``: a client's ``clear_cache`` only makes them
load again) and one ``JobQueue`` (``service.jobs.server``: a process singleton no client message can reset; it
runs ``retention.recover()`` once). Per student, on the server (``ui_session``: a per-browser secret in a cookie,
never in a URL): the open *line*, the checkpoints from the model as loaded (``steps()[0]``, the "before" of
every comparison) to the newest step (``steps()[-1]``), kept through reloads, page switches and restarts.

Buttons call one function of ``pruning_core.service.actions`` through ``launch``, inside ``attempt`` (bad input
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
from pruning_core.plots import style as plot_style
from . import memo as ui_memo
from . import prefs as ui_prefs
from . import session as ui_session
from . import slides as ui_slides
from . import viewing as ui_viewing
from pruning_core.service.jobs import server
from pruning_core.service.jobs.job import Job
from pruning_core.service.jobs.queue import JobQueue
from pruning_core.service.runs import store as runs
from pruning_core.service.runs.records import JobStatus
from pruning_core.service.sessions import lines
from pruning_core.service.sessions.records import Line, Start, start_of
from pruning_core.service.actions.tasks import Requester

DEFAULT_MODEL = "baseline"
PRESENTER = "presenter"  # presenter mode's switch in the session state (``ui.present``)
PRESENTER_PX = 20  # the smallest text in presenter mode, charts included
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=^\"'])")
# Where GitHub-flavoured Markdown makes a link of plain text, escaped or not: "scheme://", "www." and e-mail
# addresses. An invisible word joiner there keeps the text as it reads and stops the link.
AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"
UNDO_HINT = "Undo, in the sidebar, brings your previous line back."  # after anything that opened a new line


def job_queue() -> JobQueue:
    return server.job_queue()


@st.cache_resource(show_spinner="Loading MNIST ...")
def dataset() -> Mnist:
    return load_mnist("cpu")


@st.cache_resource(show_spinner=False)
def _builtin(name: str) -> Checkpoint:
    shipped = checkpoint.load(name)
    # Every student's start shares this model (service/sessions/store.py), and each page run evaluates it in
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
    job has finished so far - or, while the student views a classmate's shared line, that line."""
    viewed = ui_viewing.shown()
    return viewed.line if viewed else ui_session.line(default_start())


def read_only() -> bool:
    """True while a classmate's shared line is shown: every control that would change the line is off."""
    return ui_viewing.shown() is not None


@st.cache_resource
def default_start() -> Start:
    """The default model's ``Start``, once per server: ``line()`` asks for it several times per page run and on
    every poll, and measuring its sparsity each time is costly in a classroom burst (docs/design-notes.md)."""
    return start_of(builtin(DEFAULT_MODEL), DEFAULT_MODEL, DEFAULT_MODEL)


def steps() -> list[Checkpoint]:
    """The open line's models: the start, then each step."""
    viewed = ui_viewing.shown()
    return ui_session.models(viewed.line, builtin, viewed.shared.owner) if viewed else \
        ui_session.models(line(), builtin)


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
    ui_viewing.leave()  # the new line is the student's own: pages show it
    ui_prefs.put(step=None)  # a new line: every page shows its latest model


def before_after(shown: int | None = None) -> str:
    """What every page compares, in words: "Line: baseline -> 90 % - before: baseline 97.91 % - after: ...";
    "after" is step ``shown`` (the latest if None), named "step 3 of 12" when it is not the latest."""
    current, models = line(), steps()
    last = len(models) - 1
    index = last if shown is None else shown
    of = "" if index == last else f" (step {index} of {last})"
    after = (f"{plain(current.step_name(index))}{of} {100 * models[index].accuracy:.2f} %" if last
             else "no steps yet")
    return (f"**Line:** {plain(current.title)} - **before:** {plain(current.start.name)} "
            f"{100 * models[0].accuracy:.2f} % - **after:** {after}")


def plain(text: str) -> str:
    """User text (a file name) made safe inside Markdown: every punctuation mark escaped, so ``[x](url)``
    shows as those characters, never as a link, emphasis, colour directive or emoji; a bare URL or e-mail
    address gets an invisible word joiner, so it is not made a link either."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", AUTOLINK.sub(WORD_JOINER, " ".join(str(text).split())))


def model_name(ckpt: Checkpoint) -> str:
    """The model's name (card, figure titles): its origin may be an uploaded file's name, so Markdown shows it
    through ``plain``."""
    hidden = "-".join(str(h) for h in ckpt.model.settings.hidden)
    pruned = f", {len(ckpt.history)} prune step(s)" if ckpt.history else ""
    return f"{ckpt.origin or 'model'} ({hidden}{pruned})"


def card(ckpt: Checkpoint) -> dict:
    """The model card's numbers: accuracy, sparsity %, weights left."""
    accuracy = ckpt.accuracy if ckpt.accuracy is not None else lab.summary(ckpt)["accuracy"]
    nonzero, total = ui_memo.nonzero_total(ckpt)  # counted once per model: the card is on every page run
    return {"name": model_name(ckpt), "accuracy": accuracy, "nonzero": nonzero, "total": total,
            "sparsity": 100.0 * (1 - nonzero / total)}


def owner() -> str:
    """This browser's owner id (from its cookie, never from the URL): its runs are the ones it may delete."""
    return ui_session.owner()


def requester() -> Requester:
    """Who this session is to the queue: its owner token and its computer's address (none on localhost)."""
    return Requester(owner(), st.context.ip_address or "")


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


def interrupted() -> bool:
    """True when the open line's run was cut short by a server stop (its finished steps are in the line)."""
    run = line().run
    try:
        return bool(run) and runs.get(run).status()["status"] == JobStatus.INTERRUPTED
    except UserError:  # the run is gone (deleted, or removed by the disk limit)
        return False


def busy() -> bool:
    """True while the session's job is still queued or running (start buttons are disabled then)."""
    job = active_job()
    return job is not None and job.status.active


def launch(task: Callable[..., Job], *args: Any) -> Job:
    """Start ``task(queue, *args, requester)`` (a ``service.actions`` function) as this session's one job, linked to
    the open line (``sessions.lines.launch``)."""
    if read_only():
        raise UserError("this is a classmate's shared line, read-only: press Start from this line to work on a copy")
    if busy():
        raise UserError("your previous job is still running; wait for it or cancel it first")
    job = lines.launch(ui_session.store(), owner(), line().id,
                       lambda run: task(job_queue(), *args, dataclasses.replace(requester(), run=run)))
    st.session_state.job_id = job.id
    ui_prefs.put(step=None)  # every page follows the new steps as they land
    return job


def attempt(action: Callable[[], Any], hints: dict[type[UserError], str] | None = None) -> None:
    """Run a button's ``action``; a ``UserError`` is one ``st.error`` line (plus the hint for its type, where
    going another way helps), anything else done reruns the app so every panel shows the new state."""
    try:
        action()
    except UserError as err:
        hint = next((text for kind, text in (hints or {}).items() if isinstance(err, kind)), "")
        st.error(f"{plain(str(err))}{hint}")
    else:
        st.rerun()


def forget_job() -> None:
    """The session holds no job any more (collected, or gone from the queue)."""
    st.session_state.pop("job_id", None)


def chart(fig, caption: str, key: str | None = None, slide: str | None = None,
          clickable: bool = False) -> list[dict]:
    """A figure with its one-sentence caption; our own colours and fonts, not the Streamlit theme's (in
    presenter mode no text under ``PRESENTER_PX``). ``slide``: the chart's title, and a ``Download slide``
    button beside the caption (``ui.slides``). A ``clickable`` one reruns the page when a point is clicked and
    returns the points chosen (each a dict with its ``x`` and ``y``); otherwise none."""
    shown = plot_style.enlarged(fig, PRESENTER_PX) if st.session_state.get(PRESENTER) else fig
    select = {"on_select": "rerun", "selection_mode": "points"} if clickable else {}
    event = st.plotly_chart(shown, theme=None, key=key, **select)
    if slide is None:
        st.caption(caption)
    else:
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.caption(caption)
            ui_slides.download(fig, slide, caption, key or slide)
    return list(event.selection.points) if clickable else []
