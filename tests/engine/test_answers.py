"""The Experiments page's one-sentence answers (research/answers.py): numbers in % at the highest percent every
run reached, and a side named better only when the seeds tell the two apart."""
from __future__ import annotations

from pruning_core.research import answers


def scope_runs(global_acc: list[float], layer_acc: list[float]) -> dict:
    return {"runs": [{"scope": scope, "seed": seed, "points": [
        {"percent": 50.0, "accuracy_after_retrain": 0.97}, {"percent": 90.0, "accuracy_after_retrain": value}]}
        for scope, values in (("global", global_acc), ("layer", layer_acc)) for seed, value in enumerate(values)]}


def test_a_side_is_named_better_only_beyond_the_seeds_noise():
    clear = answers.global_vs_layer(scope_runs([0.96, 0.961, 0.959], [0.90, 0.905, 0.895]))
    assert clear.startswith("Pruned to 90 % and retrained, the network keeps 96.0 ± 0.1 % test accuracy with one "
                            "global threshold and 90.0 ± 0.5 %")
    assert "(mean ± sd over 3 seeds): one global threshold does better, a difference larger than" in clear
    noisy = answers.global_vs_layer(scope_runs([0.96, 0.93, 0.95], [0.95, 0.96, 0.93]))
    assert "does better" not in noisy and noisy.endswith("too few seeds to tell a difference from noise.")
    assert answers.global_vs_layer(scope_runs([0.96], [0.90])).endswith("(one seed): too few seeds to tell a "
                                                                         "difference from noise.")


def test_the_width_answer_names_accuracy_and_active_neurons_of_both_widths():
    runs = [{"hidden": [width, 100], "seed": seed, "points": [
        {"percent": 0.0, "accuracy": 0.97, "active_fraction": {"fc1": 0.6, "fc2": 0.7}},
        {"percent": 95.0, "accuracy": accuracy + seed / 1000, "active_fraction": {"fc1": active, "fc2": 0.7}}]}
        for width, accuracy, active in ((300, 0.93, 0.57), (600, 0.96, 0.59)) for seed in (1, 2, 3)]
    text = answers.width({"runs": runs})
    assert text.startswith("Pruned to 95 % and retrained, the 600-wide network keeps 96.2 ± 0.1 % test accuracy and "
                           "the 300-wide one 93.2 ± 0.1 % (mean ± sd over 3 seeds: the 600-wide one does better")
    assert "with 59.0 ± 0.0 % and 57.0 ± 0.0 % of their first-layer neurons active per image" in text
