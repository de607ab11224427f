"""``Download slide`` beside a chart: the chart as a 1280x720 projector slide (``pruning_core.plots.slides``),
drawn only when the button is pressed - Streamlit calls the data function on that click, on its own thread,
never on a page run or a poll."""
from __future__ import annotations

import re

import plotly.graph_objects as go
import streamlit as st

from pruning_core.plots import slides
from pruning_core.plots.browser import chromium_installed

MARKDOWN_ESCAPE = re.compile(r"\\(.)")  # a backslash escape, as ``ui.state.plain`` writes them
HELP = "A 1280x720 PNG of this chart with its title and caption at projector sizes (takes a second or two)."
NO_BROWSER = "Off: this server has no Chromium to draw slides with (apt-get install chromium)."


def download(fig: go.Figure, title: str, caption: str, key: str) -> None:
    """The ``Download slide`` button for ``fig`` (never changed: the slide is drawn on a copy)."""
    name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "chart"
    text = MARKDOWN_ESCAPE.sub(r"\1", caption)  # the slide shows the caption's characters, not Markdown
    drawable = chromium_installed()  # the slide is drawn by the server's Chromium
    st.download_button("Download slide", lambda: slides.slide_png(fig, title, text), f"{name}.png", "image/png",
                       key=f"{key}-slide", help=HELP if drawable else NO_BROWSER, on_click="ignore",
                       icon=":material/slideshow:", disabled=not drawable)
