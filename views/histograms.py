"""Histograms: the distribution of nonzero weights before and after pruning, all layers and per layer - the
paper's Figure 5 (pruning cuts out the middle; retraining spreads the survivors out). "After" is the step the
sidebar's step picker shows (the latest by default)."""
import streamlit as st

from ui import state as ui_state
from ui import steps as ui_steps
from pruning_core import analyze
from pruning_core.plots import weights as figures

st.title("Weight histograms")
models, titles = ui_steps.pair(), ui_steps.titles()
left, right = st.columns(2)
log_y = left.toggle("Logarithmic counts", value=True, key="log-y",
                    help="The dense model has far more weights; a log axis keeps both visible.")
bins = right.slider("Bins", 21, 301, 101, 20, key="bins")

# Shared edges: the widest of the two models, so the bars line up bin for bin.
limit = max(float(analyze.weight_histograms(ckpt, 3)["edges"][-1]) for ckpt in models.values())
hists = {label: analyze.weight_histograms(ckpt, bins, limit) for label, ckpt in models.items()}
counts = {label: int(h["counts"]["all"].sum()) for label, h in hists.items()}

ui_state.chart(figures.weight_histograms(hists, ["all"], log_y, f"{titles['before']}<br>vs {titles['after']}"),
               f"Look at the middle: pruning removes the weights around zero, leaving a gap ({counts['before']:,} "
               f"nonzero weights before in grey, {counts['after']:,} after in red); retraining then spreads the "
               "survivors out.", "hist-all")
kept = ", ".join(f"{layer} keeps {int(hists['after']['counts'][layer].sum()):,} of "
                 f"{int(hists['before']['counts'][layer].sum()):,}" for layer in ("fc1", "fc2", "fc3"))
ui_state.chart(figures.weight_histograms(hists, ["fc1", "fc2", "fc3"], log_y, "per layer, before (grey) vs after "
                                         "(red)"),
               f"Look at which layer loses the largest share of its weights: {kept}.", "hist-layers")
