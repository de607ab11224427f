"""The step-scrubbed pages under AppTest: Weights, Histograms and Activations show the step the scrubber picks,
presenter mode injects its CSS from ``?present=1`` or the sidebar toggle, and the draw/upload sources work."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui import present as ui_present
from pruning_core import checkpoint, lab, paths
from pruning_core.settings import PruneSettings

PAGES = ["views/weights.py", "views/histograms.py", "views/activations.py"]


@pytest.fixture(scope="module")
def line() -> list:
    """The baseline and two pruned steps (no retraining: fast)."""
    start = checkpoint.load("baseline")
    first = lab.prune_step(start, PruneSettings(50), retrain_epochs=0)
    return [start, first, lab.prune_step(first, PruneSettings(90), retrain_epochs=0)]


@pytest.mark.parametrize("page", PAGES)
def test_pages_show_the_scrubbed_step(app, line, page):
    app.session_state["steps"] = line
    app.switch_page(page).run()
    assert not app.exception
    text = " ".join(c.value for c in app.caption)
    app.query_params["step"] = "1"  # a link or a reload with ?step=1: step 1 of 2
    app.run()
    assert not app.exception
    scrubbed = " ".join(c.value for c in app.caption)
    assert "(step 1 of 2)" in scrubbed and "(step 1 of 2)" not in text  # the caption over every page
    assert any("Showing step 1 of 2" in m.value for m in app.markdown)  # the banner
    if page == "views/histograms.py":  # its captions count the nonzero weights of the step shown
        assert f"{round(0.5 * 266_200):,} after" in scrubbed and f"{round(0.1 * 266_200):,} after" in text
    app.button(key="back-to-latest").click().run()
    assert not app.exception and " ".join(c.value for c in app.caption) == text
    app.query_params["step"] = "7"  # not a step of this line: named, not used
    app.run()
    assert not app.exception and " ".join(c.value for c in app.caption) == text
    assert any("?step=7 is not a step of this line (0 to 2)" in w.value for w in app.warning)


def test_weights_page_animates_the_steps_when_asked(app, line):
    app.session_state["steps"] = line
    app.switch_page("views/weights.py").run()
    assert not any("Play steps" in c.value for c in app.caption)  # built only when asked: it takes seconds
    app.toggle(key="show-animation").set_value(True).run()
    assert any("Play steps" in c.value for c in app.caption)
    app.session_state["steps"] = line[:1]
    app.run()
    assert not any("Play steps" in c.value for c in app.caption)


def css_injected(app) -> bool:
    return any(h.proto.body.strip() == ui_present.CSS.strip() for h in app.get("html"))


def test_presenter_mode_from_the_url_and_the_toggle(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.ENV_RUNS, str(tmp_path / "runs"))
    plain = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60).run()
    assert not css_injected(plain)
    linked = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60)
    linked.query_params["present"] = "1"
    linked.run()
    assert css_injected(linked) and f"font-size: {ui_present.BODY_PX}px" in ui_present.CSS
    assert ui_present.BODY_PX >= 20
    linked.sidebar.toggle(key=ui_present.KEY).set_value(False).run()
    assert not css_injected(linked)
    linked.sidebar.toggle(key=ui_present.KEY).set_value(True).run()
    assert css_injected(linked)


def test_upload_is_preprocessed_and_bad_files_are_one_line(app):
    app.switch_page("views/activations.py").run()
    app.radio(key="digit-source").set_value("Upload a photo").run()
    assert app.info and not app.exception
