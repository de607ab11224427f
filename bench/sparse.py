"""Retraining cost against the share of weights kept: the dense masked path, the sparse path and the sgemm floor.

* cost vs weights kept - one retraining epoch (seed recipe, ``train.train`` with the masks, no evaluation) of
  the shipped baseline pruned globally to 0, 50, 90, 95, 98 and 99 %, at 1 thread and at every CPU, on three
  paths: dense (``sparse=False``: ``fast_mlp.FastMLP`` with masks), every pruned layer compressed
  (``sparse=True``) and the automatic choice (``sparse=None``: compressed below the measured crossover, what
  the dashboard and the CLI take). Each is shown as a ratio to the dense sgemm-floor epoch
  (``bench.epoch.floor_case``) at the same thread count, timed in the same interleaved run.
* ``--calibrate`` - the crossover table ``sparse_mlp`` reads: for each LeNet-300-100 layer shape and thread
  count, one layer's share of a training step (forward, input gradient unless first, weight gradient, update;
  batch 128, random masks) dense and compressed at a grid of kept shares, interleaved, fastest of the
  repeats; the crossover is where compressed / dense reaches 1 (linear between grid points). Written to ``sparse_mlp.CROSSOVER_FILE`` with
  the command, the date, the machine and every median.

Run: ``python -m bench.sparse [--quick] [--threads N ...] [--calibrate]`` (``python -m bench`` runs the table).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from bench.epoch import floor_case
from bench.timing import Case, goal_line, goals_table, interleaved, machine, medians, seconds_table
from pruning_core import checkpoint, cpus, sparse_mlp, train as engine
from pruning_core.data import load_mnist
from pruning_core.prune import compute_masks
from pruning_core.settings import PruneSettings, preset

PERCENTS = (0, 50, 90, 95, 98, 99)
PATHS = {"dense": False, "sparse, every pruned layer": True, "auto (crossover)": None}
GOALS = {95: 0.6, 99: 0.35}  # retraining epoch / dense sgemm floor
RECIPE = preset("seed", epochs=1)
SHARES = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
STEPS_PER_SAMPLE = 30


def pruned_baseline(percent: float) -> checkpoint.Checkpoint:
    """The shipped baseline pruned globally to ``percent`` % (no retraining), masks applied."""
    start = checkpoint.load("baseline")
    if percent:
        weights = dict(start.model.named_parameters())
        start.masks = compute_masks({n: weights[n] for n in start.masks}, start.masks, PruneSettings(percent)).masks
        start.masks.apply_(start.model)
    return start


def retrain_case(percent: float, threads: int, sparse: bool | None) -> Case:
    data, pruned = load_mnist("cpu"), pruned_baseline(percent)

    def run() -> float:
        model = pruned.copy().model  # copied outside the timed region
        started = time.perf_counter()
        engine.train(model, data, RECIPE, pruned.masks, evaluate_each_epoch=False, threads=threads, sparse=sparse)
        return time.perf_counter() - started
    return run


def main(repeats: int, threads: list[int] | None = None) -> None:
    """Print the cost-vs-weights-kept table, its ratios and the goals, at ``threads`` (default: 1 and every
    CPU)."""
    counts = sorted(set(threads or {1, cpus.AVAILABLE}))
    cases: dict[str, Case] = {f"sgemm floor epoch, {n} thread(s)": floor_case(n) for n in counts}
    for percent in PERCENTS:
        for n in counts:
            for path, sparse in PATHS.items():
                if percent or sparse is not True:  # nothing is pruned at 0 %: "every pruned layer" is dense
                    cases[f"{percent} % pruned, {path}, {n} thread(s)"] = retrain_case(percent, n, sparse)
    for case in cases.values():
        case()  # warm-up
    med = medians(samples := interleaved(cases, repeats))
    print(f"## cost vs weights kept (retraining epoch, seed recipe, batch {RECIPE.batch_size}; baseline pruned "
          "globally)\n")
    print(seconds_table(samples))
    print("\nretraining epoch / dense sgemm-floor epoch at the same thread count (one interleaved run):\n")
    header = " | ".join(f"{path}, {n} thr" for n in counts for path in PATHS)
    print(f"| pruned | kept fc1 / fc2 / fc3 | layers compressed (auto), {' / '.join(map(str, counts))} thr | "
          f"{header} |")
    print("|---" * (3 + len(counts) * len(PATHS)) + "|")
    lines = []
    for percent in PERCENTS:
        pruned = pruned_baseline(percent)
        kept = " / ".join(f"{100 * float(m.float().mean()):.1f} %" for m in pruned.masks.values())
        chosen = " / ".join(",".join(name for name, on in zip(sparse_mlp.LAYERS, sparse_mlp.sparse_layers(
            pruned.model, pruned.masks, n)) if on) or "none" for n in counts)
        ratios = []
        for n in counts:
            floor = med[f"sgemm floor epoch, {n} thread(s)"]
            for path in PATHS:
                name = f"{percent} % pruned, {path}, {n} thread(s)"
                ratios.append(f"{med[name] / floor:.2f}x" if name in med else "(= dense)")
                if path.startswith("auto") and percent in GOALS:
                    lines.append(goal_line(f"retraining epoch at {percent} % / sgemm floor, {n} thread(s)",
                                           med[name] / floor, GOALS[percent], "x",
                                           why=f"dense path {med[name.replace(path, 'dense')] / floor:.2f}x"))
        print(f"| {percent} % | {kept} | {chosen} | {' | '.join(ratios)} |")
    print()
    print(goals_table(lines))


def layer_case(shape: tuple[int, int], share: float, first: bool, sparse: bool, threads: int) -> Case:
    """``STEPS_PER_SAMPLE`` steps of one layer's work, dense or compressed, at a random mask keeping ``share``."""
    outputs, inputs = shape
    rows, generator = RECIPE.batch_size, torch.Generator().manual_seed(0)
    layer = torch.nn.Linear(inputs, outputs)
    mask = torch.rand(shape, generator=generator) < share
    with torch.no_grad():
        layer.weight.mul_(mask)
    settings = preset("paper")  # weight decay on: the update pays its pass
    trained = (sparse_mlp.SparseLayer(layer, mask, settings, first) if sparse
               else sparse_mlp.DenseLayer(layer, mask, settings))
    # Real numbers in every input (uninitialised memory can hold denormals, which are slow to multiply).
    batch, grad_t, inputs_t = torch.randn(rows, inputs), torch.randn(outputs, rows), torch.randn(inputs, rows)
    below_t, ones = torch.empty(inputs, rows), torch.ones(rows)
    out_t = torch.empty(outputs, rows)
    read = trained.batch_reader(batch) if sparse and first else lambda: batch.t()

    def run() -> None:
        with cpus.threads(threads):
            for _ in range(STEPS_PER_SAMPLE):
                # The first layer reads the batch: dense as gathered, compressed its used pixels transposed.
                source = read() if first else inputs_t
                trained.forward(source, out_t)
                if not first:
                    trained.input_grad(grad_t, below_t)
                trained.accumulate(grad_t, source, ones, 1.0, -1e-6)
                trained.update(settings, 1e-3, 1.0)
    return run


def calibrate(repeats: int) -> None:
    """Measure the crossover per layer shape and thread count; write ``sparse_mlp.CROSSOVER_FILE``."""
    model = checkpoint.load("baseline").model
    shapes = [tuple(getattr(model, name).weight.shape) for name in sparse_mlp.LAYERS]
    counts = sorted({1, cpus.AVAILABLE})
    cases: dict[tuple, Case] = {}
    for n in counts:
        for index, shape in enumerate(shapes):
            for share in SHARES:
                for sparse in (False, True):
                    cases[(shape, n, share, sparse)] = layer_case(shape, share, index == 0, sparse, n)
    for case in cases.values():
        case()  # warm-up
    # The fastest of the repeats, not the median: the crossover is a property of the kernels, and on a shared
    # machine the least disturbed sample is the closest to it (every case gets the same number of tries).
    fastest = {name: min(times) for name, times in
               interleaved({repr(key): case for key, case in cases.items()}, repeats).items()}
    entries = []
    for n in counts:
        for shape in shapes:
            ratios = [fastest[repr((shape, n, s, True))] / fastest[repr((shape, n, s, False))] for s in SHARES]
            entries.append({"outputs": shape[0], "inputs": shape[1], "threads": n,
                            "kept_share": round(crossing(ratios), 4),
                            "compressed_over_dense": {str(s): round(r, 3) for s, r in zip(SHARES, ratios)}})
            print(f"{shape} {n} thread(s): crossover {entries[-1]['kept_share']}; compressed/dense "
                  + ", ".join(f"{s:g}: {r:.2f}" for s, r in zip(SHARES, ratios)))
    record = {"command": f"python -m bench.sparse {' '.join(sys.argv[1:])}".rstrip(), "machine": machine(),
              "repeats": repeats, "steps_per_sample": STEPS_PER_SAMPLE, "batch": RECIPE.batch_size,
              "crossover": entries}
    sparse_mlp.CROSSOVER_FILE.write_text(json.dumps(record, indent=1) + "\n")
    print(f"written: {sparse_mlp.CROSSOVER_FILE}")


def crossing(ratios: list[float]) -> float:
    """The kept share where compressed / dense reaches 1: after the largest grid share at which compressed won
    and also won at most of the smaller shares (one disturbed sample does not end the range), linear up to the
    next grid point. 0.0 when there is no such share, the largest share when compressed wins there too."""
    wins = [index for index, ratio in enumerate(ratios)
            if ratio < 1.0 and 2 * sum(r < 1.0 for r in ratios[:index + 1]) > index + 1]
    if not wins:
        return 0.0
    last = wins[-1]
    if last == len(SHARES) - 1:
        return SHARES[last]
    (s0, r0), (s1, r1) = (SHARES[last], ratios[last]), (SHARES[last + 1], max(ratios[last + 1], 1.0))
    return s0 + (1.0 - r0) * (s1 - s0) / (r1 - r0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.sparse", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 repeats instead of 5")
    parser.add_argument("--calibrate", action="store_true", help="measure and write the crossover table instead")
    parser.add_argument("--threads", type=int, nargs="+", metavar="N",
                        help="the table at these thread counts only (default: 1 and every CPU)")
    args = parser.parse_args()
    if args.threads and (args.calibrate or min(args.threads) < 1):
        parser.error("--threads takes counts of at least 1, and not with --calibrate (the table needs them all)")
    print(f"command: python -m bench.sparse {' '.join(sys.argv[1:])}".rstrip())
    print(f"machine: {machine()}\n", flush=True)
    if args.calibrate:
        calibrate(2 if args.quick else 5)
    else:
        main(2 if args.quick else 5, args.threads)
