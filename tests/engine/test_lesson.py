"""The guided lesson's progress (pruning_core/research/lesson.py): a pure function of the open line's step
percents and what the session recorded, one tick per step, never from clicks on the lesson itself."""
from __future__ import annotations

from pruning_core.research import lesson


def test_a_new_student_has_done_nothing():
    assert lesson.progress([], []) == [False] * 5


def test_one_step_ticks_step_one_only():
    assert lesson.progress([10.0], []) == [True, False, False, False, False]


def test_the_line_at_99_percent_ticks_play():
    assert lesson.progress([10.0, 50.0, 98.0], []) == [True, False, False, False, False]
    assert lesson.progress([10.0, 50.0, 98.0, 99.0], []) == [True, True, False, False, False]


def test_pages_and_a_drawn_digit_tick_their_steps():
    seen = [lesson.WEIGHTS_PAGE, lesson.DREW_DIGIT, lesson.CLASS_PAGE]
    assert lesson.progress([], seen) == [False, False, True, True, True]
    assert lesson.progress([], ["histograms", ""]) == [False] * 5  # pages the lesson does not ask for


def test_markers_recorded_from_an_earlier_line_stay_ticked():
    # Going back to the baseline opens a new line without steps; the markers the session kept still count.
    assert lesson.progress([], lesson.line_markers([10.0, 99.0])) == [True, True, False, False, False]


def test_every_step_has_a_question_an_answer_and_a_marker():
    assert len(lesson.STEPS) == 5
    assert [step.done_when for step in lesson.STEPS] == list(lesson.MARKERS)
    assert all(step.question.endswith("?") and step.answer and step.task for step in lesson.STEPS)
