"""L1 vs L2 over seeds (research/regularisers.py): the two recipes, a run on a tiny validation subset, the
stored results it reads back, and the Holm-corrected reading of the paired differences."""
from __future__ import annotations

import dataclasses

import pytest

from pruning_core.data import Mnist, Split
from pruning_core.research import protocol, protocol_runs, regularisers

TINY = regularisers.RegulariserPlan(seeds=(1, 2), dense_epochs=0, percents=(50, 90), retrain_epochs=0)


def tiny_validation(n_train: int = 2000, n_measure: int = 500) -> Mnist:
    """A few images of each validation-protocol split (never the test set)."""
    data = protocol_runs.validation_data()
    return Mnist(*(Split(s.images[:n], s.labels[:n], s.pixels[:n])
                   for s, n in ((data.train, n_train), (data.test, n_measure))))


def test_the_two_recipes_differ_only_in_the_regulariser() -> None:
    recipes = regularisers.recipes(regularisers.PLAN, seed=3)
    l1, l2 = recipes["L1"], recipes["L2"]
    assert (l2.weight_decay, l2.l1) == (5e-4, 0.0) and (l1.weight_decay, l1.l1) == (0.0, regularisers.L1_STRENGTH)
    assert dataclasses.replace(l1, weight_decay=l2.weight_decay, l1=l2.l1) == l2
    assert l2.seed == 3 and l2.preset == "paper" and l2.epochs == 30


def test_untrained_l1_and_l2_models_of_one_seed_prune_alike_so_every_difference_is_zero() -> None:
    data = tiny_validation()
    runs = [regularisers.run(TINY, seed, data) for seed in TINY.seeds]
    assert [p["percent"] for p in runs[0]["points"]["L1"]] == [50, 90]
    assert runs[0]["points"]["L1"] == runs[0]["points"]["L2"]
    diffs = regularisers.differences(runs)
    assert len(diffs) == 4 and all(d["mean"] == 0 and d["verdict"] == "within noise" for d in diffs)


def fake_run(seed: int, l1: list[tuple[float, float]], l2: list[tuple[float, float]],
             seeds: tuple[int, ...] = (1, 2, 3, 4, 5)) -> dict:
    def points(pairs):
        return [{"percent": p, "accuracy_after_prune": a, "accuracy_after_retrain": b}
                for p, (a, b) in zip((50, 90), pairs)]
    return {"seed": seed, "plan": {"seeds": seeds}, "dense": {"L1": 0.98, "L2": 0.98}, "points": {"L1": points(l1), "L2": points(l2)}}


def test_the_reading_separates_a_steady_difference_from_a_wide_one() -> None:
    # After pruning at 50 %: L1 ahead by 5.0 +- 0.1 points in every seed; at 90 %: +-8 points, sign flipping.
    runs = [fake_run(s, [(0.90 + 0.001 * k, 0.97), (0.5 + 0.08 * (-1) ** s, 0.95)], [(0.85, 0.97), (0.5, 0.95)])
            for k, s in enumerate((1, 2, 3, 4, 5))]
    by = {(d["phase"], d["percent"]): d for d in regularisers.differences(runs)}
    assert by[("accuracy_after_prune", 50)]["verdict"] == "beyond noise"
    assert by[("accuracy_after_prune", 50)]["mean"] == pytest.approx(5.2)
    assert by[("accuracy_after_prune", 90)]["verdict"] == "not resolved"
    assert by[("accuracy_after_retrain", 50)]["verdict"] == "within noise"
    text = regularisers.section(runs)
    assert "after pruning 50 %: +5.20 (beyond noise)" in text and "seeds [1, 2, 3, 4, 5] of the registered" in text
    partial = regularisers.section(runs[:4])  # a registered seed missing: the numbers, but no verdict
    assert "**no verdict** - 4 of the 5 registered seeds" in partial and "seeds [5] did not finish" in partial
    assert "beyond noise" not in partial and "| L1 | 50 |" in partial


def test_stored_seeds_are_collected_and_one_seed_is_not_a_reading(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PRUNE_LAB_EXPERIMENTS", str(tmp_path))
    assert regularisers.collect(TINY) == [] and "not run yet" in regularisers.section([])
    protocol.store(regularisers.result_name(2), fake_run(2, [(0.9, 0.97)] * 2, [(0.9, 0.97)] * 2), 1.0)
    stored = regularisers.collect(TINY)
    assert [r["seed"] for r in stored] == [2] and stored[0]["threads"] == protocol.THREADS
    assert "**no verdict** - 1 of the 5 registered seeds" in regularisers.section(stored)
