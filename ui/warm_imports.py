"""Imported first by app.py: the libraries the pages import lazily, imported once and completely.

Plotly imports pandas only when a figure first meets an array, and its figure classes on first use; Streamlit
imports pandas and pyarrow when a page first shows a table or a chart. Twelve pages opened at once right after
the server started made those first imports race across the sessions' threads, and some pages crashed with
"partially initialized module 'pandas'". Python lets no other thread use a module before its import has
finished, so whichever session runs app.py first imports everything here - and walks the lazy paths once -
while every other session waits at this module's import for complete modules.
"""
import numpy as np
import pandas
import plotly.express  # noqa: F401  (imported for its side effect: plotly's express layer, ready)
import plotly.graph_objects as go
import plotly.io
import plotly.subplots
import pyarrow

# The lazy paths themselves, once: figure classes from plotly's lazy submodules, a figure built from arrays
# (plotly looks for pandas then) and serialised as st.plotly_chart does, a table converted as st.dataframe does.
_FIGURE = plotly.subplots.make_subplots(rows=1, cols=2)
_FIGURE.add_trace(go.Scatter(x=np.arange(3), y=np.zeros(3)), row=1, col=1)
_FIGURE.add_trace(go.Heatmap(z=np.zeros((2, 2))), row=1, col=2)
_FIGURE.add_trace(go.Image(z=np.zeros((2, 2, 3), np.uint8)), row=1, col=2)
_FIGURE.frames = [go.Frame(data=[go.Bar(x=[1], y=[1])])]
plotly.io.to_json(_FIGURE)
pyarrow.Table.from_pandas(pandas.DataFrame({"column": np.arange(3)}))
del _FIGURE
