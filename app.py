"""Prune Lab dashboard entry point: page navigation and the sidebar model card.

Run with ``streamlit run app.py`` (or ``make run``). Each page lives in ``views/`` (not ``pages/``: Streamlit treats a ``pages/`` folder as a legacy multipage app
and runs its files without this entry point when a fresh server is first opened at a page URL); shared session state and
the per-server job queue are in ``ui_state.py``.
"""
import streamlit as st

import ui_jobs
import ui_present
import ui_state
from pruning_core import cpus
from pruning_core.errors import UserError
from pruning_core.service.jobs import Job
from pruning_core.service.records import JobSnapshot

st.set_page_config(layout="wide", page_title="Prune Lab")

PAGES = [
    st.Page("views/prune.py", title="Prune & retrain", icon=":material/content_cut:", default=True),
    st.Page("views/train.py", title="Train / load", icon=":material/model_training:"),
    st.Page("views/weights.py", title="Weights", icon=":material/grid_on:"),
    st.Page("views/histograms.py", title="Histograms", icon=":material/bar_chart:"),
    st.Page("views/activations.py", title="Activations", icon=":material/neurology:"),
    st.Page("views/experiments.py", title="Experiments", icon=":material/science:"),
    st.Page("views/runs.py", title="Runs", icon=":material/history:"),
]


def model_card() -> None:
    """Which model every page is showing, and how pruned it is (the name is escaped: it may be a file name)."""
    info = ui_state.card(ui_state.current())
    st.markdown(f"**Model:** {info['name']}")
    st.metric("Test accuracy", f"{100 * info['accuracy']:.2f} %")
    st.metric("Weights pruned", f"{info['sparsity']:.1f} %")
    st.caption(f"{info['nonzero']:,} of {info['total']:,} weights left "
               f"({info['total'] / max(1, info['nonzero']):.1f}x fewer).")


# The pages with a job panel of their own, by title: the key they poll under (``ui_jobs.PANELS``).
PANEL_OF_PAGE = {"Prune & retrain": "prune", "Train / load": "train", "Experiments": "experiments"}


def job_status(snap: JobSnapshot, job: Job) -> None:
    """Waiting or running, in so many words (a queued job has done nothing yet)."""
    state, detail = ui_jobs.job_state(job, snap)
    st.progress(snap.fraction, text=f"{state}: {snap.spec.title} ({detail})")


page = st.navigation(PAGES)
ui_present.apply()  # presenter mode: ?present=1 or the sidebar toggle
# A page run's torch work (counts, activations, histograms) on the server's thread count, not every CPU: the
# job workers keep the CPUs busy, and OpenMP threads that find a CPU busy wait for each other at every op
# (a reachability check took 24 ms at 2 threads and 0.4 ms at 1 on the busy 2-CPU machine; see cpus.py).
with cpus.threads(cpus.server_threads()):
    with st.sidebar:
        try:
            model_card()
        except UserError as err:  # e.g. the shipped baseline is missing from this installation
            st.error(str(err))
            st.stop()
        # Polls on every page but the one whose panel polls the job, so a job's result is adopted even when
        # its own page is not open.
        ui_jobs.poll("sidebar", job_status, still_for=PANEL_OF_PAGE.get(page.title, ""))
    ui_jobs.show_notice()
    st.caption(ui_state.before_after())  # every page says what "before" and "after" are
    page.run()
