"""Weights: fc1 as a 300x784 picture, single neurons' receptive fields, and surviving connections per input
pixel - the model as loaded ("before") and the step being shown ("after", the latest unless the Prune page's
scrubber went back), always side by side on one colour scale."""
import streamlit as st

import ui_memo
import ui_state
import ui_steps
from pruning_core import analyze
from pruning_core.plots import network
from pruning_core.plots import weights as figures

VIEWS = {"signed": "signed weights (blue < 0 < red)", "magnitude": "|weight|", "mask": "mask (kept / pruned)"}
CAPTIONS = {
    "signed": "Look at the bands: each 28-pixel image row is one band, and pruning empties the image border "
              "(always blank in MNIST) first; white means exactly 0.",
    "magnitude": "Look at what survives: only the darkest (largest) weights are left after pruning.",
    "mask": "Look at the blue: every blue dot is a connection kept; the image border's columns go pale first.",
}
FIELDS = 16

st.title("Weights")
models, titles = ui_steps.pair(), ui_steps.titles()
view = st.radio("fc1: every connection from the 784 input pixels to the first hidden layer", list(VIEWS),
                format_func=VIEWS.get, horizontal=True, key="fc1-view")
ui_state.chart(figures.fc1_pair({k: analyze.fc1_weights(c) for k, c in models.items()}, titles, view),
               CAPTIONS[view] + " One row per fc1 neuron, one column per input pixel; both sides share one "
               "colour scale.", "fc1-pair")

st.subheader("Receptive fields: one neuron's 784 incoming weights as a 28x28 image")
hidden = models["after"].model.settings.hidden[0]
last_first = max(0, hidden - FIELDS)
if st.session_state.get("first-neuron", 0) > last_first:  # a narrower model than the previously chosen neuron's
    st.session_state["first-neuron"] = last_first
first = st.number_input(f"First neuron (showing {FIELDS})", 0, last_first, 0, key="first-neuron")
neurons = list(range(int(first), min(hidden, int(first) + FIELDS)))
ui_state.chart(figures.receptive_fields_pair({k: analyze.receptive_fields(c, neurons) for k, c in models.items()},
                                             neurons, titles),
               "Look for strokes: red pixels excite the neuron, blue ones inhibit it, and after pruning only "
               "weights near the centre of the image remain.", "fields-pair")

st.subheader("Surviving connections per input pixel")
counts = {k: analyze.pixel_connections(c) for k, c in models.items()}
ui_state.chart(figures.pixel_connections_pair(counts, titles),
               f"Look at the edge of the image: it loses its connections first (before "
               f"{int(counts['before'].sum()):,} connections, after {int(counts['after'].sum()):,}, at most "
               f"{hidden} per pixel; logarithmic colours so both stay readable).", "pixels-pair")

steps = ui_state.steps()
if len(steps) > 1:
    st.subheader("Play through the steps")
    frames = [{"label": ui_steps.label(i, c), "fc1": analyze.fc1_weights(c), "counts": ui_memo.layer_counts(c)}
              for i, c in enumerate(steps)]
    ui_state.chart(network.pruning_animation(ui_steps.widths(steps[-1]), frames),
                   "Press Play steps and watch the blue thin out: the fc1 mask (left) and the lines between the "
                   "layers (right; the share of lines drawn is the share of weights kept) step by step.", "animation")
