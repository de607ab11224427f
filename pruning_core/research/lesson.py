"""The guided lesson: five steps through the lab, each with one question and its answer, and which of them a
student has done - worked out from their session (the line's steps, the pages they opened), never from clicks
on the lesson itself. Plain data: the dashboard draws it (``ui/lesson.py``)."""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

# What the session shows a student did: two are read from the line, the others are recorded as they happen
# (a page by its address, a drawn digit by the Activations page).
STEPPED = "stepped"          # the line has at least one step
PRUNED_99 = "pruned-99"      # the line reached 99 % of the weights pruned
WEIGHTS_PAGE = "weights"     # the Weights page's address (its fc1 heatmap is at the top)
DREW_DIGIT = "drew-digit"    # a drawn digit went through both models on the Activations page
CLASS_PAGE = "class"         # the Class page's address
MARKERS = (STEPPED, PRUNED_99, WEIGHTS_PAGE, DREW_DIGIT, CLASS_PAGE)
TARGET_PERCENT = 99.0


@dataclass(frozen=True)
class LessonStep:
    short: str     # the strip's label: one word, so the strip stays one row
    task: str
    question: str
    answer: str
    done_when: str  # one of MARKERS


STEPS = (
    LessonStep("Step", "On Prune & retrain, press Step once and read the chart.",
               "Right after the 10 % prune (dashed line), how much accuracy did the model lose? And after retraining "
               "(solid line)?",
               "Hardly any: magnitude pruning removes the weights closest to zero first, and those contribute least "
               "to any output. The dashed point sits at or near the baseline, and retraining keeps it there.",
               STEPPED),
    LessonStep("Play", "Press Play and let the schedule run to 99 % (Space plays and pauses).",
               "Where does the solid line leave the dotted baseline, and why do the dashed drops grow as you go?",
               "Retraining wins back nearly everything while enough weights remain; in the last steps (95-99 %) "
               "every prune removes weights that matter, so the drop right after pruning grows and retraining can "
               "no longer close the gap.",
               PRUNED_99),
    LessonStep("Weights", "Open Weights and look at the fc1 picture, before and after.",
               "Which input pixels lose their connections first, and why those?",
               "The image border: MNIST digits are centred, so border pixels are always 0 and their weights never "
               "grow; they are the smallest and go first. What survives gathers where the strokes are.",
               WEIGHTS_PAGE),
    LessonStep("Draw", "On Activations, choose Draw, draw a digit and compare before with after.",
               "Does the pruned model still recognise your digit? How many fc1 neurons are active before and after?",
               "Usually the prediction survives: the weights kept are the ones that mattered most. Pruning cuts "
               "connections, not neurons - a neuron goes quiet only when the inputs it still has stay below its "
               "threshold.",
               DREW_DIGIT),
    LessonStep("Class", "Open Class and compare your line with your classmates'.",
               "At 99 % pruned, whose line kept the most accuracy, and which settings did it use?",
               "Compare the best line's settings with yours: at the highest sparsity the differences in retraining "
               "(epochs, learning rate) and in the threshold (global or per layer) show most - that is what to try "
               "next.",
               CLASS_PAGE),
)


def line_markers(step_percents: Sequence[float]) -> set[str]:
    """What the line itself shows done: a step at all, and a step at 99 % or more."""
    done = {STEPPED} if step_percents else set()
    if any(percent >= TARGET_PERCENT for percent in step_percents):
        done.add(PRUNED_99)
    return done


def progress(step_percents: Sequence[float], seen: Collection[str]) -> list[bool]:
    """Which lesson steps are done (one bool per ``STEPS``), from the open line's step percents and what the
    session recorded the student doing (``seen``: page addresses, ``DREW_DIGIT``, and markers of earlier lines)."""
    done = line_markers(step_percents) | set(seen)
    return [step.done_when in done for step in STEPS]
