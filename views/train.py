"""Train / load: pick the session's starting model - a shipped baseline, an uploaded checkpoint, or a new
model trained in the background with live curves. Whatever is chosen becomes every page's "before"."""
import streamlit as st

from ui import jobs as ui_jobs
from ui import state as ui_state
from pruning_core.plots import figures
from pruning_core.service.actions import tasks, uploads
from pruning_core.service.jobs.job import Job
from pruning_core.service.jobs.records import JobSnapshot
from pruning_core.settings import PRESETS, preset

# One line per shipped checkpoint, in words a student knows (the recipes and numbers: README, "Recipes and
# shipped baselines").
CHECKPOINT_NOTES = {
    "baseline": "The lab's starting point: LeNet-300-100 trained with the reference's simple recipe, "
                "nothing pruned yet.",
    "baseline-paper": "The same network trained longer with the paper's stronger recipe (momentum, weight "
                      "decay), nothing pruned yet.",
    "paper-92": "baseline-paper already pruned step by step until 92 % of its weights are gone (about 12x "
                "fewer), retrained after each step.",
    "paper-98": "The same, pruned further: 98 % of the weights gone (50x fewer).",
    "paper-68x": "The same, pruned further still: 98.53 % of the weights gone (68x fewer).",
    "lenet5-92": "Another network for comparison: LeNet-5, which looks at the image through small filters, "
                 "with 92 % of its weights pruned.",
}

st.title("Train or load a model")
st.caption("Choosing a model here starts the session over: it becomes the 'before' of every comparison.")
busy = ui_state.busy()
# While a classmate's line is viewed, nothing here may start a line: leave the view (its banner) first.
locked = busy or ui_state.read_only()
if ui_state.read_only():
    st.caption("Loading or training starts a line of your own: go back to your own line first (above).")
shipped, upload, new = st.columns(3)

with shipped:
    st.subheader("Shipped baseline")
    names = ui_state.builtin_names()
    name = st.radio("Checkpoint", names, key="builtin", horizontal=True)
    st.caption(CHECKPOINT_NOTES.get(name, ""))
    if "baseline-paper" not in names:
        st.caption("baseline-paper (the stronger 'paper' recipe) is not generated on this server yet "
                   "(`make baselines`).")
    if st.button("Load", disabled=locked, key="load-builtin"):
        ui_state.set_model(ui_state.builtin(name), name, name)
        st.session_state.notice = ("toast", f"Loaded {name}. {ui_state.UNDO_HINT}")
        st.rerun()

with upload:
    st.subheader("Upload a checkpoint")
    file = st.file_uploader("A .pt file saved by Prune Lab", type=["pt"], key="upload", disabled=locked)
    if file is not None and st.button("Use uploaded model", disabled=locked, key="use-upload"):
        try:
            model = uploads.read_upload(file.getvalue(), file.name)
        except uploads.UploadRefused as err:  # the student's sentence first, what exactly was wrong behind it
            st.error(f"{ui_state.plain(file.name)}: {ui_state.plain(str(err))}")
            with st.expander("Technical detail"):
                st.code(err.detail, language=None)
        else:
            def use_upload() -> None:
                ui_state.set_model(model, f"upload {file.name}")
                st.session_state.notice = ("toast", f"Loaded {ui_state.plain(file.name)}. {ui_state.UNDO_HINT}")

            ui_state.attempt(use_upload)


with new:
    st.subheader("Train a new model")
    recipe_name = st.selectbox("Recipe", list(PRESETS), key="preset",
                               help="seed: the reference blog's SGD recipe; paper: Caffe-like, momentum 0.9 + L2.")
    epochs = st.number_input("Epochs", 1, 100, 2, key="train-epochs",
                             help="About 3 s per epoch of the seed recipe on a 2-core CPU.")
    hidden = st.text_input("Hidden sizes", "300,100", key="hidden")
    if st.button("Train", type="primary", disabled=locked, key="train"):
        ui_state.attempt(lambda: ui_state.launch(tasks.train, preset(recipe_name, epochs=int(epochs)),
                                                 tasks.hidden_sizes(hidden)))


def live(snap: JobSnapshot, job: Job) -> None:
    ui_jobs.progress_and_cancel(snap, job)
    epochs = [e for e in snap.events if e.kind == "epoch"]
    if epochs:
        st.metric(f"Test accuracy after epoch {epochs[-1].epoch}/{epochs[-1].epochs}",
                  f"{100 * epochs[-1].accuracy:.2f} %")
    if snap.events:
        ui_state.chart(figures.training_curve(ui_jobs.event_dicts(snap)),
                       "Training loss every 50 steps (top) and test accuracy after each epoch (bottom).", "train-curve")


ui_jobs.poll(ui_jobs.Panel.TRAIN, live)
