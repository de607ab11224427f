"""Prune & retrain: magnitude pruning of the session's model one step at a time (Step), through a schedule
(Play / Pause) or to any percent (Prune + retrain), run as background jobs with live progress; the accuracy
chart of the whole line (the step every page shows ringed), the network diagram, the step
history with go-back, reset and downloads, and a link that hands out these settings."""
import math

import streamlit as st

from ui import classroom as ui_classroom
from ui import compare as ui_compare
from ui import jobs as ui_jobs
from ui import memo as ui_memo
from ui import state as ui_state
from ui import steps as ui_steps
from pruning_core import lab
from pruning_core.plots import figures, network
from pruning_core.prune import Unreachable
from pruning_core.service.actions import limits, links, player, tasks
from pruning_core.service.jobs.job import Job
from pruning_core.service.jobs.records import JobKind, JobSnapshot, JobStatus
from pruning_core.errors import UserError
from pruning_core.sensitivity import DEFAULT_BUDGET, VALIDATION_IMAGES
from pruning_core.settings import PRUNE_SCOPES, REFERENCE_PERCENTS

SCOPE_LABELS = {"global": "global (one threshold)", "layer": "per layer (same % each)",
                "std": "per layer (quality x std)", "sensitivity": "per layer (Han: sensitivity)",
                "random": "control: random", "largest": "control: largest first"}
# The two controls, one line each: shown in the help and under the choice while one is picked.
CONTROL_NOTES = {"random": "Control: the same share of weights, chosen at random (a fixed seed) instead of by size.",
                 "largest": "Control: the opposite of magnitude pruning - the largest |w| go first."}
SCOPE_HELP = ("\n\n".join(CONTROL_NOTES.values()) + "\n\n"
              f"Per layer (Han: sensitivity): each layer is first pruned alone and measured on the last "
              f"{VALIDATION_IMAGES:,} training images (never the test set); a layer gets the largest rate that costs "
              f"at most {DEFAULT_BUDGET:g} point there, and all layers' kept shares are scaled by one factor so the "
              "total is exactly your percent.")
LR_MIN, LR_MAX = limits.LR_RANGE     # the classroom's ranges (the engine accepts more)
EPOCHS_MAX = limits.EPOCH_RANGE[1]
PERCENT_MAX = limits.PERCENT_RANGE[1]
DEFAULT_PERCENT = 90.0         # the slider's first value, while the model is less pruned than that
CHART_HEIGHT = 330  # the main chart and the controls beside it fit a 1280x720 screen
LIVE_CHART_HEIGHT = 290  # during a job the progress and metrics sit above it
AXIS_KEY = "sparsity-axis"  # the accuracy chart's x axis, as the student chose it (figures.SPARSITY_AXES)
INTRO = ("**Magnitude pruning** (Han et al., 2015) removes the connections whose weights are closest to zero - "
         "they contribute least - and retrains the survivors while the removed ones stay at zero. Repeated, "
         "it keeps the accuracy with a tenth of the weights or fewer. Below: the network being pruned, "
         "784 input pixels -> 300 -> 100 -> 10 digits; each line stands for many connections, and the lines thin "
         "out as weights are removed.")
# Only after "below the current sparsity" does going back help; a disk error, say, is shown as it is.
HINTS = {Unreachable: ". To prune less, go back to an earlier step or reset to the baseline below."}


def pct(value: float | None) -> str:
    return "..." if value is None else f"{100 * value:.2f} %"


def line_chart(line, key: str, height: int = CHART_HEIGHT, axis_picker: bool = True) -> None:
    """The main chart: accuracy after each prune and after its retraining, from the line's start, over the x
    axis the student picked above it (the live chart, redrawn on every poll, reads the same choice); with the
    picker, a ``Download slide`` button."""
    start = line[0]
    rows = lab.step_table(line[-1].history[len(start.history):])
    axis = st.session_state.get(AXIS_KEY, "pruned")
    if axis_picker:  # a widget's own key is dropped on the other pages: the choice is copied to AXIS_KEY
        st.selectbox("x axis", list(figures.SPARSITY_AXES), list(figures.SPARSITY_AXES).index(axis),
                     format_func=lambda option: f"x axis: {figures.SPARSITY_AXES[option]}", key=f"{AXIS_KEY}-picker",
                     label_visibility="collapsed", help="Compression and weights left, on a log axis, spread out "
                                                        "the 90-99 % steps.",
                     on_change=lambda: st.session_state.update({AXIS_KEY: st.session_state[f"{AXIS_KEY}-picker"]}))
        axis = st.session_state[f"{AXIS_KEY}-picker"]
    ui_state.chart(figures.accuracy_vs_sparsity(rows, start.accuracy, (ui_state.card(start)["sparsity"],
                                                                       start.accuracy), height, axis,
                                                ui_steps.shown_index()),
                   "Look at the gap between the lines: the dashed line drops right after each prune, the solid "
                   "one shows what retraining wins back - until very high sparsity.", key,
                   f"Accuracy vs weights pruned: {ui_state.line().title}" if axis_picker else None)


def diagram(ckpt, key: str, when: str = "") -> None:
    """The 784-300-100-10 diagram of ``ckpt`` with its connections per layer."""
    counts = ui_memo.layer_counts(ckpt)
    total = sum(c["total"] for c in counts.values())
    ui_state.chart(network.diagram(ui_steps.widths(ckpt), counts, height=300),
                   f"The network{when}: look at the counts over each layer - fc1, from the pixels, holds "
                   f"{100 * counts['fc1']['total'] / total:.0f} % of all weights, so it is where pruning saves most.",
                   key)


def live(snap: JobSnapshot, job: Job) -> None:
    """While a prune job runs: progress with Pause / Cancel, the step's accuracies, the line's chart growing
    step by step, and the training curve (kept for after the job: the last job's curves stay visible). A
    comparison of the criteria draws its own lines (``ui.compare``)."""
    if snap.kind == JobKind.COMPARE:
        ui_compare.live(snap, job)
        return
    # Pause beside the progress bar and Cancel: the chart below must still fit the first screen.
    pause_col, progress_col = st.columns([1, 5], vertical_alignment="center")
    if job.pausable:
        paused = job.pausing
        if pause_col.button("Pause", key="pause-job", disabled=paused, shortcut="Space",
                            help="Finish the step in progress (it is kept), then stop. Key: Space."):
            paused = job.pause()
        if paused:
            pause_col.caption("Pausing after this step")
    with progress_col:
        ui_jobs.progress_and_cancel(snap, job)
    if snap.status == JobStatus.QUEUED:
        return  # nothing below changes while it waits: no figure built on every poll of 30 waiting pages
    events, finished = snap.events, ui_state.steps()  # the line, with every step of this job that has landed
    last_pruned = max((i for i, e in enumerate(events) if e.kind == "pruned"), default=None)
    current = events[last_pruned:] if last_pruned is not None else ()
    epochs = [e for e in current if e.kind == "epoch"]
    before = finished[-1].accuracy
    after_prune = current[0].accuracy if current else None
    show_metrics(before, after_prune, epochs[-1].accuracy if epochs else None,
                 f" (epoch {epochs[-1].epoch}/{epochs[-1].epochs})" if epochs else "")
    line_chart(finished, "live-sparsity", LIVE_CHART_HEIGHT, axis_picker=False)


def show_metrics(before: float | None, after_prune: float | None, after_retrain: float | None,
                 note: str = "") -> None:
    left, middle, right = st.columns(3)
    left.metric("Before pruning", pct(before))
    middle.metric("After prune", pct(after_prune),
                  None if None in (before, after_prune) else f"{100 * (after_prune - before):+.2f} pts")
    right.metric("After retrain" + note, pct(after_retrain),
                 None if None in (after_prune, after_retrain) else f"{100 * (after_retrain - after_prune):+.2f} pts")


def percent_slider(sparsity: float) -> float:
    """The percent slider starts at the model's current sparsity; its value is valid for the model in use (a
    value below the current sparsity, e.g. 90 % with paper-98 loaded, is raised visibly, never silently)."""
    # Rounded first: 10 % pruned measures as 9.99999... and must not offer 9.9 %.
    low = min(99.8, math.floor(round(sparsity * 10, 6)) / 10)
    valid = DEFAULT_PERCENT if DEFAULT_PERCENT > sparsity + 0.05 else \
        next((p for p in REFERENCE_PERCENTS if p > sparsity + 0.05), PERCENT_MAX)
    seen, now = st.session_state.get("percent-model"), (ui_state.line().id, len(ui_state.steps()))
    old = st.session_state.get("percent")
    keep = old is not None and low <= old <= PERCENT_MAX and not (seen != now and old <= sparsity + 0.05)
    if old is not None and old < low:  # the model changed under the chosen value
        st.caption(f"The percent went from {old:g} % to {valid:g} %: the model is already {sparsity:.1f} % "
                   "pruned, and pruned weights never come back.")
    # Set on every run, not only when it changes: a new minimum makes Streamlit see a new slider, which would
    # otherwise start again at that minimum (after a Step to 10 % it showed 9.9 % and refused to run).
    st.session_state.percent = old if keep else valid
    st.session_state["percent-model"] = now
    return st.slider(f"Prune to (% of all weights) - the model is now {sparsity:.1f} % pruned", low, PERCENT_MAX,
                     step=0.1, key="percent", persist_state="session")


def recipe_problem(epochs: float, lr: float) -> str:
    """Why the typed retraining settings cannot be used ("" if they can)."""
    if epochs != int(epochs) or not 0 <= epochs <= EPOCHS_MAX:
        return f"retrain epochs must be a whole number from 0 to {EPOCHS_MAX}, not {epochs:g}"
    if not (math.isfinite(lr) and LR_MIN <= lr <= LR_MAX):
        return f"the learning rate must be from {LR_MIN:g} to {LR_MAX:g}, not {lr:g}"
    return ""


def schedule_problem(text: str) -> str:
    """What is wrong with the typed schedule, naming the bad item ("" if nothing)."""
    try:
        player.parse_schedule(text)
    except UserError as err:
        return str(err)
    return ""


def prune_problem(ckpt, percent: float, scope: str, epochs: int, lr: float) -> str:
    """Why Prune + retrain cannot run with these settings on this model ("" if it can)."""
    try:
        lab.check_schedule(ckpt, [percent], scope, epochs, lr)
    except UserError as err:
        return str(err)
    return ""


def prefill_from_link() -> None:
    """Once per session: settings named in the URL (``?percent=80&epochs=2&scope=layer``) fill the form."""
    if st.session_state.get("link-read"):
        return
    st.session_state["link-read"] = True
    values, problems = links.from_query(st.query_params.to_dict())
    st.session_state.update(values)
    if problems:
        st.warning("This link's settings were not all usable: " + ui_state.plain("; ".join(problems)) + ".")


def share_link(settings: dict) -> None:
    with st.popover("Copy link to these settings"):
        st.code(links.link(st.context.url or "http://localhost:8501/", settings), language=None)
        st.caption("Copy it with the icon at the right of the box. It fills in these settings only: it gives "
                   "nobody access to your models or runs.")


st.title("Prune & retrain")
prefill_from_link()
ckpt = ui_state.current()
busy = ui_state.busy()
locked = busy or ui_state.read_only()  # a classmate's shared line is shown read-only: nothing may change it
controls, main = st.columns([5, 6], gap="medium")
with controls:
    sparsity = ui_state.card(ckpt)["sparsity"]
    percent = percent_slider(sparsity)
    c_scope, c_epochs, c_lr = st.columns([2, 1, 1])
    scope = c_scope.selectbox("Threshold", PRUNE_SCOPES, format_func=SCOPE_LABELS.get, key="scope", help=SCOPE_HELP,
                             persist_state="session")
    # No bounds on the widgets: the browser would keep the last valid value and Prune would use it silently.
    # Whatever is typed is what is checked, and the buttons say why they are off. Their first values go into the
    # session state, not the widgets: a settings link may have set them there already. Epochs get a float box,
    # though they are whole: an integer box silently cut a typed 2.5 to 2; this one keeps it for recipe_problem
    # to name.
    st.session_state.setdefault("epochs", 1.0)
    st.session_state.setdefault("lr", max(LR_MIN, ckpt.recipe.lr / 10))
    epochs = c_epochs.number_input("Retrain epochs", step=1.0, format="%g", key="epochs", persist_state="session",
                                   help=f"0 to {EPOCHS_MAX}; 0 prunes without retraining.")
    lr = c_lr.number_input("Learning rate", step=LR_MIN, format="%g", key="lr", persist_state="session",
                           help=f"{LR_MIN:g} to {LR_MAX:g}. Han et al. retrain with 1/10 of the original learning rate.")
    if scope in CONTROL_NOTES:  # below the row, where it has the width of the controls
        st.caption(CONTROL_NOTES[scope])
    bad_recipe = recipe_problem(epochs, lr)
    # Once per model and settings: checking that the percent is reachable sums every mask (~20 ms).
    bad_prune = bad_recipe or ui_memo.per_model_call(ckpt, prune_problem, percent, scope, int(epochs), lr)
    st.session_state.setdefault("schedule", ", ".join(f"{p:g}" for p in player.DEFAULT_SCHEDULE))
    schedule_text = st.text_input("Schedule for Step and Play (% of all weights)", key="schedule",
                                  persist_state="session",
                                  help="The reference schedule by default: one prune + retrain step per percent.")
    bad_schedule = bad_recipe or schedule_problem(schedule_text)  # checked as typed, not when Step is pressed
    # Buttons as wide as their labels, side by side (wrapping if the column is narrow): none is cut short.
    buttons = st.container(horizontal=True, gap="small")
    if buttons.button("Prune + retrain", type="primary", disabled=locked or bool(bad_prune)):
        ui_state.attempt(lambda: ui_state.launch(tasks.prune, ui_state.steps(), [percent], scope, int(epochs), lr),
                         HINTS)
    # Keys (Streamlit's own shortcuts, which stay quiet while the student types in a box): Step is the right
    # arrow; Space is Play, and Pause while a Play runs.
    if buttons.button("Step", disabled=locked or bool(bad_schedule), shortcut="Right",
                      help="Run exactly the next step of the schedule. Key: right arrow."):
        ui_state.attempt(lambda: ui_state.launch(player.step, ui_state.steps(), player.parse_schedule(schedule_text),
                                                 scope, int(epochs), lr), HINTS)
    def play() -> None:
        ui_state.launch(player.play, ui_state.steps(), player.parse_schedule(schedule_text), scope, int(epochs), lr)

    if buttons.button("Play", disabled=locked or bool(bad_schedule), shortcut=None if locked else "Space",
                      help="Run the rest of the schedule, step after step. Key: Space (again to pause)."):
        ui_state.attempt(play, HINTS)
    if not busy:  # while a job plays, its panel has the working Pause button
        buttons.button("Pause", disabled=True, key="pause-idle", help="Pauses a running Play.")
    if not locked and ui_state.interrupted():  # a server stop cut the last run short: its finished steps are kept
        kept = len(ui_state.steps()) - 1
        st.warning(f"The server stopped during your last run; the {kept} step(s) it finished are kept.")
        if st.button(f"Continue from step {kept}", key="continue-run", disabled=bool(bad_schedule),
                     help="Play the rest of the schedule from the last kept step."):
            ui_state.attempt(play, HINTS)
    if bad_prune:  # next to the buttons it turns off; the other controls stay as they are
        st.error(f"Prune + retrain{' / Step / Play' if bad_recipe else ''} is off: {ui_state.plain(bad_prune)}.")
    if bad_schedule and not bad_recipe:
        st.error(f"Step / Play is off: {ui_state.plain(bad_schedule)}.")
    elif abs(percent - sparsity) < 0.05:
        st.info(f"{percent:g} % is the model's current sparsity: Prune + retrain will only retrain it.")
    share_link({"percent": percent, "scope": scope, "epochs": int(epochs), "lr": lr})
    ui_classroom.share_panel()
with main:
    ui_jobs.poll(ui_jobs.Panel.PRUNE, live)
    if not busy:
        if ckpt.history and len(ui_state.steps()) > 1:
            line_chart(ui_state.steps(), "history-chart")
        else:
            st.markdown(INTRO)
            diagram(ckpt, "intro-diagram")

shown = ui_steps.shown()
curve_col, diagram_col = st.columns(2)
with curve_col:
    last = st.session_state.get("last-job")
    if not busy and ckpt.history:
        record = ckpt.history[-1]
        st.markdown(f"**Last step:** pruned to {record.percent:g} % ({record.scope}), "
                    f"{record.retrain_epochs} retrain epoch(s) at lr {record.retrain_lr:g}")
        show_metrics(record.accuracy_before, record.accuracy_after_prune, record.accuracy_after_retrain)
    if last and not busy:
        ui_state.chart(figures.training_curve(last[1]), f"The last job ({ui_state.plain(last[0])}): look at the loss "
                       "jump at each prune and fall back as retraining recovers.", "last-curve")
with diagram_col:
    if ckpt.history or busy:
        st.markdown(INTRO)
        diagram(shown, "line-diagram", f" at {ui_steps.label(ui_steps.shown_index(), shown)}")
ui_compare.section(ckpt, schedule_text, int(epochs), lr, bad_schedule)
ui_steps.history_section(ckpt)
