"""Presenter mode for a classroom projector: body text at least 20 px and compact controls, so a page's main
figure fits on a 1280x720 screen that the back row can read. On with ``?present=1`` in the URL (a link the
teacher can bookmark) or the sidebar toggle; the CSS lives here and nowhere else."""
from __future__ import annotations

import streamlit as st

KEY = "presenter"
PARAM = "present"
BODY_PX = 20

# Streamlit sizes its text in rem: raising the root size scales body text, labels and headings together;
# captions (0.875 rem by default) are raised to full size because on a projector they carry the explanation.
CSS = f"""
<style>
html {{ font-size: {BODY_PX}px; }}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p, [data-testid="stMetricLabel"] p
  {{ font-size: {BODY_PX}px !important; line-height: 1.35; }}
h1 {{ font-size: 1.7rem !important; padding: 0 0 0.3rem 0 !important; }}
h2, h3 {{ font-size: 1.25rem !important; padding: 0.4rem 0 0.1rem 0 !important; }}
[data-testid="stMainBlockContainer"] {{ padding: 2.6rem 1.2rem 1rem 1.2rem !important; max-width: 100% !important; }}
[data-testid="stVerticalBlock"] {{ gap: 0.45rem !important; }}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] div {{ font-size: 1.6rem !important; }}
.stButton button, .stDownloadButton button {{ min-height: 2rem; padding: 0.15rem 0.7rem; }}
</style>
"""


def enabled() -> bool:
    """Presenter mode for this session: the URL's ``?present=1`` switches it on when the session starts."""
    if KEY not in st.session_state:
        st.session_state[KEY] = st.query_params.get(PARAM, "") in ("1", "true", "yes")
    return bool(st.session_state[KEY])


def _sync_url() -> None:
    """Keep ``?present=1`` in the address bar while the mode is on, so a reload or a copied link keeps it."""
    if st.session_state[KEY]:
        st.query_params[PARAM] = "1"
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def apply() -> None:
    """The sidebar toggle, and the presenter CSS when it is on. Call once per run, from ``app.py``."""
    enabled()
    st.sidebar.toggle("Presenter mode", key=KEY, on_change=_sync_url,
                      help="Larger text and compact controls for a projector (or open the app with ?present=1).")
    if st.session_state[KEY]:
        st.html(CSS)
