"""Sharing with the class under AppTest: nothing is shared before the press; a shared line appears on a
classmate's Class page (chart, best-at table) with its nickname as plain text and gains each later step; a view
id shows it read-only and `Start from this line` copies it; `Stop sharing` closes the view; only the teacher's
key shows the moderation controls.

Retraining is 0 epochs throughout, so no test trains."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from pruning_core import paths
from pruning_core.service.classroom import teacher
from tests.ui.helpers import card, displayed, prune
from ui import session as ui_session

NICKNAME = "**Grace** <b>x</b>"


def classmate() -> AppTest:
    """Another browser (no cookie: another owner) on the same server."""
    at = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60).run()
    assert not at.exception
    return at


def open_class(at: AppTest) -> AppTest:
    at.switch_page("views/classroom.py").run()
    assert not at.exception and at.title[0].value == "Class"
    return at


def share(app: AppTest) -> None:
    app.text_input(key="nickname").input(NICKNAME).run()
    app.button(key="share-line").click().run()
    assert not app.exception and not app.error


def test_a_shared_line_is_seen_by_a_classmate_and_gains_each_step(app):
    prune(app, 60.0)
    other = open_class(classmate())
    assert not other.get("plotly_chart") and "Nobody has shared" in other.info[0].value  # not before the press
    share(app)
    assert any(f"**{NICKNAME}**" in displayed(c.value) for c in app.caption)
    assert app.button(key="stop-sharing")
    other.run()
    [chart] = other.get("plotly_chart")
    assert "Grace" in chart.proto.spec and "<b>x</b>" not in chart.proto.spec  # the tag is escaped for Plotly
    assert list(other.dataframe[0].value["nickname"]) == ["nobody yet"] * 3  # nobody at >= 90 % yet
    assert not [b for b in other.button if b.key and b.key.startswith("hide-")]  # no teacher key: no Hide
    [line] = ui_session.board().lines()
    assert [round(p.sparsity) for p in line.points] == [0, 60]
    prune(app, 90.0)  # a later step joins the board as it lands
    assert [round(p.sparsity) for p in ui_session.board().lines()[0].points] == [0, 60, 90]
    other.run()
    assert list(other.dataframe[0].value["nickname"]) == [NICKNAME, "nobody yet", "nobody yet"]
    assert "global, 0 epoch(s)" in other.dataframe[0].value["settings"][0]


def test_a_view_is_read_only_and_start_from_this_line_copies_it(app):
    prune(app, 60.0)
    share(app)
    view = ui_session.board().lines()[0].view
    other = open_class(classmate())  # opened from the Class page
    other.selectbox(key="class-open").set_value(view).run()
    other.button(key="class-open-button").click().run()
    assert not other.exception and other.title[0].value == "Prune & retrain"
    assert "read-only" in displayed(other.info[0].value) and other.query_params["view"] == view
    assert card(other)["Weights pruned"] == "60.0 %"
    for page in ("views/train.py", "views/weights.py", "views/histograms.py", "views/activations.py",
                 "views/prune.py"):
        other.switch_page(page).run()  # every page shows the shared line, read-only, until the viewer leaves
        assert not other.exception and "read-only" in displayed(other.info[0].value), page
        assert card(other)["Weights pruned"] == "60.0 %"
        if page == "views/train.py":  # loading or training would start a line: not while viewing
            assert all(other.button(key=key).disabled for key in ("load-builtin", "train"))
    assert other.button(key="reset-baseline").disabled and other.button(key="reset-line").disabled
    assert all(b.disabled for b in other.button if b.label in ("Step", "Play", "Prune + retrain"))
    other.button(key="start-from-shared").click().run()
    assert not other.exception and card(other)["Weights pruned"] == "60.0 %"
    assert not other.button(key="reset-line").disabled  # the copy is the classmate's own line now
    assert "view" not in other.query_params
    # The owner stops sharing: the link now says so, and nothing of the line is shown.
    app.button(key="stop-sharing").click().run()
    late = classmate()
    late.query_params["view"] = view
    late.run()
    assert any("no longer shared" in w.value for w in late.warning) and not late.get("plotly_chart")


def test_only_the_teachers_key_moderates(app):
    prune(app, 60.0)
    share(app)
    other = classmate()
    other.query_params["teacher"] = "not-the-key"
    open_class(other)
    assert "not this server's teacher link" in other.error[0].value
    assert not [b for b in other.button if b.key and b.key.startswith("hide-")]
    teach = classmate()
    teach.query_params["teacher"] = teacher.key()
    open_class(teach)
    assert teach.button(key="clear-board") and "teacher" not in teach.query_params  # the key leaves the URL
    [hide] = [b for b in teach.button if b.key and b.key.startswith("hide-")]
    hide.click().run()
    assert ui_session.board().lines() == [] and not open_class(other).get("plotly_chart")
