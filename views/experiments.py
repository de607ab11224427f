"""Experiments: global vs layer-wise pruning, and 300 vs 600 hidden units, from precomputed JSON results
(``python -m pruning_core experiments``) or a quick re-run in the background."""
import streamlit as st

import ui_state
from pruning_core import experiments, figures
from pruning_core.errors import UserError
from pruning_core.jobs import Job

ABOUT = {
    "global_vs_layer": ("Global vs layer-wise threshold",
                        "One threshold for the whole network vs the same percent in every layer, each step "
                        "retrained; with one global threshold the layers lose different shares of weights.",
                        figures.scope_comparison, ("scope", "seed")),
    "width_300_vs_600": ("300 vs 600 hidden units",
                         "Percent of hidden neurons active per test image (percent 0 = before pruning), for "
                         "the 300- and the 600-wide first layer.",
                         figures.width_comparison, ("hidden", "seed")),
}


def runs_from_points(points: list[dict], keys: tuple[str, str]) -> list[dict]:
    """Live points (each tagged with its run's keys) -> the ``runs`` list the figures draw."""
    runs: dict[tuple, dict] = {}
    for point in points:
        tag = tuple(str(point[k]) for k in keys)
        runs.setdefault(tag, {**{k: point[k] for k in keys}, "points": []})["points"].append(point)
    return list(runs.values())


def start(name: str) -> None:
    points: list[dict] = []
    spec = {"title": f"Quick experiment: {ABOUT[name][0]}", "experiment": name, "points": points,
            "expected": experiments.expected_points(name, True)}

    def work(job):
        def on_point(point: dict) -> None:
            points.append(point)
            job.run_record.log({"kind": "point", **point})

        data = experiments.run_experiment(name, True, [job.report], job.should_stop, on_point=on_point)
        spec["session"][f"experiment:{name}"] = data
        try:
            experiments.save_results(name, data)
        except OSError:  # a read-only install still shows this session its results
            pass

    ui_state.submit("experiment", spec, work, {"experiment": name, "quick": True})


def live(snap: dict, job: Job) -> None:
    ui_state.progress_and_cancel(snap, job)
    name, points = snap["spec"]["experiment"], snap["spec"]["points"]
    if points:
        _, caption, draw, keys = ABOUT[name]
        ui_state.chart(draw(runs_from_points(points, keys)), "So far: " + caption, f"live-{name}")


st.title("Experiments")
st.caption("Two questions from the paper, answered with precomputed runs; a quick re-run (1 seed, few "
           "percents) takes about a minute and replaces the stored results.")
busy = ui_state.busy()
for name, (title, caption, draw, keys) in ABOUT.items():
    st.subheader(title)
    try:
        data = st.session_state.get(f"experiment:{name}") or experiments.load_results(name)
    except UserError as err:
        st.error(str(err))
        data = None
    if data is None:
        st.info("No precomputed results yet - run `python -m pruning_core experiments` on the server, or "
                "start a quick run here.")
    else:
        ui_state.chart(draw(data["runs"]), caption, f"chart-{name}")
        s = data["settings"]
        st.caption(f"{'Quick' if data['quick'] else 'Full'} run of {data['created']}: percents "
                   f"{', '.join(f'{p:g}' for p in s['percents'])}; {s['retrain_epochs']} retrain epoch(s) per "
                   f"step; seeds {s['seeds']}.")
    if st.button("Re-run quickly in the background", key=f"rerun-{name}", disabled=busy):
        try:
            start(name)
        except UserError as err:
            st.error(str(err))
        else:
            st.rerun()
ui_state.poll("experiments", live, ("experiment",))
