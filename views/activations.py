"""Activations: one digit - a test image, one drawn with mouse or finger, or an uploaded photo - through the
model before and after pruning: active neurons per hidden layer, the prediction, and per-digit mean active
counts over the test set. Drawings and photos are made MNIST-like first (``pruning_core.digits``) and the
28x28 input the model really sees is shown next to the original."""
import random

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

import ui_state
import ui_steps
from pruning_core import analyze, digits
from pruning_core.errors import UserError
from pruning_core.plots import figures
from pruning_core.service import pictures

SOURCES = ("Test image", "Draw", "Upload a photo")
CANVAS_PX = 240
ZOOM = 6
BIAS_FREE = ("Without biases: a neuron counts as active when the weighted sum of its inputs alone is positive, "
             "leaving out the bias it adds to every image (the reference blog's counts match the with-bias count).")


def test_image(test) -> tuple[np.ndarray | None, int, str]:
    """Pick a test image by digit and example number (or at random)."""
    pick, index_col, random_col = st.columns([2, 2, 3], vertical_alignment="bottom")  # room for "Random"
    digit = pick.selectbox("Digit", list(range(10)), index=3, key="digit")
    last_index = analyze.class_counts(test)[digit] - 1
    if st.session_state.get("example", 0) > last_index:  # a smaller class than the previously chosen digit's
        st.session_state["example"] = last_index
    if random_col.button("Random", key="random"):
        st.session_state["example"] = random.randint(0, last_index)
    index = index_col.number_input(f"Example (0-{last_index})", 0, last_index, key="example")
    position = analyze.test_index(test, digit, int(index))
    return test.pixels[position].numpy(), int(test.labels[position]), f"test image #{position}"


def drawing() -> tuple[np.ndarray | None, None, str]:
    """A canvas to draw on (mouse or touch); Clear starts a fresh one."""
    version = st.session_state.setdefault("canvas-version", 0)
    result = st_canvas(stroke_width=18, stroke_color="#000000", background_color="#ffffff", height=CANVAS_PX,
                       width=CANVAS_PX, drawing_mode="freedraw", return_image_data=True,
                       key=f"digit-canvas-{version}")
    if st.button("Clear", key="clear-canvas"):
        st.session_state["canvas-version"] = version + 1
        st.rerun()
    drawn = bool(result.json_data and result.json_data.get("objects")) and result.image_bytes is not None
    return (digits.decode(result.image_bytes) if drawn else None), None, "your drawing"


def upload() -> tuple[np.ndarray | None, None, str]:
    file = st.file_uploader("A photo or scan of one digit (PNG/JPEG)", type=["png", "jpg", "jpeg"],
                            key="digit-upload")
    # Decoded once per file (service.pictures), not on each of the page's reruns.
    return (pictures.decoded(file.getvalue()) if file is not None else None), None, "your photo"


st.title("Activations")
models, titles = ui_steps.pair(), ui_steps.titles()
test = ui_state.dataset().test
source = st.radio("Digit from", SOURCES, horizontal=True, key="digit-source", label_visibility="collapsed")
st.write("")  # room for the canvas' toolbar, which floats above it
input_col, processed_col, result_col = st.columns([3, 2, 5])
try:
    with input_col:
        original, truth, name = {SOURCES[0]: lambda: test_image(test), SOURCES[1]: drawing,
                                 SOURCES[2]: upload}[source]()
    if original is None:
        processed_col.info("Draw a digit on the canvas." if source == SOURCES[1] else "Upload a photo of a digit.")
        st.stop()
    pixels = original if source == SOURCES[0] else digits.to_mnist(original)
    results = {label: analyze.inspect_pixels(ckpt, pixels, bias_free=True) for label, ckpt in models.items()}
except UserError as err:
    processed_col.error(str(err))
    st.stop()

if source == SOURCES[2]:  # a test image is its own model input and the canvas shows the drawing itself
    input_col.image(original, caption="your photo", width=CANVAS_PX)
with processed_col:
    # Each of the 28x28 pixels as a 6x6 block: the model's real input, sharp, without a plot's axes.
    st.image(np.kron(pixels, np.ones((ZOOM, ZOOM), np.uint8)), width=28 * ZOOM)
    st.caption(f"{name}: label {'?' if truth is None else truth}, {results['after']['nonzero_pixels']} nonzero "
               "pixels - what the model sees" + ("." if source == SOURCES[0] else
                                                 ": background removed, cropped to 20 px, centred in 28x28."))
with result_col:
    cols = st.columns(3)
    cols[0].metric("True label", "?" if truth is None else str(truth))
    for col, (label, result) in zip(cols[1:], results.items()):
        col.metric(f"{label.capitalize()}: prediction", str(result["prediction"]),
                   f"{100 * float(result['probabilities'][result['prediction']]):.1f} % sure", delta_color="off",
                   delta_arrow="off")
    ui_state.chart(figures.activation_strips(results, 330), "Look at the white gaps: white neurons are inactive "
                   "(ReLU output 0); " + "; ".join(
                       f"{label}: fc1 {r['active']['fc1']} / {r['sizes']['fc1']}, fc2 {r['active']['fc2']} / "
                       f"{r['sizes']['fc2']} active (without biases: {r['active_bias_free']['fc1']}, "
                       f"{r['active_bias_free']['fc2']})" for label, r in results.items()) + ".", "strips")
    st.caption(BIAS_FREE)
ui_state.chart(figures.probabilities(results), "Look at the tallest bars: how sure each model is of each digit, "
               f"{titles['before']} (grey) vs {titles['after']} (red).", "probabilities")
means = {label: analyze.class_mean_active(ckpt, test) for label, ckpt in models.items()}
ui_state.chart(figures.class_mean_active(means), "Look at the gap between the bars: the mean number of active "
               "hidden neurons per test image of each digit, before (grey) and after (red) pruning.", "class-means")
