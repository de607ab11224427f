"""Every dashboard page under Streamlit's AppTest: it renders, and its main interactions change real values.

Jobs run in the per-process JobQueue that the pages share; a test waits for its job by polling that queue,
then reruns the app, which collects the result. Retraining is 0 epochs throughout, so no test trains.
"""
from __future__ import annotations

import dataclasses
import json

import pytest
from streamlit.testing.v1 import AppTest

from pruning_core import paths
from pruning_core.research import answers, experiments
from pruning_core.service.jobs.records import JobOutcome, JobSnapshot, JobSpec, JobStatus
from pruning_core.train import Progress
from pruning_core.settings import REFERENCE_PERCENTS
from tests.ui.helpers import card, displayed, metrics, prune, wait_for_job

PAGES = {"views/prune.py": "Prune & retrain", "views/train.py": "Train or load a model",
         "views/weights.py": "Weights", "views/histograms.py": "Weight histograms",
         "views/activations.py": "Activations", "views/experiments.py": "Experiments"}


@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders(app, path):
    if path != "views/prune.py":
        app.switch_page(path).run()
    assert not app.exception
    assert app.title[0].value == PAGES[path]
    assert len(app.caption) >= 1



def test_model_card_shows_the_baseline(app):
    assert card(app) == {"Test accuracy": "97.17 %", "Weights pruned": "0.0 %"}
    assert "baseline (300-100)" in displayed(app.sidebar.markdown[0].value)


def test_prune_updates_metrics_history_and_downloads(app):
    snap = prune(app, 80.0)
    assert snap.status == "done" and snap.events[0].kind == "pruned"
    assert not app.exception
    # A toast, not a banner: the page does not move down when a job ends.
    assert displayed(app.toast[0].value) == "Prune to 80 % (global), retrain 0 epoch(s): done." and not app.success
    assert app.toast[0].proto.duration == 4 and not app.toast[0].icon
    assert card(app)["Weights pruned"] == "80.0 %"
    assert "1 prune step(s)" in displayed(app.sidebar.markdown[0].value)
    shown = metrics(app)
    assert shown["Before pruning"] == "97.17 %"
    after_prune = f"{100 * snap.events[0].accuracy:.2f} %"
    assert shown["After prune"] == after_prune == shown["After retrain"]  # 0 retrain epochs
    table = app.dataframe[0].value
    assert list(table["percent"]) == [80.0] and list(table["scope"]) == ["global"]
    assert table["nonzero"][0] == round(0.2 * 266_200)
    current = app.session_state["steps"][-1]
    assert len(app.session_state["steps"]) == 2 and current.history[-1].percent == 80.0
    # The download says which step it holds (during a schedule: the newest finished one).
    # (and the chart's slide, drawn only when its button is pressed).
    assert {displayed(b.label) for b in app.get("download_button")} == {"Step table (CSV)", "Download slide",
                                                                        "Checkpoint of baseline -> 80 % (.pt)"}
    assert "**before:** baseline 97.17 %" in app.caption[0].value  # every page names before and after

    # Pruned weights never come back: the slider starts at the current sparsity, its value moved on to a
    # valid one, and the current sparsity itself is said to only retrain.
    slider = app.slider(key="percent")
    assert slider.min == 80.0 and slider.value == 90.0 and "now 80.0 % pruned" in slider.label
    slider.set_value(80.0).run()
    assert "will only retrain it" in app.info[0].value

    app.button(key="reset-line").click().run()
    assert len(app.session_state["steps"]) == 1 and not app.dataframe


def test_go_back_to_an_earlier_step(app):
    prune(app, 50.0)
    prune(app, 70.0)
    assert list(app.dataframe[0].value["percent"]) == [50.0, 70.0]
    next(s for s in app.selectbox if s.label == "Go back to step").set_value(1)  # "1: after pruning to 50 %"
    next(b for b in app.button if b.label == "Go back").click().run()
    assert list(app.dataframe[0].value["percent"]) == [50.0]


def test_reference_schedule_fills_the_table(app):
    app.number_input(key="epochs").set_value(0)
    next(b for b in app.button if b.label == "Play").click().run()  # Play's default schedule is the reference
    assert wait_for_job(app).status == "done"
    app.run()
    assert list(app.dataframe[0].value["percent"]) == list(REFERENCE_PERCENTS)
    assert metrics(app)["After retrain"] == f"{100 * app.session_state['steps'][-1].accuracy:.2f} %"


def test_refresh_reattaches_and_cancel_keeps_the_model(app):
    app.number_input(key="epochs").set_value(20)  # long enough to still be running when Cancel is pressed
    app.button[0].click().run()
    assert dict(app.query_params) == {}  # nothing about the job or its owner is in the URL

    stranger = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60).run()  # another browser
    assert "job_id" not in stranger.session_state
    assert not [b for b in stranger.button if b.key == "cancel-job"]
    refreshed = AppTest.from_file(str(paths.APP_DIR / "app.py"), default_timeout=60)  # the same browser, reloaded
    refreshed.session_state["session_secret"] = app.session_state["session_secret"]  # its cookie
    refreshed.run()
    assert refreshed.session_state["job_id"] == app.session_state["job_id"]
    refreshed.button(key="cancel-job").click().run()
    assert wait_for_job(refreshed, 30).status == "cancelled"
    refreshed.run()
    assert len(refreshed.session_state["steps"]) == 1 and "job_id" not in refreshed.session_state
    assert not refreshed.dataframe
    assert "cancelled" in refreshed.toast[0].value and card(refreshed)["Weights pruned"] == "0.0 %"
    assert not refreshed.warning  # a toast: the page does not move down


def test_activations_digit_pick_changes_the_image(app):
    app.switch_page("views/activations.py").run()
    assert metrics(app)["True label"] == "3"
    app.selectbox(key="digit").set_value(7).run()
    shown = metrics(app)
    assert shown["True label"] == "7" and shown["Before: prediction"] == "7"
    first = [c.value for c in app.caption if c.value.startswith("test image #")]
    app.number_input(key="example").set_value(5).run()
    second = [c.value for c in app.caption if c.value.startswith("test image #")]
    assert first != second and "label 7" in second[0]
    # Active neurons per layer as large numbers, before -> after, with and without biases.
    for layer, size in (("fc1", 300), ("fc2", 100)):
        active = next(m for m in app.metric if m.label.startswith(f"Active {layer} neurons (of {size})"))
        before, after = (int(n) for n in active.value.split(" → "))
        assert 0 < after <= size and 0 < before <= size and active.delta.startswith("without biases: ")
    app.radio(key="digit-source").set_value("Draw").run()
    app.selectbox(key="said-digit").set_value(4).run()  # nothing drawn yet: the page asks for a drawing
    assert app.selectbox(key="said-digit").value == 4 and not app.exception


def test_train_page_loads_a_shipped_baseline(app):
    app.switch_page("views/train.py").run()
    names = app.radio(key="builtin").options
    assert names[0] == "baseline"
    notes = set()
    for name in names:  # every shipped checkpoint says what it is, in a line of its own under the choice
        app.radio(key="builtin").set_value(name).run()
        notes.add(" | ".join(c.value for c in app.caption))
    assert len(notes) == len(names), notes  # a different line for each
    if "baseline-paper" not in names:
        pytest.skip("baseline-paper.pt not generated yet")
    app.radio(key="builtin").set_value("baseline-paper")
    app.button(key="load-builtin").click().run()
    assert app.session_state["steps"][0].origin == "baseline-paper"
    assert app.session_state["steps"][0].accuracy > 0.98


def test_train_page_rejects_bad_hidden_sizes(app):
    app.switch_page("views/train.py").run()
    app.text_input(key="hidden").input("300,x")
    app.button(key="train").click().run()
    assert "hidden sizes must be two whole numbers" in app.error[0].value
    assert "job_id" not in app.session_state


def test_experiments_quick_rerun_fills_the_chart(app, tmp_path, monkeypatch):
    # The server's quick plan is a frozen object the page passes to the task; this server's is a tiny one.
    monkeypatch.setattr(experiments, "QUICK", dataclasses.replace(
        experiments.QUICK, global_vs_layer=experiments.ExperimentSettings((50.0, 90.0), 0, 0, (1,))))
    (tmp_path / "experiments").mkdir()
    stored = tmp_path / "experiments" / "global_vs_layer.json"
    stored.write_text((paths.EXPERIMENTS_DIR / "global_vs_layer.json").read_text())  # the shipped full run
    app.switch_page("views/experiments.py").run()
    app.button(key="rerun-global_vs_layer").click().run()
    assert wait_for_job(app).status == "done"
    app.run()
    assert not app.exception
    assert any("Quick run of" in c.value and "percents 50, 90" in c.value for c in app.caption)
    # the quick run stays in this session, beside the server's stored (full) results, which it never replaces
    assert any("Full run of" in c.value for c in app.caption)
    assert {"chart-global_vs_layer", "chart-global_vs_layer-quick"} <= {e.key for e in app.main if hasattr(e, "key")}
    assert stored.read_text() == (paths.EXPERIMENTS_DIR / "global_vs_layer.json").read_text()


def test_experiments_page_reads_results(app, tmp_path):
    app.switch_page("views/experiments.py").run()
    assert sum("No precomputed results yet" in i.value for i in app.info) == 2
    (tmp_path / "experiments").mkdir()
    data = {"name": "global_vs_layer", "quick": True, "created": "2026-01-01 00:00:00",
            "settings": {"percents": [50.0], "retrain_epochs": 1, "seeds": [1]},
            "runs": [{"scope": s, "seed": 1, "points": [{"percent": 50.0, "sparsity": 0.5,
                                                         "accuracy_after_prune": 0.9, "accuracy_after_retrain": 0.95}]}
                     for s in ("global", "layer")]}
    (tmp_path / "experiments" / "global_vs_layer.json").write_text(json.dumps(data))
    (tmp_path / "experiments" / "width_300_vs_600.json").write_text("{broken")
    app.run()
    assert sum("No precomputed results yet" in i.value for i in app.info) == 1
    assert any("Quick run of 2026-01-01" in c.value for c in app.caption)
    assert "not readable JSON" in app.error[0].value
    # Plain words first: the question, its one-sentence answer, then the chart; the research detail folded away.
    shown = list(app.main)
    question = next(i for i, e in enumerate(shown)
                    if getattr(e, "value", None) == "One threshold for the whole network, or the same share in every layer?")
    assert shown[question + 1].value == answers.global_vs_layer(data) and "one seed" in shown[question + 1].value
    assert shown[question + 2].key == "chart-global_vs_layer"
    assert [e.label for e in app.expander] == ["Han et al.'s points under a validation protocol: several seeds",
                                               "Reproducing the reference and Han et al."]


def test_progress_fraction_counts_training_calls():
    def event(kind: str, step: int, total: int) -> Progress:
        return Progress(kind, 1, 1, step, total, 0.0, 0.1)

    def snap(spec: JobSpec, events=(), points=()) -> JobSnapshot:
        return JobSnapshot("job-1", "prune", spec, JobStatus.RUNNING, tuple(events), JobOutcome(points=points),
                           "", 0.0, None, None, "run")

    assert snap(JobSpec("t")).fraction == 0.0
    assert snap(JobSpec("t"), [event("pruned", 0, 0)]).fraction == 0.0
    second_call_half_done = [event("pruned", 0, 0), event("epoch", 400, 400), event("pruned", 0, 0),
                             event("batch", 200, 400)]
    assert snap(JobSpec("t", units=2), second_call_half_done).fraction == 0.75
    assert snap(JobSpec("t", expected=4), points=({},)).fraction == 0.25


def test_experiments_page_shows_the_stored_reproduction(app, tmp_path):
    app.switch_page("views/experiments.py").run()
    assert any("No stored report yet" in i.value for i in app.info)
    (tmp_path / "experiments").mkdir(exist_ok=True)
    shipped = paths.EXPERIMENTS_DIR / "reproduction.json"
    (tmp_path / "experiments" / "reproduction.json").write_text(shipped.read_text())
    for seeds in paths.EXPERIMENTS_DIR.glob("l1_vs_l2_*.json"):  # the 5-seed L1 vs L2 question
        (tmp_path / "experiments" / seeds.name).write_text(seeds.read_text())
    app.run()
    assert not app.exception
    timing = json.loads(shipped.read_text())["sections"]["timing"]["seconds"]["1000"]
    forward = next(m.value for m in app.markdown if "One forward pass of 1,000 images" in m.value)
    assert f"dense {1e3 * timing['dense']:.2f} ms" in forward and f"csr {1e3 * timing['csr']:.2f} ms" in forward
    assert any("L1 vs L2" in m.value for m in app.markdown) and len(app.dataframe) >= 1
    over_seeds = next(m.value for m in app.markdown if "L1 vs L2 over seeds [1, 2, 3, 4, 5]" in m.value)
    assert "no verdict" not in over_seeds and "Holm" in over_seeds


def test_a_named_line_is_shown_by_its_name_on_every_page(app):
    name_box = next(t for t in app.text_input if t.key.startswith("line-name-"))
    name_box.input("  my   first try ")
    next(b for b in app.button if b.label == "Rename").click().run()
    assert not app.exception
    assert any("**Line:** my first try" in c.value for c in app.caption)
    app.switch_page("views/weights.py").run()
    assert any("**Line:** my first try" in c.value for c in app.caption)
