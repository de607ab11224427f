"""Plotly figure -> PNG bytes, drawn offline by Debian's Chromium through Plotly's own static export (kaleido):
the one export path of the project (report figures, the dashboard's slides).

kaleido opens the figure in a page holding the plotly.js bundled in the plotly package and kaleido's own
script, both read from local files; MathJax (which it would fetch from a CDN) is switched off and the browser
is the Chromium the browser tests use (``paths.chromium``), never one that kaleido downloads. Nothing is
fetched from the network. Each call starts Chromium (about a second): call it on demand, never per page run.
Exports run one at a time per process, so a class pressing Download slide together queues for the CPUs
instead of starting a Chromium each at once.
"""
from __future__ import annotations

import threading
from pathlib import Path

import plotly.graph_objects as go

from ..paths import chromium

_ONE_AT_A_TIME = threading.Lock()


def png(fig: go.Figure, width: int, height: int) -> bytes:
    """``fig`` rendered as a ``width`` x ``height`` PNG. Raises if kaleido or Chromium is missing."""
    import kaleido  # imported on use: only an export needs it (and it starts no browser at import)

    with _ONE_AT_A_TIME:
        return kaleido.calc_fig_sync(fig.to_dict(), opts={"format": "png", "width": width, "height": height,
                                                          "scale": 1},
                                     kopts={"path": chromium(), "mathjax": False})


def save_png(fig: go.Figure, path: Path, width: int = 1000, height: int = 460) -> Path:
    """Render ``fig`` to ``path`` (PNG)."""
    path.write_bytes(png(fig, width, height))
    return path
