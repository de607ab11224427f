"""Undo in the dashboard: a Reset, a Go back or a loaded model replaces the student's line, and the sidebar's
Undo brings it back, steps and all (the store's side: tests/service/test_sessions.py)."""
from __future__ import annotations

from tests.ui.helpers import card, displayed, prune
from ui import state as ui_state


def undo_button(app):
    return [b for b in app.sidebar.button if b.key == "undo-line"]


def test_undo_takes_back_a_reset_and_a_loaded_model(app):
    assert not undo_button(app)  # nothing was replaced yet
    prune(app, 50.0)
    prune(app, 70.0)
    assert not undo_button(app)
    app.button(key="reset-line").click().run()
    assert len(app.session_state["steps"]) == 1 and card(app)["Weights pruned"] == "0.0 %"
    assert ui_state.UNDO_HINT in displayed(app.toast[0].value)
    assert "Replaced: baseline -> 50 % -> 70 %" in [displayed(c.value) for c in app.sidebar.caption]

    undo_button(app)[0].click().run()
    assert not app.exception
    assert [s.history[-1].percent for s in app.session_state["steps"][1:]] == [50.0, 70.0]
    assert card(app)["Weights pruned"] == "70.0 %"
    assert "Replaced: baseline" in [displayed(c.value) for c in app.sidebar.caption]  # a second Undo: the reset

    app.switch_page("views/train.py").run()
    next(r for r in app.radio if r.key == "builtin").set_value("baseline-paper")
    app.button(key="load-builtin").click().run()
    assert "baseline-paper" in displayed(app.sidebar.markdown[0].value)
    undo_button(app)[0].click().run()
    assert "baseline -> 50 % -> 70 %" in displayed(app.sidebar.markdown[0].value)


def test_undo_is_gone_once_the_student_works_on_the_new_line(app):
    prune(app, 50.0)
    next(b for b in app.button if b.label == "Go back").click().run()  # back to step 0
    assert undo_button(app)
    prune(app, 60.0)
    assert not undo_button(app)
