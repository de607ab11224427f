"""Weights: fc1 as a 300x784 picture, single neurons' receptive fields, and surviving connections per input
pixel - the model as loaded ("before") and the step being shown ("after", the latest unless the sidebar's
step picker went back), always side by side on one colour scale. A click on a row of fc1 opens that neuron
(``ui.neurons``), which can be removed by hand."""
import streamlit as st

from ui import memo as ui_memo
from ui import neurons as ui_neurons
from ui import state as ui_state
from ui import steps as ui_steps
from pruning_core import analyze
from pruning_core.plots import network
from pruning_core.plots import weights as figures

VIEWS = {"signed": "signed weights (blue < 0 < red)", "magnitude": "|weight|", "mask": "mask (kept / pruned)"}
CAPTIONS = {
    "signed": "Look at the bands: each 28-pixel image row is one band, and pruning empties the image border "
              "(always blank in MNIST) first; white means exactly 0 (a pruned weight).",
    "magnitude": "Look at what survives: only the darkest (largest) weights are left after pruning.",
    "mask": "Look at the blue: every blue dot is a connection kept; the image border's columns go pale first.",
}
FIELDS = 16

st.title("Weights")
models, titles = ui_steps.pair(), ui_steps.titles()
view = st.radio("fc1: every connection from the 784 input pixels to the first hidden layer", list(VIEWS),
                format_func=VIEWS.get, horizontal=True, key="fc1-view")
hidden = models["after"].model.settings.hidden[0]
fc1 = figures.with_neuron_targets(figures.fc1_pair({k: analyze.fc1_weights(c) for k, c in models.items()}, titles,
                                                   view), hidden)
clicked = ui_state.chart(fc1, CAPTIONS[view] + " One row per fc1 neuron, one column per input pixel; both sides "
                         "share one colour scale. Click a row to open its neuron below.", "fc1-pair",
                         f"fc1 weights, {VIEWS[view]}: before vs after", clickable=True)

st.subheader("One neuron")
ui_neurons.follow_click(clicked, hidden)
ui_neurons.detail(models)

st.subheader("Receptive fields: one neuron's 784 incoming weights as a 28x28 image")
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
    # Built when asked for, and kept with the line's last model: its frames (an fc1 picture and a diagram per
    # step) kept the page running for seconds after the pictures above were drawn.
    if st.toggle(f"Show the animation through the steps ({len(steps) - 1} so far; it takes a few seconds)",
                 key="show-animation"):
        frames = [{"label": f"{ui_steps.label(i, c)} - {ui_state.card(c)['sparsity']:.1f} % pruned",
                   "tick": "start" if i == 0 else f"{c.history[-1].percent:g} %", "ckpt": c}
                  for i, c in enumerate(steps)]

        def animation():
            return network.pruning_animation(ui_steps.widths(steps[-1]), [
                {**frame, "fc1": analyze.fc1_weights(frame["ckpt"]), "counts": ui_memo.layer_counts(frame["ckpt"])}
                for frame in frames])

        figure = ui_memo.per_model(steps[-1], "animation: " + " | ".join(f["label"] for f in frames), animation)
        ui_state.chart(figure, "Press Play steps and watch the blue thin out: the fc1 mask (left) and the lines "
                       "between the layers (right; the share of lines drawn is the share of weights kept) step by "
                       "step.", "animation")
