"""Activations: one test image (or an uploaded 28x28 picture) through the model before and after pruning -
active neurons per hidden layer, the prediction, and per-digit mean active counts over the test set."""
import random

import numpy as np
import streamlit as st
from PIL import Image, UnidentifiedImageError

import ui_state
from pruning_core import analyze
from pruning_core.plots import figures
from pruning_core.errors import UserError


def uploaded_pixels(file) -> np.ndarray:
    """Any picture -> 28x28 uint8, white digit on black like MNIST (dark-on-light drawings are inverted)."""
    try:
        image = Image.open(file).convert("L").resize((28, 28), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as err:
        raise UserError(f"could not read that picture ({err})") from None
    pixels = np.asarray(image, dtype=np.uint8)
    return 255 - pixels if pixels.mean() > 127 else pixels


st.title("Activations")
st.caption("Han et al. observe that pruning leaves fewer neurons active per image: count them here.")
models = {"before": ui_state.base(), "after": ui_state.current()}
test = ui_state.dataset().test

pick, index_col, random_col, upload_col = st.columns([2, 2, 1, 3])
digit = pick.selectbox("Digit", list(range(10)), index=3, key="digit")
last_index = analyze.class_counts(test)[digit] - 1
if st.session_state.get("example", 0) > last_index:  # a smaller class than the previously chosen digit's
    st.session_state["example"] = last_index
if random_col.button("Random example", key="random"):
    st.session_state["example"] = random.randint(0, last_index)
index = index_col.number_input(f"Example of that digit (0-{last_index})", 0, last_index, key="example")
file = upload_col.file_uploader("Or upload a digit picture (PNG/JPEG, scaled to 28x28)", type=["png", "jpg", "jpeg"],
                                key="digit-upload")
try:
    if file is not None:
        pixels, truth, source = uploaded_pixels(file), None, f"uploaded {file.name}"
    else:
        position = analyze.test_index(test, digit, int(index))
        pixels, truth, source = test.pixels[position].numpy(), int(test.labels[position]), f"test image #{position}"
    results = {label: analyze.inspect_pixels(ckpt, pixels, bias_free=True) for label, ckpt in models.items()}
except UserError as err:
    st.error(str(err))
    st.stop()

image_col, numbers_col, probs_col = st.columns([1, 1, 2])
with image_col:
    ui_state.chart(figures.digit(pixels), f"{source}: label {truth if truth is not None else 'unknown'}, "
                   f"{results['after']['nonzero_pixels']} nonzero pixels.", "digit-image")
with numbers_col:
    st.metric("True label", "?" if truth is None else str(truth))
    for label, result in results.items():
        st.metric(f"{label.capitalize()}: prediction", str(result["prediction"]),
                  f"{100 * float(result['probabilities'][result['prediction']]):.1f} % sure", delta_color="off",
                  delta_arrow="off")
        st.markdown(f"active neurons: **fc1 {result['active']['fc1']} / {result['sizes']['fc1']}**, "
                    f"**fc2 {result['active']['fc2']} / {result['sizes']['fc2']}** "
                    f"(without biases: {result['active_bias_free']['fc1']}, {result['active_bias_free']['fc2']})")
with probs_col:
    ui_state.chart(figures.probabilities(results), "Class probabilities for this image before (grey) and after "
                   "(red) pruning.", "probabilities")
ui_state.chart(figures.activation_strips(results), "Each hidden neuron's output for this image; white means "
               "inactive (ReLU output 0).", "strips")
means = {label: analyze.class_mean_active(ckpt, test) for label, ckpt in models.items()}
ui_state.chart(figures.class_mean_active(means), "Mean number of active hidden neurons per test image of each "
               "digit, before (grey) and after (red) pruning.", "class-means")
