"""The validation protocol (research/protocol.py): splits, the selection rule, the frozen plan, both compression
conventions, intervals, and the shipped checkpoints against their stored results."""
from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from pruning_core import checkpoint, lab
from pruning_core.data import load_mnist
from pruning_core.research import protocol, protocol_runs, protocol_text
from pruning_core.settings import PruneSettings, preset
from pruning_core.train import evaluate


def test_validation_split_is_the_last_5000_training_images_and_never_the_test_set() -> None:
    full, split = load_mnist("cpu"), protocol_runs.validation_data()
    assert (len(split.train), len(split.test)) == (55_000, 5_000)
    assert torch.equal(split.train.images, full.train.images[:55_000])
    assert torch.equal(split.test.labels, full.train.labels[55_000:])
    monitor_data, test = protocol_runs.final_data()
    assert len(monitor_data.train) == 60_000 and test is full.test


def test_counts_give_both_compression_conventions() -> None:
    dense = lab.train_baseline(preset("seed", epochs=0), device="cpu")
    pruned = lab.prune_step(dense, PruneSettings(92.0), retrain_epochs=0)
    c = protocol_runs.counts(pruned)
    assert (c["weights_total"], c["biases_total"]) == (266_200, 410)
    assert c["compression_weights"] == pytest.approx(266_200 / c["weights_nonzero"])
    assert c["compression_with_biases"] == pytest.approx(266_610 / (c["weights_nonzero"] + c["biases_nonzero"]))
    assert 12.0 < c["compression_with_biases"] < c["compression_weights"] == pytest.approx(12.5, abs=0.01)
    summary = lab.summary(pruned, 0.0)  # what `evaluate --json` prints: both conventions too
    assert (summary["compression"], summary["compression_with_biases"]) == (c["compression_weights"],
                                                                           c["compression_with_biases"])


def candidate(lr: float, epochs: int, at: dict[float, float]) -> dict:
    return {"lr": lr, "epochs": epochs, "points": [{"percent": p, "validation_accuracy": a} for p, a in at.items()]}


def test_choose_takes_the_best_mean_validation_accuracy_at_the_targets_then_fewer_epochs() -> None:
    targets = list(protocol_runs.TARGETS.values())
    good = candidate(0.002, 8, {t: 0.98 for t in targets} | {50.0: 0.5})
    same = candidate(0.002, 16, {t: 0.98 for t in targets} | {50.0: 0.99})  # better off-target only: a tie
    worse = candidate(0.005, 4, {targets[0]: 0.99, targets[1]: 0.97, targets[2]: 0.97})
    chosen = protocol.choose({"candidates": [same, worse, good]})
    assert (chosen.retrain_lr, chosen.retrain_epochs) == (0.002, 8)


def test_the_frozen_plan_is_what_the_rule_chose_on_the_stored_search() -> None:
    stored = protocol.collect()["selection"]
    assert len(stored) == len(protocol.SEARCH["candidates"]), "run every select stage first"
    assert all(c["seed"] == protocol.SEARCH["seed"] for c in stored)
    assert protocol.PLAN == protocol.choose({"candidates": stored})


def test_stored_final_runs_carry_plan_seed_threads_time_and_commit() -> None:
    finals = protocol.collect()["finals"]
    assert [run["seed"] for run in finals] == list(protocol.PLAN.seeds)
    for run in finals:
        assert run["plan"] == json.loads(json.dumps(dataclasses.asdict(protocol.PLAN)))
        assert run["threads"] == protocol.THREADS and run["seconds"] > 0 and run["commit"]


def test_wilson_interval_of_a_10k_test_set() -> None:
    low, high = protocol_text.wilson(0.98)
    assert low < 0.98 < high and high - low == pytest.approx(2 * 1.96 * (0.98 * 0.02 / 10_000) ** 0.5, rel=0.01)


def test_quick_protocol_reports_every_target_both_ways() -> None:
    text = protocol_text.targets_section(protocol.quick())
    for name in ("paper-92", "paper-98", "paper-68x"):
        assert f"| `{name}` |" in text
    assert "12.5x / 12.3x" in text and "76.9x / 68.9x" in text and "not run" in text  # lenet5 not in quick


@pytest.mark.parametrize("name", ["paper-92", "paper-98", "paper-68x", "lenet5-92"])
def test_shipped_checkpoint_measures_what_its_stored_result_says(name) -> None:
    collect, stage, percent = protocol.shipped_source()[name]
    runs = getattr(protocol, collect)()[stage]
    stored = next(p for run in runs if run["seed"] == protocol_runs.SHIPPED_SEED for p in run["points"]
                  if p["percent"] == percent)
    shipped = checkpoint.load(name)
    assert shipped.accuracy == stored["test_accuracy"] == evaluate(shipped.model, load_mnist("cpu").test)
    assert protocol_runs.counts(shipped) == {k: stored[k] for k in protocol_runs.counts(shipped)}


def test_round3_rule_takes_the_best_mean_at_its_targets_and_a_tie_goes_to_global() -> None:
    def candidate(scope: str, at98: float, at68x: float, at92: float = 0.9) -> dict:
        return {"scope": scope, "points": [{"percent": 92.0, "validation_accuracy": at92},
                                           {"percent": 98.0, "validation_accuracy": at98},
                                           {"percent": 98.53, "validation_accuracy": at68x}]}
    assert protocol.choose3([candidate("global", 0.98, 0.97, at92=0.99),
                             candidate("sensitivity", 0.981, 0.971)]).scope == "sensitivity"
    assert protocol.choose3([candidate("global", 0.98, 0.97), candidate("sensitivity", 0.97, 0.98)]).scope == "global"
    with pytest.raises(SystemExit):
        protocol.choose3([candidate("global", 0.98, 0.97)])
    assert protocol.ROUND3_TARGETS["paper-68x"] in protocol.ROUND3_PERCENTS  # 98.53 %: 3,913 weights, 68.0x
    assert 266_200 / (266_200 - round(266_200 * 0.9853)) >= 68.0


def test_round3_final_runs_used_the_plan_and_rates_the_rule_chose_on_validation() -> None:
    stored = protocol.collect3()
    if not stored["finals"]:
        pytest.skip("round 3's final runs are not stored (not run yet)")
    assert [c["scope"] for c in stored["selection"]] == [p.scope for p in protocol.ROUND3["candidates"]]
    plan = protocol.choose3(stored["selection"])
    rates = stored["rates"][0]["rates"] if plan.scope == "sensitivity" else None
    assert [run["seed"] for run in stored["finals"]] == list(plan.seeds)
    for run in stored["finals"]:
        assert run["plan"] == json.loads(json.dumps(dataclasses.asdict(plan))) and run["rates"] == rates
        assert [p["percent"] for p in run["points"]] == [0.0, *plan.pareto]
