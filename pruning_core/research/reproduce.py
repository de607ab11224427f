"""The runs behind docs/reproduction.md sections 1 and 4: the reference blog and the paper's other tools.

Each function does real training and pruning through the same engine verbs the CLI and dashboard use and
returns plain data. ``ReportPlan`` holds every knob; ``QUICK`` shrinks them so the whole pipeline can be
tested in seconds. Han et al.'s headline points (paper-92, paper-98, paper-68x, LeNet-5) are chosen on a
validation split and run over several seeds in ``protocol.py``, not here.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import torch

from .. import analyze, checkpoint, lab
from ..checkpoint import Checkpoint
from ..settings import REFERENCE_PERCENTS, ModelSettings, PruneSettings, preset
from .studies import agp_percents, lottery_rewind, sensitivity
from ..surgery import shrink


@dataclass(frozen=True)
class ReportPlan:
    quick: bool = False
    seed_retrain_epochs: int = 20          # the reference retrains 20 epochs after every prune
    repeat_99: int = 3                     # extra rounds at 99 % after the reference's list
    sensitivity_percents: tuple[float, ...] = (0, 50, 80, 90, 95, 98, 99, 99.5)
    method_percents: tuple[float, ...] = (80, 90, 95, 98)
    method_epochs: int = 4                 # retraining per step (Han, AGP) and training of lottery tickets
    timing_repeats: int = 50
    regularisation_epochs: int = 30        # the L1 model's training (the L2 one is baseline-paper: 30 epochs)
    regularisation_percents: tuple[float, ...] = (50, 80, 90, 95)
    regularisation_retrain_epochs: int = 2
    protocol: str = "full"                 # "quick": protocol.quick() (seconds, nothing stored or shipped)


QUICK = ReportPlan(quick=True, seed_retrain_epochs=0, repeat_99=1, sensitivity_percents=(0, 90), method_percents=(90, 95),
                   method_epochs=0, timing_repeats=3, regularisation_epochs=0, regularisation_percents=(90,),
                   regularisation_retrain_epochs=0, protocol="quick")
# L1 strength matched to the paper preset's L2 (weight decay 5e-4): for a typical weight |w| ~ 0.03 both pull
# with about the same force (5e-4 * 0.03 = 1.5e-5), so the comparison is of the penalty's shape, not its size.
L1_STRENGTH = 1.5e-5

PROBE_DIGIT_INDEX = 4  # test image 4 is a "4": the image the reference counts active neurons on


def reference_schedule(plan: ReportPlan) -> dict:
    """The reference blog's schedule on the seed baseline: thresholds, accuracies, what survives at 99 %."""
    start = checkpoint.load("baseline")
    percents = list(REFERENCE_PERCENTS) + [99.0] * plan.repeat_99
    final = start
    for final in lab.schedule(start, percents, "global", plan.seed_retrain_epochs):
        pass
    test = lab.mnist_for(final).test
    probe = analyze.inspect_pixels(final, test.pixels[PROBE_DIGIT_INDEX], bias_free=True)
    dense_probe = analyze.inspect_pixels(start, test.pixels[PROBE_DIGIT_INDEX], bias_free=True)
    return {"rows": lab.step_table(final.history), "baseline_accuracy": start.accuracy,
            "final_nonzero": lab.layer_counts(final), "probe": _probe(probe), "dense_probe": _probe(dense_probe)}


def _probe(seen: dict) -> dict:
    return {k: seen[k] for k in ("active", "active_bias_free", "prediction", "nonzero_pixels")}


def layer_sensitivity(plan: ReportPlan) -> dict:
    return {"percents": list(plan.sensitivity_percents),
            "curves": sensitivity(checkpoint.load("baseline-paper"), plan.sensitivity_percents)}


def pruning_methods(plan: ReportPlan) -> dict:
    """Han's iterative prune+retrain vs a gradual cubic (AGP) schedule vs lottery-ticket rewinding, from the
    paper baseline, with the same retraining budget per step."""
    start = checkpoint.load("baseline-paper")
    han = list(lab.schedule(start, plan.method_percents, "global", plan.method_epochs))
    steps = len(plan.method_percents) * 2
    agp = list(lab.schedule(start, agp_percents(plan.method_percents[-1], steps), "global",
                            max(plan.method_epochs // 2, 0)))
    lottery = [lottery_rewind(ckpt, epochs=plan.method_epochs * len(plan.method_percents)) for ckpt in han]
    return {"han": [_point(c) for c in han], "agp": [_point(c) for c in agp],
            "lottery": [_point(c) for c in lottery], "epochs_per_step": plan.method_epochs}


def _point(ckpt: Checkpoint) -> dict:
    return {"sparsity": ckpt.masks.sparsity(), "accuracy": ckpt.accuracy}


def regularisation(plan: ReportPlan) -> dict:
    """Han et al.: L1 beats L2 right after pruning, L2 beats L1 after retraining. One-shot prunes of an L2
    model (baseline-paper) and an L1 model trained the same way, each percent from the dense model."""
    l2 = checkpoint.load("baseline-paper")
    l1 = lab.train_baseline(preset("paper", epochs=plan.regularisation_epochs, weight_decay=0.0, l1=L1_STRENGTH),
                            ModelSettings(), "cpu")
    result = {"l1_strength": L1_STRENGTH, "dense": {"L2": l2.accuracy, "L1": l1.accuracy}, "points": {}}
    for name, start in (("L2", l2), ("L1", l1)):
        steps = [lab.prune_step(start, PruneSettings(p), plan.regularisation_retrain_epochs).history[-1]
                 for p in plan.regularisation_percents]
        result["points"][name] = [{k: getattr(step, k) for k in ("percent", "accuracy_after_prune", "accuracy_after_retrain")}
                                  for step in steps]
    return result


def inference_timing(model_at_sparsity: Checkpoint, repeats: int) -> dict:
    """Median seconds for one forward pass: dense, sparse CSR matrices, and the shrunk dense model."""
    dense = lab.to_device(model_at_sparsity, "cpu")
    shrunk, _ = shrink(dense)
    with warnings.catch_warnings():  # "sparse CSR support is in beta": known, and the results are checked below
        warnings.simplefilter("ignore")
        layers = [(dense.model.get_submodule(n).weight.detach().to_sparse_csr(),
                   dense.model.get_submodule(n).bias.detach()) for n in ("fc1", "fc2", "fc3")]

    def csr_forward(x: torch.Tensor) -> torch.Tensor:
        for index, (weight, bias) in enumerate(layers):
            x = (weight @ x.T).T + bias
            x = torch.relu(x) if index < 2 else x
        return x

    images = lab.mnist_for(dense).test.images
    result = {}
    for batch in (1, 1000):
        x = images[:batch]
        with torch.inference_mode():
            torch.testing.assert_close(csr_forward(x), dense.model.fc3(dense.model.hidden(x)[1]))
            result[batch] = {"dense": _median_seconds(lambda: dense.model(x), repeats),
                             "csr": _median_seconds(lambda: csr_forward(x), repeats),
                             "shrunk": _median_seconds(lambda: shrunk.model(x), repeats)}
    return {"sparsity": dense.masks.sparsity(), "threads": torch.get_num_threads(), "seconds": result}


def _median_seconds(call, repeats: int) -> float:
    times = []
    with torch.inference_mode():
        call()  # warm-up
        for _ in range(repeats):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]
