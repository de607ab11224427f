"""One fc1 neuron, opened by a click on its row of the Weights page's fc1 picture: its receptive field before and
after, its activation for a test digit, how many of its connections survive, and buttons that remove it (or
the neurons with the fewest connections left) as a hand-made prune step of the student's line
(``tasks.remove_neurons``: a quick job, adopted like any step; no retraining, so the step's accuracy is what
the removal costs)."""
from __future__ import annotations

import streamlit as st

from pruning_core import analyze, neurons
from pruning_core.checkpoint import Checkpoint
from pruning_core.plots import weights as figures
from pruning_core.service.actions import tasks
from . import state as ui_state
from . import steps as ui_steps

CHOSEN = "neuron"           # the neuron whose detail is open (the number box's key)
CLICKED = "neuron-clicked"  # the last neuron a click chose: a kept selection must not undo a typed number
WEAKEST = 10                # "remove the N neurons with the fewest connections left": N unless changed


def follow_click(points: list[dict], width: int) -> None:
    """A click on a row (``ui_state.chart``'s points) opens that neuron; called before the number box is drawn."""
    clicked = int(points[0]["y"]) if points and points[0].get("y") is not None else None
    if clicked is not None and 0 <= clicked < width and clicked != st.session_state.get(CLICKED):
        st.session_state[CHOSEN] = st.session_state[CLICKED] = clicked


def test_digit() -> tuple[object, str]:
    """The Activations page's test digit while its choice is kept (else the first test 3): pixels and a name."""
    digit, example = int(st.session_state.get("digit", 3)), int(st.session_state.get("example", 0))
    test = ui_state.dataset().test
    position = analyze.test_index(test, digit, min(example, analyze.class_counts(test)[digit] - 1))
    return test.pixels[position].numpy(), f"test image #{position} (a {digit})"


def detail(models: dict[str, Checkpoint]) -> None:
    """The open neuron's panel and the hand-made prune buttons."""
    width = models["after"].model.settings.hidden[0]
    if st.session_state.get(CHOSEN, 0) >= width:
        st.session_state[CHOSEN] = 0
    pick, _ = st.columns([2, 3])
    neuron = int(pick.number_input(f"fc1 neuron (0-{width - 1}): click a row above, or type", 0, width - 1, 0,
                                   key=CHOSEN))
    pixels, name = test_digit()
    fields, info = st.columns([2, 3])
    with fields:  # short titles: the page's caption and sidebar already name both models
        ui_state.chart(figures.receptive_fields_pair(
            {k: analyze.receptive_fields(c, [neuron]) for k, c in models.items()}, [neuron],
            {k: k for k in models}, columns=1),
            f"Neuron {neuron}'s 784 incoming weights as a 28x28 image, before and after.", "neuron-field")
    with info:
        for side, model in models.items():
            kept = neurons.connections(model.masks, neuron)
            value = analyze.inspect_pixels(model, pixels)["activations"]["fc1"][neuron]
            st.markdown(f"**{side}:** {kept['inputs']} of 784 inputs and {kept['outputs']} of "
                        f"{model.masks['fc2.weight'].shape[0]} outputs kept; output {value:.2f} for {name}")
        last = models["after"].history[-1] if models["after"].history else None
        if last is not None and last.scope == "hand":
            st.markdown(f"**Last hand-made step** (neurons {', '.join(map(str, last.neurons))}): accuracy "
                        f"{100 * last.accuracy_before:.2f} % -> {100 * last.accuracy_after_prune:.2f} %, "
                        "no retraining.")
    removal_buttons(neuron)


def removal_buttons(neuron: int) -> None:
    """Remove this neuron / the N weakest: each a hand-made step after the line's newest model."""
    blocked = ui_state.busy() or ui_steps.scrubbed() or ui_state.read_only()
    why = ("A classmate's shared line is read-only." if ui_state.read_only() else
           "Go back to the latest step first: a step is added after the newest." if ui_steps.scrubbed() else None)
    one, count, many = st.columns([2, 1, 3], vertical_alignment="bottom")
    if one.button("Remove this neuron", key="remove-neuron", disabled=blocked, help=why):
        ui_state.attempt(lambda: ui_state.launch(tasks.remove_neurons, ui_state.steps(), [neuron], 0))
    fewest = int(count.number_input("N", 1, 100, WEAKEST, key="weakest-count"))
    if many.button(f"Remove the {fewest} neurons with the fewest connections left", key="remove-weakest",
                   disabled=blocked, help=why):
        ui_state.attempt(lambda: ui_state.launch(tasks.remove_neurons, ui_state.steps(), [], fewest))
    st.caption("Each removal is one step of your line, like a prune step: every connection in and out of the "
               "neuron goes, with no retraining, so its accuracy shows what the removal costs.")
