"""Small guards of the Prune and Weights pages: widget defaults within their bounds, state that survives a
narrower model, and error messages that only give advice where it helps."""
from __future__ import annotations

import dataclasses

from pruning_core import lab
from pruning_core.checkpoint import Checkpoint
from pruning_core.errors import UserError
from pruning_core.masks import Masks
from pruning_core.settings import PruneSettings, preset
from tests.helpers import random_model


def model_checkpoint(hidden: tuple[int, int], lr: float = 0.01) -> Checkpoint:
    model = random_model(hidden=hidden)
    return Checkpoint(model=model, masks=Masks.dense(model), recipe=dataclasses.replace(preset("seed"), lr=lr),
                      accuracy=0.5, origin="test")


def test_the_learning_rate_default_is_never_below_the_widget_minimum(app):
    app.session_state["steps"] = [model_checkpoint((30, 20), lr=0.0005)]  # lr/10 = 5e-5 < the minimum 1e-4
    app.run()
    assert not app.exception
    assert app.number_input(key="lr").value >= app.number_input(key="lr").min


def test_advice_to_prune_less_only_follows_the_sparsity_error(app, monkeypatch):
    def disk_full(*args, **kwargs):
        raise UserError("cannot write the run record: No space left on device")

    monkeypatch.setattr(lab, "check_schedule", disk_full)
    app.button[0].click().run()
    assert app.error[0].value == "cannot write the run record: No space left on device"
    monkeypatch.undo()
    app.session_state["steps"] = [lab.prune_step(app.session_state["steps"][0], PruneSettings(80), 0)]
    app.slider(key="percent").set_value(50.0)
    app.button[0].click().run()
    assert "already 80.00% pruned" in app.error[0].value and "To prune less, go back" in app.error[0].value


def test_weights_page_survives_switching_to_a_narrower_model(app):
    app.session_state["steps"] = [model_checkpoint((600, 20))]
    app.switch_page("views/weights.py").run()
    app.number_input(key="first-neuron").set_value(584).run()
    assert not app.exception
    app.session_state["steps"] = [model_checkpoint((300, 20))]
    app.run()
    assert not app.exception
    assert app.number_input(key="first-neuron").value == 300 - 16
