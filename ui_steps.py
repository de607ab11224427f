"""Which finished step the pages show: the Prune page's step scrubber sets it, and Weights, Histograms and
Activations draw that step as "after" (the latest one unless the class scrubbed back). Streamlit glue only."""
from __future__ import annotations

import streamlit as st

import ui_state
from pruning_core.checkpoint import Checkpoint

KEY = "shown-step"


def label(index: int, ckpt: Checkpoint) -> str:
    """How a step is named on the scrubber and on every page: 0 is the model as loaded."""
    return "as loaded" if index == 0 else f"step {index}: {ckpt.history[-1].percent:g} %"


def widths(ckpt: Checkpoint) -> list[int]:
    """The network's layer widths, input to output (784, 300, 100, 10 for LeNet-300-100)."""
    return [784, *ckpt.model.settings.hidden, 10]


def shown_index() -> int:
    """The scrubbed step, or the latest one; a stale choice (steps were reset or went back) falls to the latest."""
    last = len(ui_state.steps()) - 1
    chosen = st.session_state.get(KEY)
    return chosen if isinstance(chosen, int) and 0 <= chosen <= last else last


def shown() -> Checkpoint:
    """The model every page shows as "after"."""
    return ui_state.steps()[shown_index()]


def pair() -> dict[str, Checkpoint]:
    """{"before": the model as loaded, "after": the step being shown}, the comparison of every page."""
    return {"before": ui_state.base(), "after": shown()}


def titles() -> dict[str, str]:
    """Figure titles that name both sides and their sparsity ("after: step 3: 30 % - 30.0 % pruned")."""
    index, after = shown_index(), shown()
    scrubbed = " (scrubbed back)" if index < len(ui_state.steps()) - 1 else ""
    return {"before": f"before: {ui_state.model_name(ui_state.base())} - "
                      f"{ui_state.card(ui_state.base())['sparsity']:.1f} % pruned",
            "after": f"after: {label(index, after)}{scrubbed} - {ui_state.card(after)['sparsity']:.1f} % pruned"}
