"""Prune Lab dashboard entry point: page navigation and the sidebar model card.

Run with ``streamlit run app.py`` (or ``make run``). Each page lives in ``views/`` (not ``pages/``: Streamlit treats a ``pages/`` folder as a legacy multipage app
and runs its files without this entry point when a fresh server is first opened at a page URL); shared session state and
the per-server job queue are in ``ui/state.py``.
"""
from ui import warm_imports  # noqa: F401  (first: lazy imports done once, before any page of any session runs)
import streamlit as st

from ui import jobs as ui_jobs
from ui import lesson as ui_lesson
from ui import prefs as ui_prefs
from ui import present as ui_present
from ui import state as ui_state
from ui import steps as ui_steps
from ui import classroom as ui_classroom
from ui import viewing as ui_viewing
from pruning_core import cpus
from pruning_core.errors import UserError, disk_problem
from pruning_core.service.jobs.job import Job
from pruning_core.service.jobs.records import JobSnapshot

# A favicon of our own: without one, Streamlit makes each page's material icon the tab's favicon, fetched from
# a font server on the internet (the lab makes no outside request; the sidebar's icons come with Streamlit).
st.set_page_config(layout="wide", page_title="Prune Lab", page_icon="✂️")

PRUNE = st.Page("views/prune.py", title="Prune & retrain", icon=":material/content_cut:", default=True)
TRAIN = st.Page("views/train.py", title="Train / load", icon=":material/model_training:")
EXPERIMENTS = st.Page("views/experiments.py", title="Experiments", icon=":material/science:")
PAGES = [
    PRUNE,
    TRAIN,
    st.Page("views/weights.py", title="Weights", icon=":material/grid_on:"),
    st.Page("views/histograms.py", title="Histograms", icon=":material/bar_chart:"),
    st.Page("views/activations.py", title="Activations", icon=":material/neurology:"),
    EXPERIMENTS,
    st.Page("views/runs.py", title="Runs", icon=":material/history:"),
    st.Page("views/classroom.py", title="Class", icon=":material/groups:", url_path="class"),
]


def model_card() -> None:
    """Which model every page is showing - the step shown, the latest unless the class picked an earlier one
    - and how pruned it is (the name is escaped: it may be a file name); the step picker below it, and Undo
    while the student's line was just replaced."""
    index, last = ui_steps.shown_index(), len(ui_state.steps()) - 1
    info = ui_state.card(ui_steps.shown())
    st.markdown(f"**Model:** {ui_state.plain(info['name'])}")
    if last:
        st.markdown(f"**Showing:** {ui_steps.label(index, ui_steps.shown())} "
                    f"({'the latest' if index == last else f'step {index} of {last}'})")
    st.metric("Test accuracy", f"{100 * info['accuracy']:.2f} %")
    st.metric("Weights pruned", f"{info['sparsity']:.1f} %")
    st.caption(f"{info['nonzero']:,} of {info['total']:,} weights left "
               f"({info['total'] / max(1, info['nonzero']):.1f}x fewer).")
    ui_steps.picker()
    ui_steps.undo_button()


# The pages with a job panel of their own (by their address, which st.navigation keeps): the panel that draws
# their kinds of job (``ui_jobs.PANEL_OF_KIND``).
PANEL_OF_PAGE = {PRUNE.url_path: ui_jobs.Panel.PRUNE, TRAIN.url_path: ui_jobs.Panel.TRAIN,
                 EXPERIMENTS.url_path: ui_jobs.Panel.EXPERIMENTS}


def job_status(snap: JobSnapshot, job: Job) -> None:
    """Waiting or running, in so many words (a queued job has done nothing yet)."""
    state, detail = ui_jobs.job_state(job, snap)
    st.progress(snap.fraction, text=f"{state}: {ui_state.plain(snap.spec.title)} ({detail})")


page = st.navigation(PAGES)
ui_prefs.keep_form()  # the Prune form's values, kept while other pages run and across reloads and restarts
ui_present.apply()  # presenter mode: ?present=1 or the sidebar toggle
ui_lesson.toggle()  # the guided lesson: ?lesson=1 or the sidebar toggle
ui_lesson.visit(page.url_path)  # the pages a student opened: the guided lesson's ticks
# A page run's torch work (counts, activations, histograms) on the server's thread count, not every CPU: the
# job workers keep the CPUs busy, and OpenMP threads that find a CPU busy wait for each other at every op
# (measured: docs/design-notes.md).
# A full or broken disk (sessions and runs are written as pages run) is one plain line, never a crash page;
# every write is atomic, so what failed left the old file as it was.
with cpus.threads(cpus.server_threads()):
    try:
        with st.sidebar:
            try:
                ui_viewing.follow_url()  # ?view=<id>: a classmate's shared line, read-only, on every page
                step_problem = ui_steps.follow_url()  # ?step=N: the step every page shows
                model_card()
            except UserError as err:  # e.g. the shipped baseline is missing from this installation
                st.error(ui_state.plain(str(err)))
                st.stop()
            # Polls on every page but the one whose panel polls the job, so a job's result is adopted even when
            # its own page is not open.
            ui_jobs.poll(ui_jobs.Panel.SIDEBAR, job_status, still_for=PANEL_OF_PAGE.get(page.url_path))
        ui_jobs.show_notice()
        ui_classroom.view_banner()  # whose shared line is shown (a line no longer shared: the page stops here)
        st.caption(ui_state.before_after(ui_steps.shown_index()))  # every page says what "before" and "after" are
        if step_problem:
            st.warning(step_problem)
        ui_steps.banner()
        ui_lesson.strip()
        page.run()
    except OSError as err:
        st.error(ui_state.plain(disk_problem(err)))
