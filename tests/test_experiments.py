"""pruning_core.research.experiments on tiny settings: schema of both experiments, live points, save/load round trip."""
from __future__ import annotations

import pytest

from pruning_core.research import experiments
from pruning_core.errors import UserError


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    """Zero-epoch training and one percent: the code path of a real run in a few seconds."""
    monkeypatch.setenv("PRUNE_LAB_EXPERIMENTS", str(tmp_path))
    monkeypatch.setitem(experiments.SETTINGS, ("global_vs_layer", True),
                        {"percents": [50.0, 90.0], "train_epochs": 0, "retrain_epochs": 0, "seeds": [1]})
    monkeypatch.setitem(experiments.SETTINGS, ("width_300_vs_600", True),
                        {"percents": [90.0], "train_epochs": 0, "retrain_epochs": 0, "seeds": [1],
                         "widths": [[30, 10], [60, 10]]})
    return tmp_path


def test_global_vs_layer(tiny):
    points = []
    data = experiments.run_experiment("global_vs_layer", True, on_point=points.append)
    assert [(r["scope"], r["seed"]) for r in data["runs"]] == [("global", 1), ("layer", 1)]
    assert len(points) == experiments.expected_points("global_vs_layer", True) == 4
    for run in data["runs"]:
        assert [p["percent"] for p in run["points"]] == [50.0, 90.0]
        assert all(abs(p["sparsity"] - p["percent"] / 100) < 1e-3 for p in run["points"])
        # 0 retrain epochs: retraining changes nothing
        assert all(p["accuracy_after_prune"] == p["accuracy_after_retrain"] for p in run["points"])
    path = experiments.save_results("global_vs_layer", data)
    assert path.parent == tiny
    assert experiments.load_results("global_vs_layer") == data


def test_width_300_vs_600(tiny):
    data = experiments.run_experiment("width_300_vs_600", True)
    assert [r["hidden"] for r in data["runs"]] == [[30, 10], [60, 10]]
    for run in data["runs"]:
        assert [p["percent"] for p in run["points"]] == [0.0, 90.0]
        for point in run["points"]:
            assert set(point["active_fraction"]) == {"fc1", "fc2"}
            assert len(point["active_per_digit"]["fc1"]) == 10
            assert all(0.0 <= v <= 1.0 for v in point["active_fraction"].values())


def test_missing_and_broken_results(tiny):
    assert experiments.load_results("width_300_vs_600") is None
    (tiny / "width_300_vs_600.json").write_text('{"name": "other", "runs": []}')
    with pytest.raises(UserError, match="does not hold"):
        experiments.load_results("width_300_vs_600")
    with pytest.raises(UserError, match="unknown experiment"):
        experiments.run_experiment("nope")
