"""Histograms: the distribution of nonzero weights before and after pruning, all layers and per layer - the
paper's Figure 5 (pruning cuts out the middle; retraining spreads the survivors out)."""
import streamlit as st

import ui_state
from pruning_core import analyze
from pruning_core.plots import figures

st.title("Weight histograms")
models = {"before": ui_state.base(), "after": ui_state.current()}
st.caption(f"Before: {ui_state.model_name(models['before'])}. After: {ui_state.model_name(models['after'])}.")
left, right = st.columns(2)
log_y = left.toggle("Logarithmic counts", value=True, key="log-y",
                    help="The dense model has far more weights; a log axis keeps both visible.")
bins = right.slider("Bins", 21, 301, 101, 20, key="bins")

# Shared edges: the widest of the two models, so the bars line up bin for bin.
limit = max(float(analyze.weight_histograms(ckpt, 3)["edges"][-1]) for ckpt in models.values())
hists = {label: analyze.weight_histograms(ckpt, bins, limit) for label, ckpt in models.items()}
counts = {label: int(h["counts"]["all"].sum()) for label, h in hists.items()}

ui_state.chart(figures.weight_histograms(hists, ["all"], log_y),
               f"All layers: {counts['before']:,} nonzero weights before (grey) and {counts['after']:,} after "
               "(red); pruning removes the weights around zero.", "hist-all")
kept = ", ".join(f"{layer} keeps {int(hists['after']['counts'][layer].sum()):,} of "
                 f"{int(hists['before']['counts'][layer].sum()):,}" for layer in ("fc1", "fc2", "fc3"))
ui_state.chart(figures.weight_histograms(hists, ["fc1", "fc2", "fc3"], log_y),
               f"Per layer, before (grey) vs after (red): {kept} nonzero weights.", "hist-layers")
