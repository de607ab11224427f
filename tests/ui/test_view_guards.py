"""Small guards of the Prune and Weights pages: widget defaults within their bounds, state that survives a
narrower model, and error messages that only give advice where it helps."""
from __future__ import annotations

import dataclasses
import logging

from streamlit.elements.lib import policies
from streamlit.testing.v1 import AppTest

from pruning_core import lab, paths
from pruning_core.checkpoint import Checkpoint
from pruning_core.errors import UserError
from pruning_core.masks import Masks
from pruning_core.settings import PruneSettings, preset
from tests.helpers import random_model
from tests.ui.helpers import displayed


def model_checkpoint(hidden: tuple[int, int], lr: float = 0.01) -> Checkpoint:
    model = random_model(hidden=hidden)
    return Checkpoint(model=model, masks=Masks.dense(model), recipe=dataclasses.replace(preset("seed"), lr=lr),
                      accuracy=0.5, origin="test")


def test_the_learning_rate_default_is_never_below_the_pages_minimum(app):
    app.session_state["steps"] = [model_checkpoint((30, 20), lr=0.0005)]  # lr/10 = 5e-5 < the minimum 1e-4
    app.run()
    assert not app.exception and not app.error
    assert app.number_input(key="lr").value >= 1e-4 and not app.button[0].disabled


def test_typed_values_are_checked_as_typed_and_the_reason_stands_next_to_the_buttons(app, monkeypatch):
    for key, typed, reason in [("lr", 5.0, "the learning rate must be from 0.0001 to 1, not 5"),
                               ("lr", 1e-9, "not 1e-09"), ("epochs", 999, "from 0 to 20, not 999")]:
        app.number_input(key=key).set_value(typed).run()
        assert app.number_input(key=key).value == typed  # never replaced by the last valid value
        assert reason in displayed(app.error[0].value)
        assert all(b.disabled for b in app.button if b.label in ("Prune + retrain", "Step", "Play"))
        app.number_input(key=key).set_value(1e-3 if key == "lr" else 1).run()
    assert not app.error and not app.button[0].disabled

    def disk_full(*args, **kwargs):
        raise UserError("cannot write the run record: No space left on device")
    monkeypatch.setattr(lab, "check_schedule", disk_full)
    # New settings: the page keeps each (model, settings) check it made (ui_memo), so the same ones would not ask again.
    app.number_input(key="epochs").set_value(2).run()
    assert displayed(app.error[0].value) == ("Prune + retrain is off: cannot write the run record: No space left "
                                             "on device.")
    assert not [b for b in app.button if b.label in ("Step", "Play") and b.disabled]  # the other controls stay


def test_the_percent_slider_starts_at_the_current_sparsity_with_a_valid_value(app):
    app.session_state["steps"] = [lab.prune_step(app.session_state["steps"][0], PruneSettings(92), 0)]
    app.run()
    slider = app.slider(key="percent")
    assert slider.min == 92.0 and slider.value == 95.0 and "now 92.0 % pruned" in slider.label
    assert "went from 90 % to 95 %" in app.caption[1].value  # raised visibly, not silently
    assert not app.error and not app.button[0].disabled


def test_weights_page_survives_switching_to_a_narrower_model(app):
    app.session_state["steps"] = [model_checkpoint((600, 20))]
    app.switch_page("views/weights.py").run()
    app.number_input(key="first-neuron").set_value(584).run()
    assert not app.exception
    app.session_state["steps"] = [model_checkpoint((300, 20))]
    app.run()
    assert not app.exception
    assert app.number_input(key="first-neuron").value == 300 - 16


def test_the_chosen_percent_survives_a_step_that_moves_the_sliders_minimum(app):
    """After a step to 10 % (measured as 9.99999... %) the slider's minimum is 10.0, not 9.9, and the value the
    student chose (90 %) stays: a new minimum must not reset the slider to it, which left Prune + retrain
    refused with "already 10.00 % pruned" after every Step."""
    app.session_state["steps"] = [lab.prune_step(app.session_state["steps"][0], PruneSettings(10), 0)]
    app.run()
    slider = app.slider(key="percent")
    assert slider.min == 10.0 and slider.value == 90.0
    assert not app.error and not app.button[0].disabled


def test_a_settings_link_fills_the_form_without_the_widget_state_warning(tmp_path, monkeypatch, caplog):
    """A link's values go into the session state before the widgets exist; the widgets then take no default of
    their own (a default as well makes Streamlit warn on every settings link)."""
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path / "runs"))
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)  # Streamlit warns once per process
    at = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60)
    at.query_params.update({"percent": "80", "epochs": "2", "lr": "0.002", "scope": "layer"})
    with caplog.at_level(logging.WARNING):
        at.run()
    assert not at.exception
    assert at.number_input(key="epochs").value == 2 and at.number_input(key="lr").value == 0.002
    assert at.slider(key="percent").value == 80.0 and at.selectbox(key="scope").value == "layer"
    assert not [r for r in caplog.records if "Session State API" in r.getMessage()]
