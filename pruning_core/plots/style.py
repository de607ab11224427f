"""The look every dashboard figure shares: colours fixed once (one per layer, one for the model before pruning,
one after, one for "right after pruning, before retraining"), a classroom-readable font, and large matrices
colour-mapped in numpy and sent as one 8-bit PNG instead of hundreds of thousands of JSON numbers.

The template (plotly_white) is validated once, at import, and made plotly's default: a figure then starts with
it for ~0.1 ms, where setting a template on each figure deep-copies and re-validates it several times (~15 ms,
13 % of the server's CPU when 30 students opened the Prune page at once: py-spy; docs/reliability.md). The figures are
byte for byte those of setting it per figure; a process that changes plotly's default gets that path back.

Nothing drawn above the plot may sit on anything else: ``style`` stacks, from the plot upwards, the subplot
titles, the legend and the figure's title, and sizes the top margin to hold them (Plotly itself places each in
the same strip just above the plot, where they overlapped)."""
from __future__ import annotations

import base64
import io
import math

import numpy as np
import PIL.Image
import plotly.colors as pcolors
import plotly.graph_objects as go
import plotly.io as pio

LAYER_COLORS = {"fc1": "#1f77b4", "fc2": "#2ca02c", "fc3": "#9467bd", "all": "#444444"}
PHASE_COLORS = {"before": "#7f7f7f", "pruned": "#ff7f0e", "after": "#d62728"}
SCOPE_COLORS = {"global": "#d62728", "layer": "#17becf", "std": "#bcbd22", "random": "#7f7f7f",
                "largest": "#8c564b"}
WIDTH_COLORS = ("#1f77b4", "#e377c2")
MASK_COLORS = {"pruned": "#f4f1ea", "kept": "#2166ac"}  # binary: a dense mask is blue, not a black slab
# RdBu_r with its middle made pure white (plotly's is light grey, 247): a weight of exactly 0 reads as white.
DIVERGING = [[i / 10, "rgb(255,255,255)" if i == 5 else colour] for i, colour in enumerate(pcolors.sequential.RdBu_r)]
SEQUENTIAL = "Viridis"
FONT_SIZE = 16  # readable from the back of a classroom
TEMPLATE = "prune_lab"  # plotly_white as validated when set on a figure (same keys in the same order)

pio.templates[TEMPLATE] = go.Figure(layout={"template": "plotly_white"}).layout.template
pio.templates.default = TEMPLATE


TITLE_LINE_PX = 26    # one line of a title (FONT_SIZE + 2) or subplot title (FONT_SIZE)
LEGEND_ROW_PX = 30    # one row of a horizontal legend
LEGEND_ROW_WIDTH_PX = 340  # where a legend wraps in a half-width chart at 1280 px: estimated on the safe side
CHAR_PX, LEGEND_ITEM_PX = 9.5, 50  # per character of a legend name at FONT_SIZE; per item (symbol and gap)
BOTTOM_PX = 50
UNLISTED = {"heatmap", "image"}  # trace types plotly leaves out of the legend unless told otherwise


def text_lines(text: str | None) -> int:
    return 0 if not text else text.count("<br>") + 1


def two_lines(text: str, longest: int = 30) -> str:
    """A long panel title broken at its last " - " ("after: step 3: 30 % - 30.0 % pruned"), so that two titles
    side by side do not run into each other."""
    head, sep, tail = text.rpartition(" - ")
    return f"{head}<br>{tail}" if sep and len(text) > longest else text


def legend_rows(fig: go.Figure) -> int:
    """Rows a horizontal legend of ``fig`` takes (0 without one), on the safe side."""
    if fig.layout.showlegend is False:
        return 0
    shown = {True: True, False: False}  # an unset showlegend: listed unless the type is left out by default
    names = [t.name for t in fig.data if t.name and shown.get(getattr(t, "showlegend", None), t.type not in UNLISTED)]
    if not names or (len(fig.data) == 1 and fig.layout.showlegend is not True):
        return 0  # plotly draws no legend for a single trace unless asked
    return math.ceil(sum(CHAR_PX * len(name) + LEGEND_ITEM_PX for name in names) / LEGEND_ROW_WIDTH_PX)


def top_titles_lines(fig: go.Figure) -> int:
    """Lines of the subplot titles standing on the plot's top edge (0 if none)."""
    return max((text_lines(a.text) for a in fig.layout.annotations
                if a.yref == "paper" and a.yanchor == "bottom" and a.y is not None and a.y >= 0.99), default=0)


def style(fig: go.Figure, height: int = 420, title: str | None = None, legend_beside: bool = False) -> go.Figure:
    """Our fonts and margins, and the strip above the plot stacked: subplot titles, then the legend (horizontal;
    ``legend_beside``: upright, right of the plot), then ``title`` (drawn on the figure itself, so it survives
    screenshots)."""
    # Only where the figure did not start with our template (plotly's default changed since): the slow path.
    template = {} if pio.templates.default == TEMPLATE else {"template": pio.templates[TEMPLATE]}
    subtitles_px = TITLE_LINE_PX * top_titles_lines(fig)
    legend_px = 0 if legend_beside else LEGEND_ROW_PX * legend_rows(fig)
    title_px = TITLE_LINE_PX * text_lines(title)
    top = max(50, 16 + subtitles_px + legend_px + title_px)
    plot_px = max(1, height - top - BOTTOM_PX)
    fig.update_layout(font={"size": FONT_SIZE}, height=height,
                      margin={"l": 60, "r": 20, "t": top, "b": BOTTOM_PX},
                      legend={"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1, "yanchor": "top"}
                      if legend_beside else
                      {"orientation": "h", "yanchor": "bottom", "y": 1 + (subtitles_px + 2) / plot_px, "x": 0,
                       "xanchor": "left"}, **template)
    if title:  # standing on the legend. Plotly anchors a title of several lines by its first line, the others
        # hanging below it: that first line's bottom goes where the whole title's bottom would be, plus the rest.
        first_line_bottom = BOTTOM_PX + plot_px + subtitles_px + legend_px + 8 + title_px - TITLE_LINE_PX
        fig.update_layout(title={"text": title, "x": 0, "xanchor": "left", "xref": "paper", "yref": "container",
                                 "y": first_line_bottom / height, "yanchor": "bottom", "font": {"size": FONT_SIZE + 2}})
    return fig


def lut(scale: str | list, n: int = 256) -> np.ndarray:
    """``n`` RGB colours sampled along a plotly colour scale (a name or [[position, colour], ...])."""
    colours = pcolors.sample_colorscale(scale, list(np.linspace(0, 1, n)), colortype="rgb")
    return np.array([pcolors.unlabel_rgb(c) for c in colours], dtype=np.uint8)


def palette_image(values: np.ndarray, scale: str | list, low: float, high: float) -> go.Image:
    """values -> an 8-bit palette PNG (256 colours of ``scale``) inside a plotly Image trace. A 300x784 weight
    matrix is nearly incompressible as 24-bit RGB (~1 MB); as palette indices it is about a third of that."""
    index = np.rint(np.clip((values - low) / (high - low or 1.0), 0, 1) * 255).astype(np.uint8)
    image = PIL.Image.frombytes("P", (index.shape[1], index.shape[0]), index.tobytes())
    image.putpalette(lut(scale).flatten().tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return go.Image(source="data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())


def enlarged(fig: go.Figure, min_px: float) -> go.Figure:
    """A copy of ``fig`` (which may be cached and shared: never changed) whose every text is at least ``min_px``
    - the base font, the titles, the axes' ticks and titles, the legend, annotations (subplot titles, the
    diagram's counts), colour bars, text on traces, sliders and buttons: presenter mode on a projector.
    The figure's height and margins grow by as much as its base font: what ``style`` stacked above the plot,
    the gaps between subplots and the room for axis titles keep their proportions to the text, so larger text
    overlaps nothing that the figure kept apart at its own size."""
    big = go.Figure(fig)
    base = big.layout.font.size or FONT_SIZE
    scale = max(1.0, min_px / base)
    if scale > 1 and big.layout.height:
        margin = big.layout.margin
        big.update_layout(height=round(big.layout.height * scale),
                          margin={side: round(getattr(margin, side) * scale) for side in "tblr"
                                  if getattr(margin, side) is not None})

    def at_least(size: float | None) -> float:
        return max(size or base, min_px)

    big.update_layout(font_size=at_least(base), legend_font_size=at_least(big.layout.legend.font.size))
    if big.layout.title.text:
        big.layout.title.font.size = at_least(big.layout.title.font.size)
    for axis in [*big.select_xaxes(), *big.select_yaxes()]:
        axis.update(tickfont_size=at_least(axis.tickfont.size), title_font_size=at_least(axis.title.font.size))
    for note in big.layout.annotations:  # a shift in pixels (a title standing on labels) grows with the text
        note.update(font_size=at_least(note.font.size), xshift=(note.xshift or 0) * scale,
                    yshift=(note.yshift or 0) * scale)
    for trace in big.data:
        if "colorbar" in trace:
            trace.colorbar.update(tickfont_size=at_least(trace.colorbar.tickfont.size),
                                  title_font_size=at_least(trace.colorbar.title.font.size))
        if "textfont" in trace:
            trace.textfont.size = at_least(trace.textfont.size)
    for slider in big.layout.sliders:
        slider.update(font_size=at_least(slider.font.size),
                      currentvalue_font_size=at_least(slider.currentvalue.font.size))
    for menu in big.layout.updatemenus:
        menu.font.size = at_least(menu.font.size)
    return big
