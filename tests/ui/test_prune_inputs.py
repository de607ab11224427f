"""The Prune page checks its inputs as they are typed: a bad schedule turns Step and Play off with the bad item
named before any click, and fractional retraining epochs are named, not rounded. And the last job's training
curve, kept after the job, has all of its events."""
from __future__ import annotations

from streamlit.proto.NumberInput_pb2 import NumberInput

from tests.ui.helpers import displayed, prune
from ui import jobs as ui_jobs


def buttons(app) -> dict:
    return {b.label: b for b in app.button}


def errors(app) -> str:
    return " ".join(displayed(e.value) for e in app.error)  # what the student reads: user text is escaped


def test_a_bad_schedule_turns_step_and_play_off_and_names_the_item(app):
    for text, named in (("10, abc, 5", "'abc' is not a percent"), ("50, 40, 30", "'40' comes after 50"),
                        ("20, 30, 150", "'150' is not a percent"), ("", "at least one percent")):
        app.text_input(key="schedule").set_value(text).run()
        assert buttons(app)["Step"].disabled and buttons(app)["Play"].disabled, text
        assert not buttons(app)["Prune + retrain"].disabled  # its percent is fine: it stays on
        assert named in errors(app) and "Step / Play is off" in errors(app), (text, errors(app))
    app.text_input(key="schedule").set_value("10, 50, 90").run()
    assert not buttons(app)["Step"].disabled and not buttons(app)["Play"].disabled
    assert not errors(app)


def test_fractional_epochs_are_named_not_rounded(app):
    # The browser cuts what is typed into an integer box (2.5 became 2, silently); this one takes decimals.
    assert app.number_input(key="epochs").proto.data_type == NumberInput.FLOAT
    app.number_input(key="epochs").set_value(2.5).run()
    assert app.number_input(key="epochs").value == 2.5
    assert "not 2.5" in errors(app)
    assert all(buttons(app)[label].disabled for label in ("Prune + retrain", "Step", "Play"))
    app.number_input(key="epochs").set_value(2).run()
    assert not errors(app) and not buttons(app)["Step"].disabled


def test_the_last_jobs_curve_has_all_its_events(app):
    """The training curve kept after a job ends draws the job's final events, not those of its last poll
    (the last epoch's accuracy used to be missing)."""
    snap = prune(app, 50.0)
    title, events = app.session_state["last-job"]
    assert title == snap.spec.title and events == ui_jobs.event_dicts(snap) and events
