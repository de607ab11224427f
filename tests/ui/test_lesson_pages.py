"""The guided lesson under AppTest: ``?lesson=1`` or the sidebar toggle shows the five steps over every page,
ticked from the session (a Weights visit ticks step 3, a step in the line step 1, a Class visit step 5) and not
from the strip, and it stays off without either."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui import lesson as ui_lesson
from pruning_core import paths

from .helpers import prune


def strip(app: AppTest) -> list[bool] | None:
    """The strip's five steps as ticked (None when no strip is shown)."""
    popovers = [p.proto.popover for p in app.get("popover") if p.proto.id.endswith(tuple(f"lesson-{n}" for n in
                                                                                       range(1, 6)))]
    if not popovers:
        return None
    assert [p.label for p in popovers] == ["1 Step", "2 Play", "3 Weights", "4 Draw", "5 Class"]
    return [p.icon == ui_lesson.DONE_ICON for p in popovers]


def test_the_lesson_is_off_unless_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path / "runs"))
    app = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60).run()
    assert strip(app) is None
    app.sidebar.toggle(key=ui_lesson.KEY).set_value(True).run()
    assert strip(app) == [False] * 5 and app.query_params["lesson"] == "1"  # kept in the address
    linked = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60)
    linked.query_params["lesson"] = "1"  # the teacher's link
    assert strip(linked.run()) == [False] * 5


def test_ticks_follow_the_session(app):
    app.sidebar.toggle(key=ui_lesson.KEY).set_value(True).run()  # the session has started: the toggle
    assert strip(app) == [False] * 5
    app.switch_page("views/weights.py").run()
    assert not app.exception and strip(app) == [False, False, True, False, False]
    app.switch_page("views/prune.py").run()
    prune(app, 50.0)
    assert strip(app) == [True, False, True, False, False]
    app.button(key="reset-line").click().run()  # a new line without steps: what was done stays done
    assert strip(app) == [True, False, True, False, False]
    app.switch_page("views/classroom.py").run()
    assert not app.exception and strip(app) == [True, False, True, False, True]
