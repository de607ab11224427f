"""Activations: one digit - a test image, one drawn with mouse or finger, or an uploaded photo - through the
model before and after pruning: active neurons per hidden layer, the prediction, and per-digit mean active
counts over the test set. Drawings and photos are made MNIST-like first (``pruning_core.digits``) and the
28x28 input the model really sees is shown next to the original."""
import random

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from ui import lesson as ui_lesson
from ui import state as ui_state
from ui import steps as ui_steps
from pruning_core import analyze, digits
from pruning_core.errors import UserError
from pruning_core.plots import figures
from pruning_core.research import lesson
from pruning_core.service.actions import pictures

SOURCES = ("Test image", "Draw", "Upload a photo")
CANVAS_PX = 240
ZOOM = 6
BIAS_FREE = ("Active: the neuron's output is above 0 for this digit. Without biases: counting only what the "
             "digit's pixels add up to, leaving out the bias a neuron adds to every image")


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
    return (digits.decode(result.image_bytes) if drawn else None), said_digit("Which digit did you draw?"), \
        "your drawing"


def said_digit(question: str) -> int | None:
    """The digit the student says it is (their drawing's or photo's true label), or None if not said."""
    return st.selectbox(question, [None, *range(10)], format_func=lambda d: "not said" if d is None else str(d),
                        key="said-digit")


def upload() -> tuple[np.ndarray | None, None, str]:
    file = st.file_uploader("A photo or scan of one digit (PNG/JPEG)", type=["png", "jpg", "jpeg"],
                            key="digit-upload")
    # Decoded once per file (service.pictures), not on each of the page's reruns.
    return (pictures.decoded(file.getvalue()) if file is not None else None), \
        said_digit("Which digit is in the photo?"), "your photo"


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
    if source == SOURCES[1]:  # a drawn digit through both models: the guided lesson's step 4
        ui_lesson.saw(lesson.DREW_DIGIT)
except UserError as err:
    processed_col.error(ui_state.plain(str(err)))
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
    ui_state.chart(figures.activation_strips(results, 280), "Look at the white gaps: white neurons are inactive "
                   "(ReLU output 0).", "strips")
    before, after = results["before"], results["after"]
    for col, layer in zip(st.columns(2), ("fc1", "fc2")):
        col.metric(f"Active {layer} neurons (of {after['sizes'][layer]}), before -> after",
                   f"{before['active'][layer]} → {after['active'][layer]}",
                   f"without biases: {before['active_bias_free'][layer]} → {after['active_bias_free'][layer]}",
                   delta_color="off", delta_arrow="off")
    st.caption(BIAS_FREE + ".")
ui_state.chart(figures.probabilities(results), "Look at the tallest bars: how sure each model is of each digit, "
               f"{ui_state.plain(titles['before'])} (grey) vs {ui_state.plain(titles['after'])} (red).",
               "probabilities")
means = {label: analyze.class_mean_active(ckpt, test) for label, ckpt in models.items()}
ui_state.chart(figures.class_mean_active(means), "Look at the gap between the bars: the mean number of active "
               "hidden neurons per test image of each digit, before (grey) and after (red) pruning.", "class-means")
