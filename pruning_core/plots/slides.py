"""A chart as a projector slide: one 1280x720 PNG with the chart, its title above and its caption below, every
text at presenter size (the dashboard's ``Download slide``). Plain data in, PNG bytes out."""
from __future__ import annotations

import html
import textwrap

import plotly.graph_objects as go

from . import snapshots
from .style import FONT_SIZE, enlarged, style

WIDTH, HEIGHT = 1280, 720  # a projector's screen
TEXT_PX = 20               # the smallest text on a slide: presenter mode's size
CAPTION_CHARS = 110        # characters per caption line at TEXT_PX across the slide (about 11 px each)
CAPTION_LINE_PX = 28
CAPTION_COLOUR = "#444444"
AXIS_PX = 70               # under the plot: tick labels and the x axis title at TEXT_PX


def caption_lines(caption: str) -> list[str]:
    """The caption broken between words into lines that fit the slide's width, escaped (Plotly reads tags in
    text: a caption's "<b>" shows as those characters)."""
    lines = textwrap.wrap(" ".join(caption.split()), CAPTION_CHARS) or [""]
    return [html.escape(line, quote=False) for line in lines]


def slide_figure(fig: go.Figure, title: str, caption: str) -> go.Figure:
    """A copy of ``fig`` (never changed: it may be cached) laid out as the slide: titled, the caption in a strip
    under the plot, texts at least ``TEXT_PX``."""
    lines = caption_lines(caption)
    caption_px = CAPTION_LINE_PX * len(lines) + 16
    legend_beside = fig.layout.legend.orientation == "v"
    # The strip above the plot stacked at the height that ``enlarged`` scales, with the text, up to the slide's.
    styled = style(go.Figure(fig), round(HEIGHT * FONT_SIZE / TEXT_PX), html.escape(title, quote=False),
                   legend_beside)
    slide = enlarged(styled, TEXT_PX)
    margin = slide.layout.margin
    bottom = max(margin.b or 0, AXIS_PX) + caption_px
    plot_px, was_px = HEIGHT - margin.t - bottom, slide.layout.height - margin.t - margin.b
    slide.update_layout(width=WIDTH, height=HEIGHT, margin={"l": max(margin.l or 0, 70), "r": max(margin.r or 0, 30),
                                                            "b": bottom})
    if not legend_beside and slide.layout.legend.y is not None and slide.layout.legend.y > 1:
        # The legend stands above the plot in the plot's coordinates: the same pixels above a shorter plot.
        slide.layout.legend.y = 1 + (slide.layout.legend.y - 1) * was_px / plot_px
    # The caption stands 8 px above the slide's bottom edge (annotations are placed in the plot's coordinates).
    slide.add_annotation(text="<br>".join(lines), xref="paper", x=0, xanchor="left", yref="paper",
                         y=-(bottom - 8) / plot_px, yanchor="bottom", align="left", showarrow=False,
                         font={"size": TEXT_PX, "color": CAPTION_COLOUR})
    return slide


def slide_png(fig: go.Figure, title: str, caption: str) -> bytes:
    """The slide as PNG bytes (Chromium draws it: about a second, so only when asked for)."""
    return snapshots.png(slide_figure(fig, title, caption), WIDTH, HEIGHT)
