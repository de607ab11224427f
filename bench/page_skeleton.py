"""The Prune page's skeleton: the same Streamlit elements a new student's first page shows, with no lab code.

``python -m bench.page_open --skeleton`` serves it beside the lab (``write(folder)`` makes it) to split a page
open's server time into what Streamlit itself costs for these elements and what the lab's own work adds. The
element list is the one a first visit receives on the wire (``bench/ws_client.py``: 36 elements - 9 buttons,
8 markdown, 3 headings, 3 text inputs, 2 checkboxes, 2 metrics, 2 number inputs and one each of html, slider,
selectbox, code, plotly chart, alert and download button), in the same columns, containers and popover, with
the same widget options (``persist_state``, shortcuts) and the same network diagram (its plotly JSON, built
once by the lab and read by the skeleton at start). Its buttons do nothing: a press is a rerun.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import plotly.io as pio

from pruning_core import paths
from pruning_core.plots import network

APP = '''
import pathlib

import streamlit as st

HERE = pathlib.Path(__file__).parent
st.set_page_config(layout="wide", page_title="Prune Lab", page_icon="✂️")
PAGES = [st.Page(str(HERE / "prune.py"), title="Prune & retrain", default=True)]
PAGES += [st.Page(str(HERE / f"other_{n}.py"), title=f"Other page {n}") for n in range(7)]
page = st.navigation(PAGES)
st.sidebar.toggle("Presenter mode", key="present")
st.sidebar.toggle("Guided lesson", key="lesson")
with st.sidebar:
    st.markdown("**Model:** baseline \\\\(300\\\\-100\\\\)")
    st.metric("Test accuracy", "97.17 %")
    st.metric("Weights pruned", "0.0 %")
    st.caption("266,200 of 266,200 weights left (1.0x fewer).")

    @st.fragment(run_every=None)
    def job_status() -> None:
        pass

    job_status()
st.html("<script>(() => { const name = 'prune_lab_key'; })()</script>", unsafe_allow_javascript=True,
        width="content")
st.caption("**Line:** baseline - **before:** baseline 97.17 %")
page.run()
'''

PRUNE = '''
import pathlib

import plotly.io as pio
import streamlit as st

FIGURE = pio.read_json(pathlib.Path(__file__).parent / "diagram.json")
st.title("Prune & retrain")
controls, main = st.columns([5, 6], gap="medium")
with controls:
    st.slider("Prune to (% of all weights) - the model is now 0.0 % pruned", 0.0, 99.9, 90.0, key="percent")
    scope, epochs, lr = st.columns([2, 1, 1])
    scope.selectbox("Threshold", ["global", "layer"], key="scope", persist_state="session")
    epochs.number_input("Retrain epochs", value=1.0, step=1.0, format="%g", key="epochs", persist_state="session")
    lr.number_input("Learning rate", value=0.001, step=0.0001, format="%g", key="lr", persist_state="session")
    st.text_input("Schedule for Step and Play (% of all weights)", "10, 20, 30", key="schedule",
                  persist_state="session")
    buttons = st.container(horizontal=True, gap="small")
    buttons.button("Prune + retrain", type="primary")
    buttons.button("Step", shortcut="Right")
    buttons.button("Play", shortcut="Space")
    buttons.button("Pause", disabled=True, key="pause-idle")
    with st.popover("Copy link to these settings"):
        st.code("http://localhost:8501/?percent=90", language=None)
        st.caption("Copy it with the icon at the right of the box.")
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small", key="share-row"):
        st.text_input("Nickname", key="nickname", max_chars=24, persist_state="session")
        st.button("Share with the class", key="share-line")
with main:
    @st.fragment(run_every=None)
    def panel() -> None:
        pass

    panel()
    st.markdown("**Magnitude pruning** (Han et al., 2015) removes the smallest weights.")
    st.plotly_chart(FIGURE, theme=None, key="intro-diagram")
    st.caption("The network: look at the counts over each layer.")
st.columns(2)
st.subheader("Why magnitude? Compare it with random and largest-first")
compare, schedule = st.columns(2)
compare.button("Compare magnitude vs random vs largest")
schedule.caption("Your schedule from this model (10, 20, 30).")
st.subheader("Step history")
st.info("No pruning steps yet: press Step, Play, or Prune + retrain.")
rename, reset, download = st.columns(3)
with rename.form("rename"):
    st.text_input("Name this line", key="line-name")
    st.form_submit_button("Rename")
reset.markdown("**Reset to**")
reset.button("Start of this line (baseline)")
reset.button("Shipped baseline (baseline)")
download.download_button("Checkpoint of baseline (.pt)", b"0" * 1024, file_name="baseline.pt")
'''


def write(folder: Path) -> Path:
    """The skeleton app in ``folder`` (made), with this project's Streamlit config: the folder to serve."""
    (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
    shutil.copy(paths.APP_DIR / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    (folder / "app.py").write_text(APP.lstrip())
    (folder / "prune.py").write_text(PRUNE.lstrip())
    for n in range(7):
        (folder / f"other_{n}.py").write_text("import streamlit as st\n\nst.title('Other page')\n")
    widths = (784, 300, 100, 10)  # the baseline a new student starts from, nothing pruned
    full = {f"fc{n}": {"nonzero": inputs * outputs, "total": inputs * outputs}
            for n, (inputs, outputs) in enumerate(zip(widths, widths[1:]), start=1)}
    (folder / "diagram.json").write_text(pio.to_json(network.diagram(widths, full, height=300)))
    return folder


if __name__ == "__main__":  # python -m bench.page_skeleton DIR: write the skeleton app (tests/ui check its elements)
    import sys

    write(Path(sys.argv[1]))
