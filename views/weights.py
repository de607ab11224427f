"""Weights: fc1 as a 300x784 picture, single neurons' receptive fields, and surviving connections per input
pixel - the model as loaded ("before") next to the current, pruned one ("after")."""
import streamlit as st

import ui_state
from pruning_core import analyze
from pruning_core.plots import figures

VIEWS = {"signed": "signed weights (blue < 0 < red)", "magnitude": "|weight|", "mask": "mask (black = kept)"}
FIELDS = 16

st.title("Weights")
models = {"before": ui_state.base(), "after": ui_state.current()}
st.caption(f"Before: {ui_state.model_name(models['before'])}. After: {ui_state.model_name(models['after'])}.")

st.subheader("fc1: every connection from the 784 input pixels to the first hidden layer")
view = st.radio("Show", list(VIEWS), format_func=VIEWS.get, horizontal=True, key="fc1-view")
# One above the other: a 300x784 matrix needs the full width to show single connections.
for label, ckpt in models.items():
    ui_state.chart(figures.fc1_heatmap(analyze.fc1_weights(ckpt), view),
                   f"{label.capitalize()}: one row per fc1 neuron, one column per input pixel (each 28-pixel "
                   "image row is a band); pruned weights are exactly 0.", f"fc1-{label}")

st.subheader("Receptive fields: one neuron's 784 incoming weights as a 28x28 image")
hidden = models["after"].model.settings.hidden[0]
last_first = max(0, hidden - FIELDS)
if st.session_state.get("first-neuron", 0) > last_first:  # a narrower model than the previously chosen neuron's
    st.session_state["first-neuron"] = last_first
first = st.number_input(f"First neuron (showing {FIELDS})", 0, last_first, 0, key="first-neuron")
neurons = list(range(int(first), min(hidden, int(first) + FIELDS)))
for column, (label, ckpt) in zip(st.columns(2), models.items()):
    with column:
        ui_state.chart(figures.receptive_fields(analyze.receptive_fields(ckpt, neurons), neurons),
                       f"{label.capitalize()}: red pixels excite the neuron, blue ones inhibit it; after pruning "
                       "only strokes near the centre keep weights.", f"fields-{label}")

st.subheader("Surviving connections per input pixel")
for column, (label, ckpt) in zip(st.columns(2), models.items()):
    with column:
        counts = analyze.pixel_connections(ckpt)
        ui_state.chart(figures.pixel_connections(counts),
                       f"{label.capitalize()}: how many of the {hidden} fc1 neurons still read each pixel "
                       f"({int(counts.sum()):,} connections, at most {int(counts.max())} per pixel); the "
                       "always-blank border loses them first.",
                       f"pixels-{label}")
