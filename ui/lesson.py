"""The guided lesson: ``?lesson=1`` (a link the teacher hands out) or the sidebar toggle shows a strip of the
five steps of ``pruning_core.research.lesson`` over every page, each ticked when the session shows it done,
with its question and the answer behind an expander. Like presenter mode it is kept with the student's
settings and in the URL on every page. What the student did is recorded here, in one place: the pages they
open (``visit``, from ``app.py``) and a digit they drew (``saw``, from Activations); steps the line shows done
are recorded too, so going back to the baseline later keeps their ticks."""
from __future__ import annotations

import streamlit as st

from pruning_core.research import lesson
from . import prefs as ui_prefs
from . import state as ui_state

KEY = "lesson-mode"
PARAM = "lesson"
SEEN = "lesson-seen"  # the student's setting: the lesson markers done so far
DONE_ICON, TODO_ICON = ":material/check_circle:", ":material/radio_button_unchecked:"


def saw(marker: str) -> None:
    """Record that the student did ``marker`` (one of ``lesson.MARKERS``); stored once."""
    seen = list(ui_prefs.get(SEEN, []))
    if marker in lesson.MARKERS and marker not in seen:
        ui_prefs.put(**{SEEN: [*seen, marker]})


def visit(url_path: str) -> None:
    """A page was opened (by its address): recorded when the lesson asks for that page."""
    saw(url_path)


def toggle() -> None:
    """The sidebar toggle (under presenter mode's). Call once per run, from ``app.py``."""
    ui_prefs.url_switch("Guided lesson", KEY, PARAM, "Five steps through the lab, each ticked when you have done "
                        "it (or open the app with ?lesson=1).")


def strip() -> None:
    """The lesson's steps above the page, while the lesson is on. Call once per run, from ``app.py``."""
    if not st.session_state.get(KEY):
        return
    # A classmate's shared line, viewed read-only, is not the student's own work: only what they did counts.
    percents = [] if ui_state.read_only() else [step.percent for step in ui_state.line().steps]
    for marker in lesson.line_markers(percents):
        saw(marker)
    ticks = lesson.progress(percents, ui_prefs.get(SEEN, []))
    # One row of small buttons: the Prune page's chart must still fit the first screen of a projector. The ticks
    # are Streamlit's own icons (an emoji may be missing from a classroom PC's fonts).
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key="lesson-strip"):
        st.markdown(f"**Lesson: {sum(ticks)} of {len(ticks)} done**")
        for number, (step, done) in enumerate(zip(lesson.STEPS, ticks), start=1):
            with st.popover(f"{number} {step.short}", icon=DONE_ICON if done else TODO_ICON, key=f"lesson-{number}",
                            help=f"{'Done' if done else 'To do'}: {step.task}"):
                st.markdown(f"**{number}. {step.task}**")
                st.markdown(step.question)
                with st.expander("Answer"):
                    st.markdown(step.answer)
