"""The reference's full schedule on this machine's CPU: 20 training epochs, then prune -> retrain over the
reference's cumulative percents (10 ... 99 %), all through ``lab.train_baseline`` and ``lab.schedule``.

The full schedule (20 retraining epochs per step) takes minutes on 2 CPUs, so ``python -m bench`` runs a
scaled one (fewer retraining epochs, labelled as such) and extrapolates; ``--schedule`` runs the real one.
The goal for it (<= 10 s) is for one H200 GPU; with no GPU here that number is reported as not measured.
"""
from __future__ import annotations

import time

import torch

from pruning_core import lab
from pruning_core.settings import REFERENCE_PERCENTS, preset

FULL_RETRAIN_EPOCHS = 20


def main(retrain_epochs: int) -> None:
    """Time baseline training and the schedule once; print measured and extrapolated-to-full times."""
    recipe = preset("seed")
    started = time.perf_counter()
    baseline = lab.train_baseline(recipe, device="cpu")
    trained = time.perf_counter() - started
    *_, last = lab.schedule(baseline, REFERENCE_PERCENTS, retrain_epochs=retrain_epochs)
    pruned = time.perf_counter() - started - trained
    epochs = recipe.epochs + len(REFERENCE_PERCENTS) * retrain_epochs
    full = trained + pruned * FULL_RETRAIN_EPOCHS / retrain_epochs
    label = "full" if retrain_epochs == FULL_RETRAIN_EPOCHS else f"SCALED: {retrain_epochs} instead of 20 retrain epochs per step"
    print(f"## schedule ({label}; {len(REFERENCE_PERCENTS)} steps {REFERENCE_PERCENTS[0]:g} ... {REFERENCE_PERCENTS[-1]:g} %)\n")
    print("| part | epochs | seconds (one run) |\n|---|---|---|")
    print(f"| train baseline (seed preset) | {recipe.epochs} | {trained:.1f} |")
    print(f"| prune + retrain, {len(REFERENCE_PERCENTS)} steps | {epochs - recipe.epochs} | {pruned:.1f} |")
    print(f"| total measured | {epochs} | {trained + pruned:.1f} |")
    if retrain_epochs != FULL_RETRAIN_EPOCHS:
        print(f"| full schedule, extrapolated from this run | {recipe.epochs + len(REFERENCE_PERCENTS) * FULL_RETRAIN_EPOCHS}"
              f" | {full:.0f} |")
    print(f"\nfinal: {100 * last.masks.sparsity():.1f} % pruned, test accuracy {100 * last.accuracy:.2f} %")
    where = "a GPU is present, but this benchmark times the CPU" if torch.cuda.is_available() else "no GPU here"
    print(f"GPU goal (full schedule on one H200 <= 10 s): not measured ({where})")
