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
    """The scrubbed step, or the latest one. A choice holds while the line is as long as when it was made:
    a new step landing (or a reset, or going back) shows the latest again."""
    last = len(ui_state.steps()) - 1
    chosen = st.session_state.get(KEY)
    if isinstance(chosen, tuple) and len(chosen) == 2 and chosen[1] == last and 0 <= chosen[0] <= last:
        return chosen[0]
    return last


def choose(index: int) -> None:
    """Show step ``index`` on every page (until the line changes)."""
    st.session_state[KEY] = (index, len(ui_state.steps()) - 1)


def scrubber() -> None:
    """A slider over the finished steps that sets which one every page shows (nothing with only one step)."""
    steps = ui_state.steps()
    if len(steps) < 2:
        return
    # A new widget per line length: a landed step starts the slider at the latest again.
    key = f"scrubber-{len(steps)}"
    st.select_slider("Step shown on every page (Weights, Histograms, Activations)", list(range(len(steps))),
                     value=shown_index(), format_func=lambda i: label(i, steps[i]), key=key,
                     on_change=lambda: choose(st.session_state[key]))


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
