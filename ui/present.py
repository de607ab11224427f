"""Presenter mode for a classroom projector: body text at least 20 px and compact controls, so a page's main
figure fits on a 1280x720 screen that the back row can read. On with ``?present=1`` in the URL (a link the
teacher can bookmark) or the sidebar toggle, and kept with the student's settings (``ui.prefs``) and in the URL
on every page, so a page switch, a reload and a server restart keep it; the CSS lives here and nowhere else."""
from __future__ import annotations

import streamlit as st

from . import prefs as ui_prefs
from . import state as ui_state

KEY = ui_state.PRESENTER
PARAM = "present"
BODY_PX = ui_state.PRESENTER_PX

# Streamlit sizes its text in rem: raising the root size scales body text, labels and headings together;
# captions (0.875 rem by default) are raised to full size because on a projector they carry the explanation.
# The page starts below Streamlit's header (3.75 rem tall); columns too narrow for a 20 px word wrap onto the
# next row instead of breaking a label mid-word or cutting a box short; button and metric labels wrap between
# words instead of ending in "...".
CSS = f"""
<style>
html {{ font-size: {BODY_PX}px; }}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p, [data-testid="stMetricLabel"] p,
[data-testid="stMain"] code, [data-testid="stFileUploaderDropzone"] *
  {{ font-size: {BODY_PX}px !important; line-height: 1.35; }}
h1 {{ font-size: 1.7rem !important; padding: 0 0 0.3rem 0 !important; }}
h2, h3 {{ font-size: 1.25rem !important; padding: 0.4rem 0 0.1rem 0 !important; }}
[data-testid="stMainBlockContainer"] {{ padding: 3.8rem 1.2rem 1rem 1.2rem !important; max-width: 100% !important; }}
[data-testid="stHorizontalBlock"] {{ flex-wrap: wrap !important; }}
[data-testid="stColumn"] {{ min-width: min(100%, 6.5rem) !important; }}
[data-testid="stColumn"]:has(.st-key-scope):not(:has([data-testid="stColumn"])) {{ min-width: 100% !important; }}
[data-testid="stWidgetLabel"] p {{ overflow-wrap: normal !important; word-break: normal !important; }}
button p, button div, [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{ white-space: normal !important; text-overflow: clip !important; overflow: visible !important; }}
[data-testid="stVerticalBlock"] {{ gap: 0.45rem !important; }}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] *,
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {{ font-size: 1.6rem !important; line-height: 1.2; }}
.stButton button, .stDownloadButton button {{ min-height: 2rem; padding: 0.15rem 0.7rem; }}
</style>
"""


def apply() -> None:
    """The sidebar toggle, and the presenter CSS when it is on. Call once per run, from ``app.py``."""
    if ui_prefs.url_switch("Presenter mode", KEY, PARAM, "Larger text and compact controls for a projector (or "
                           "open the app with ?present=1)."):
        st.html(CSS)
