"""The look every dashboard figure shares: colours fixed once (one per layer, one for the model before pruning,
one after, one for "right after pruning, before retraining"), a classroom-readable font, and large matrices
colour-mapped in numpy and sent as one 8-bit PNG instead of hundreds of thousands of JSON numbers.

The template (plotly_white) is validated once, at import, and made plotly's default: a figure then starts with
it for ~0.1 ms, where setting a template on each figure deep-copies and re-validates it several times (~15 ms,
13 % of the server's CPU when 30 students opened the Prune page at once: py-spy, issue 17). The figures are
byte for byte those of setting it per figure; a process that changes plotly's default gets that path back."""
from __future__ import annotations

import base64
import io

import numpy as np
import PIL.Image
import plotly.colors as pcolors
import plotly.graph_objects as go
import plotly.io as pio

LAYER_COLORS = {"fc1": "#1f77b4", "fc2": "#2ca02c", "fc3": "#9467bd", "all": "#444444"}
PHASE_COLORS = {"before": "#7f7f7f", "pruned": "#ff7f0e", "after": "#d62728"}
SCOPE_COLORS = {"global": "#d62728", "layer": "#17becf", "std": "#bcbd22"}
WIDTH_COLORS = ("#1f77b4", "#e377c2")
MASK_COLORS = {"pruned": "#f4f1ea", "kept": "#2166ac"}  # binary: a dense mask is blue, not a black slab
DIVERGING, SEQUENTIAL = "RdBu_r", "Viridis"
FONT_SIZE = 16  # readable from the back of a classroom
TEMPLATE = "prune_lab"  # plotly_white as validated when set on a figure (same keys in the same order)

pio.templates[TEMPLATE] = go.Figure(layout={"template": "plotly_white"}).layout.template
pio.templates.default = TEMPLATE


def style(fig: go.Figure, height: int = 420, title: str | None = None) -> go.Figure:
    """Our fonts, margins and legend place; ``title`` is drawn on the figure itself (it survives screenshots)."""
    # Only where the figure did not start with our template (plotly's default changed since): the slow path.
    template = {} if pio.templates.default == TEMPLATE else {"template": pio.templates[TEMPLATE]}
    fig.update_layout(font={"size": FONT_SIZE}, height=height,
                      margin={"l": 60, "r": 20, "t": 80 if title else 50, "b": 50},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}, **template)
    if title:
        fig.update_layout(title={"text": title, "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top"},
                          legend={"y": 1.0, "x": 1, "xanchor": "right"})
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
