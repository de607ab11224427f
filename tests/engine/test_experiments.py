"""pruning_core.research.experiments on tiny settings: schema of both experiments, live points, save/load round trip."""
from __future__ import annotations

import pytest

from pruning_core.research import experiments
from pruning_core.errors import UserError


# Zero-epoch training and few percents: the code path of a real run in a few seconds, passed explicitly.
TINY = experiments.ExperimentPlan(
    quick=True,
    global_vs_layer=experiments.ExperimentSettings((50.0, 90.0), 0, 0, (1,)),
    width_300_vs_600=experiments.ExperimentSettings((90.0,), 0, 0, (1,), ((30, 10), (60, 10))))


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    monkeypatch.setenv("PRUNE_LAB_EXPERIMENTS", str(tmp_path))
    return tmp_path


def test_global_vs_layer(tiny):
    points = []
    data = experiments.run_experiment("global_vs_layer", True, on_point=points.append, plan=TINY)
    assert [(r["scope"], r["seed"]) for r in data["runs"]] == [("global", 1), ("layer", 1)]
    assert len(points) == TINY.expected_points("global_vs_layer") == 4
    assert data["settings"] == {"percents": [50.0, 90.0], "train_epochs": 0, "retrain_epochs": 0, "seeds": [1]}
    for run in data["runs"]:
        assert [p["percent"] for p in run["points"]] == [50.0, 90.0]
        assert all(abs(p["sparsity"] - p["percent"] / 100) < 1e-3 for p in run["points"])
        # 0 retrain epochs: retraining changes nothing
        assert all(p["accuracy_after_prune"] == p["accuracy_after_retrain"] for p in run["points"])
    path = experiments.save_results("global_vs_layer", data)
    assert path.parent == tiny
    assert experiments.load_results("global_vs_layer") == data


def test_width_300_vs_600(tiny):
    data = experiments.run_experiment("width_300_vs_600", True, plan=TINY)
    assert [r["hidden"] for r in data["runs"]] == [[30, 10], [60, 10]]
    for run in data["runs"]:
        assert [p["percent"] for p in run["points"]] == [0.0, 90.0]
        for point in run["points"]:
            assert set(point["active_fraction"]) == {"fc1", "fc2"}
            assert len(point["active_per_digit"]["fc1"]) == 10
            assert all(0.0 <= v <= 1.0 for v in point["active_fraction"].values())
    assert data["settings"]["widths"] == [[30, 10], [60, 10]]


def test_plans_are_frozen_and_keep_the_stored_settings_format():
    with pytest.raises(AttributeError):
        experiments.QUICK.global_vs_layer = TINY.global_vs_layer  # type: ignore[misc]
    stored = experiments.load_results("width_300_vs_600")  # the shipped full results, written by the old dict
    assert stored is None or stored["settings"] == experiments.FULL.width_300_vs_600.to_dict()


def test_missing_and_broken_results(tiny):
    assert experiments.load_results("width_300_vs_600") is None
    (tiny / "width_300_vs_600.json").write_text('{"name": "other", "runs": []}')
    with pytest.raises(UserError, match="does not hold"):
        experiments.load_results("width_300_vs_600")
    with pytest.raises(UserError, match="unknown experiment"):
        experiments.run_experiment("nope")


def test_report_sections_are_typed_and_optional():
    import json

    from pruning_core import paths
    from pruning_core.research.report_sections import ReportSections

    stored = json.loads((paths.EXPERIMENTS_DIR / "reproduction.json").read_text())
    report = ReportSections.from_dict(stored)
    if "timing" in stored["sections"]:
        assert set(report.timing) >= {1000} and all(isinstance(batch, int) for batch in report.timing)
    partial = {"command": "c", "created": "now", "sections": {k: v for k, v in stored["sections"].items()
                                                             if k not in ("regularisation", "timing")}}
    assert ReportSections.from_dict(partial).regularisation is None and ReportSections.from_dict(partial).timing is None
    older = {**partial, "sections": {**partial["sections"], "moon": {"accuracy": 0.98}}}  # an old run's section
    assert ReportSections.from_dict(older) == ReportSections.from_dict(partial)
    with pytest.raises(UserError, match="unexpected layout"):
        ReportSections.from_dict({"sections": {"timing": {"seconds": {"1000": {"dense": "fast"}}}}})


# One retraining epoch, so the runs really train: the shipped seed's baseline and a trained one (seed 1, 0
# epochs), both scopes; two widths trained one epoch each.
SMALL = experiments.ExperimentPlan(
    quick=True,
    global_vs_layer=experiments.ExperimentSettings((90.0,), 0, 1, (experiments.SHIPPED_SEED, 1)),
    width_300_vs_600=experiments.ExperimentSettings((90.0,), 1, 1, (1,), ((30, 10), (60, 10))))


@pytest.mark.slow
@pytest.mark.parametrize("name", experiments.NAMES)
def test_runs_on_the_local_executor_equal_the_sequential_runs(tiny, name):
    """The report's runs as works on two worker processes give the stored format and exactly the numbers of
    one run after another on as many threads (1): stored results need no regeneration."""
    from pruning_core import cpus
    from pruning_core.service.batch import experiment_runs

    with cpus.threads(1):
        alone = experiments.run_experiment(name, plan=SMALL)
    seen = []
    runner = experiment_runs.ExecutorRunner("local", slots=2, threads=1,
                                            on_progress=lambda fraction, done, total: seen.append(done))
    try:
        spread = experiments.run_experiment(name, plan=SMALL, runner=runner)
    finally:
        runner.close()
    assert spread["runs"] == alone["runs"] and spread["settings"] == alone["settings"]
    assert len(spread["runs"]) == {"global_vs_layer": 4, "width_300_vs_600": 2}[name]
    # every work finished, a seed's baseline counted once (global_vs_layer: 2 baselines + 4 runs)
    assert seen[-1] == len(experiment_runs.pieces(name, SMALL.settings(name), 1)) == {"global_vs_layer": 6,
                                                                                      "width_300_vs_600": 2}[name]
    assert moved(name, spread["runs"])  # the runs trained and pruned: equality is not two untouched copies


def moved(name: str, runs: list[dict]) -> bool:
    """Some accuracy changed within a run: retraining after a prune, or pruning a trained width."""
    if name == "global_vs_layer":
        return any(p["accuracy_after_prune"] != p["accuracy_after_retrain"] for r in runs for p in r["points"])
    return any(r["points"][0]["accuracy"] != r["points"][-1]["accuracy"] for r in runs)


@pytest.mark.slow
def test_experiments_command_runs_on_the_chosen_executor(tiny, monkeypatch, capsys):
    """``python -m pruning_core experiments --executor local``: the runs go to worker processes, the results
    land in the results folder, progress goes to stderr and one JSON object to stdout."""
    import json

    from pruning_core import cli

    monkeypatch.setattr(experiments, "QUICK", TINY)  # the plan travels to the workers as arguments
    assert cli.main(["experiments", "--quick", "--name", "width_300_vs_600", "--executor", "local", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"executor": "local", "saved": {"width_300_vs_600": str(tiny / "width_300_vs_600.json")}}
    assert "2/2 works" in err
    assert [r["hidden"] for r in experiments.load_results("width_300_vs_600")["runs"]] == [[30, 10], [60, 10]]
