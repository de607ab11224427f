"""How the ``paper`` preset's recipe was chosen: candidates compared on a validation split, not the test set.

Trains each candidate on the first 55,000 training images and reports accuracy on the last 5,000.
Run: ``.venv/bin/python -m bench.choose_paper_lr`` (about 1.5 minutes per candidate on 2 cores).
"""
from __future__ import annotations

import torch

from pruning_core.data import Mnist, Split, load_mnist
from pruning_core.models import build_model
from pruning_core.settings import ModelSettings, preset
from pruning_core.train import evaluate, train

VALIDATION = 5000
CANDIDATES = {"lr 0.01": {"lr": 0.01}, "lr 0.02": {"lr": 0.02}, "lr 0.01, weight decay 1e-4":
              {"lr": 0.01, "weight_decay": 1e-4}}


def main() -> None:
    full = load_mnist("cpu").train
    cut = len(full) - VALIDATION
    fit = Split(full.images[:cut], full.labels[:cut], full.pixels[:cut])
    held_out = Split(full.images[cut:], full.labels[cut:], full.pixels[cut:])
    print("| candidate (paper preset otherwise) | validation accuracy |\n|---|---|")
    for name, overrides in CANDIDATES.items():
        recipe = preset("paper", **overrides)
        model = build_model(ModelSettings(), recipe.seed, torch.device("cpu"))
        train(model, Mnist(fit, held_out), recipe, evaluate_each_epoch=False)
        print(f"| {name} | {evaluate(model, held_out):.4f} |", flush=True)


if __name__ == "__main__":
    main()
