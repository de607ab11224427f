"""The Runs page's tree of the student's experiments (``service.sessions.tree``): a click on a step of the open
line makes every page show it (``ui.steps.choose``), a step of another branch can be opened as a new line, and
the last two steps clicked are compared on one chart."""
from __future__ import annotations

import streamlit as st

from pruning_core import lab
from pruning_core.plots import figures
from pruning_core.plots import tree as tree_figure
from pruning_core.service.sessions import tree
from . import state as ui_state
from . import steps as ui_steps

CHOSEN = "tree-chosen"    # the keys of the last two nodes clicked
CLICKED = "tree-clicked"  # the last click handled: a kept selection must not act again on every rerun


def section() -> None:
    """The tree, what a click on it does, and the two chosen steps side by side."""
    found = tree.step_tree(ui_state.owner())
    if len(found) < 2 or ui_state.read_only():  # the tree is of the student's own lines, not a classmate's
        return
    st.subheader("Your experiments as a tree")
    keys = list(found)
    models = ui_state.steps()
    line_key, start_depth = tree.identity(models[-1]), len(models[0].history)
    on_line = [len(k) >= start_depth and line_key[:len(k)] == k for k in keys]
    chosen = [keys.index(k) for k in st.session_state.get(CHOSEN, []) if k in found]
    nodes = [{"parent": None if found[k].parent is None else keys.index(found[k].parent), "label": found[k].label,
              "sparsity": found[k].sparsity, "accuracy": found[k].accuracy, "open": on} for k, on in zip(keys, on_line)]
    points = ui_state.chart(tree_figure.step_tree(nodes, chosen), "Each dot is a model, left to right by prune "
                            "step; a new row is a branch (after Go back, Reset or Start from this line). Filled: "
                            "your open line. Click a dot to open it; the last two clicked are compared below.",
                            "step-tree", clickable=True)
    clicked = next((p.get("point_index") for p in points if p.get("curve_number") == 1), None)
    if clicked is not None and (clicked, len(keys)) != st.session_state.get(CLICKED):
        st.session_state[CLICKED] = (clicked, len(keys))
        st.session_state[CHOSEN] = [*(k for k in st.session_state.get(CHOSEN, []) if k != keys[clicked]),
                                    keys[clicked]][-2:]
        if on_line[clicked]:
            ui_steps.choose(len(keys[clicked]) - start_depth)  # every page shows it
        st.rerun()
    last = [found[k] for k in st.session_state.get(CHOSEN, []) if k in found]
    if last and not on_line[keys.index(last[-1].key)] and last[-1].run:
        if st.button(f"Open {ui_state.plain(last[-1].label)} as a new line", key="tree-open"):
            ui_state.set_model(tree.model_of(last[-1]), f"from the tree: {last[-1].label}")
            st.rerun()
    steps = [node for node in last if node.run]
    if len(steps) == 2:
        ui_state.chart(figures.run_comparison({f"{i + 1}: {n.label}": lab.step_table(tree.model_of(n).history)
                                               for i, n in enumerate(steps)}),
                       "The two steps clicked last, each with the steps that led to it.", "tree-compare")
