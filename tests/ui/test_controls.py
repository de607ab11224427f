"""Why magnitude: the controls' runs (research/controls.py) from the shipped baseline, their summary and the
page's one-sentence answer read from the numbers, the chart, and the Experiments page's section."""
from __future__ import annotations

import dataclasses
import json
import statistics

import pytest

from pruning_core import checkpoint, cpus, paths
from pruning_core.plots import figures
from pruning_core.research import controls, experiments
from pruning_core.service.batch import sweep
from tests.ui.helpers import metrics, prune

# One prune to 50 % without retraining, three seeds: the done-when measurement in small (seconds, no training).
TINY = dataclasses.replace(controls.SETTINGS, percents=(50.0,), retrain_epochs=0)


@pytest.fixture(scope="module")
def tiny_results() -> dict:
    with cpus.threads(1):  # as a sweep's works run, so their accuracies can be compared exactly
        return controls.run(TINY)


def after_prune(data: dict, scope: str) -> list[float]:
    return [run["points"][0]["accuracy_after_prune"] for run in data["runs"] if run["scope"] == scope]


def test_runs_start_from_the_baseline_and_seed_only_the_random_mask(tiny_results) -> None:
    runs = tiny_results["runs"]
    assert [(r["scope"], r["seed"]) for r in runs] == [(scope, seed) for seed in TINY.seeds for scope in controls.SCOPES]
    assert all(r["baseline_accuracy"] == pytest.approx(0.9717) and r["points"][0]["sparsity"] == pytest.approx(0.5)
               for r in runs)
    # Without retraining, only the random choice depends on the seed.
    assert len(set(after_prune(tiny_results, "global"))) == len(set(after_prune(tiny_results, "largest"))) == 1
    assert len(set(after_prune(tiny_results, "random"))) == len(TINY.seeds)


def test_magnitude_beats_random_beats_largest_and_the_answer_says_so(tiny_results) -> None:
    means = {scope: statistics.mean(after_prune(tiny_results, scope)) for scope in controls.SCOPES}
    assert means["global"] > max(after_prune(tiny_results, "random"))
    assert min(after_prune(tiny_results, "random")) > means["largest"]
    summary = controls.summary(tiny_results)
    random_mean, random_sd = summary["random"][0]["accuracy_after_prune"]
    assert random_mean == pytest.approx(100 * means["random"])
    assert random_sd == pytest.approx(100 * statistics.stdev(after_prune(tiny_results, "random")))
    sentence = controls.answer(tiny_results)
    assert f"{100 * means['global']:.1f} ± 0.0 % when the smallest weights go" in sentence
    assert f"{random_mean:.1f} ± {random_sd:.1f} % when the random weights go" in sentence
    assert "the small ones matter least" in sentence and "3 seeds" in sentence


def test_answer_says_when_the_seeds_do_not_separate_the_criteria(tiny_results) -> None:
    mixed = json.loads(json.dumps(tiny_results))
    for run in mixed["runs"]:  # one seed where random does as well as magnitude: no longer beyond noise
        if run["scope"] == "random" and run["seed"] == TINY.seeds[0]:
            run["points"][0]["accuracy_after_prune"] = 0.99
    assert "do not separate" in controls.answer(mixed)


def test_results_are_stored_and_charted(tiny_results, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(paths.ENV_EXPERIMENTS, str(tmp_path))
    experiments.save_results(controls.NAME, tiny_results)
    assert experiments.load_results(controls.NAME) == json.loads(json.dumps(tiny_results))
    fig = figures.controls_comparison(controls.summary(tiny_results), controls.LABELS)
    assert len(fig.data) == 6 and [t.name for t in fig.data if t.showlegend] == list(controls.LABELS.values())


def test_experiments_page_answers_why_magnitude_first(app, tmp_path, tiny_results) -> None:
    app.switch_page("views/experiments.py").run()
    assert app.subheader[0].value == "Why prune the smallest weights?"
    assert any("No stored result yet" in i.value for i in app.info)
    (tmp_path / "experiments").mkdir(exist_ok=True)
    (tmp_path / "experiments" / f"{controls.NAME}.json").write_text(json.dumps(tiny_results))
    app.run()
    assert not app.exception
    assert any(m.value == controls.answer(tiny_results) for m in app.markdown)
    assert any("Test accuracy" in c.value and "chooses no setting" in c.value for c in app.caption)


class Quiet:
    """The least of an executor's Context a sweep work needs: no progress shown, never stopped."""

    def report(self, event) -> None:
        pass

    def should_stop(self) -> bool:
        return False


def test_a_sweep_point_draws_its_random_mask_with_its_seed(tiny_results) -> None:
    data = checkpoint.resolve("baseline").read_bytes()
    for seed, expected in zip(TINY.seeds[:2], after_prune(tiny_results, "random")):
        point = sweep.Point(50.0, "random", seed, 300)
        assert sweep.prune_point(Quiet(), data, point, 0, None, 1)["accuracy_after_prune"] == expected


def test_prune_page_offers_the_controls_with_their_line(app) -> None:
    app.selectbox(key="scope").set_value("largest").run()
    assert any("largest |w| go first" in c.value for c in app.caption)
    snap = prune(app, 50.0)
    assert snap.status == "done" and not app.exception
    assert metrics(app)["After prune"] == "9.82 %"  # without its largest half, the baseline answers 4 to all
    assert list(app.dataframe[0].value["scope"]) == ["largest"]
