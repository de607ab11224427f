"""One seed-preset training epoch: the reference pipeline vs the engine vs the matmul-bound floor.

* reference - ``torchvision.datasets.MNIST`` with ``ToTensor()`` + ``Normalize`` per sample and
  ``DataLoader(batch_size=128, shuffle=True, num_workers=0)``, the blog's plain SGD step. To keep the run
  short it times the first ``REFERENCE_BATCHES`` batches and scales to a full epoch (469 batches).
* engine - ``pruning_core.train.train`` for one epoch (no evaluation) on its fast MLP path, at 1 thread and at
  every CPU (the CLI's setting); ``cpus.server_threads()`` is one of them. The autograd step it replaced
  (``fast=False``) runs at every CPU next to it.
* server threads - the fast epoch at 1 and at 2 threads while another process keeps one CPU busy (as the
  web server and students' page runs do): the measurement behind ``cpus.server_threads()``.
* floor - only the eight matmuls an epoch cannot avoid (3 forward, 3 weight gradients, 2 input gradients;
  the images need none), batch by batch into preallocated outputs: the machine's sgemm speed at exactly
  these shapes, measured at both thread counts; the faster one is the floor. The momentum-SGD floor adds
  the optimizer's unavoidable passes (the velocity read in the weight-gradient product, ``W += v``), so the
  table also shows how much of the gap to the sgemm floor any momentum-SGD step must pay. It accumulates
  with a coefficient of 1 on the velocity, as the engine does (``fast_mlp.FastMLP`` keeps it scaled); the
  "plain buffer update" variant multiplies it by the momentum inside the GEMM (``beta=0.9``), the form the
  engine had before, to show what that coefficient costs.
* evaluation - ``evaluate`` on the 10k test set.

All cases run interleaved in this process (see ``bench.timing``), so they share the same load.
"""
from __future__ import annotations

import contextlib
import itertools
import subprocess
import sys
import time
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torchvision import datasets, transforms

from bench.timing import Case, goal_line, goals_table, interleaved, medians, seconds_table
from pruning_core import cpus, train as engine
from pruning_core.data import load_mnist, prepare_embedded
from pruning_core.models import build_model
from pruning_core.settings import MNIST_MEAN, MNIST_STD, ModelSettings, preset

REFERENCE_BATCHES = 100
RECIPE = preset("seed", epochs=1)
SHAPES = (784, 300, 100, 10)
# Multiply-adds per training row that the floor times: forward + weight gradients of every layer, input
# gradients of fc2 and fc3 only. The issue's round "90 GFLOP" counts 2x forward for the backward instead.
FLOP_PER_ROW = 2 * (2 * sum(a * b for a, b in zip(SHAPES, SHAPES[1:])) + 300 * 100 + 100 * 10)
ISSUE_EPOCH_FLOP = 90e9


def fresh_model() -> torch.nn.Module:
    return build_model(ModelSettings(), RECIPE.seed, torch.device("cpu"))


def reference_case(threads: int) -> Case:
    """The reference's loader and step; returns the time of ``REFERENCE_BATCHES`` batches scaled to 469."""
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    dataset = datasets.MNIST(str(prepare_embedded()), train=True, download=False, transform=transform)
    loader = torch.utils.data.DataLoader(dataset, batch_size=RECIPE.batch_size, shuffle=True, num_workers=0)

    def run() -> float:
        model = fresh_model()
        optimizer = torch.optim.SGD(model.parameters(), lr=RECIPE.lr, momentum=RECIPE.momentum)
        with cpus.threads(threads):
            started = time.perf_counter()
            for x, y in itertools.islice(loader, REFERENCE_BATCHES):
                optimizer.zero_grad()
                F.nll_loss(model(x.view(-1, 784)), y).backward()
                optimizer.step()
            elapsed = time.perf_counter() - started
        return elapsed * len(loader) / REFERENCE_BATCHES
    return run


def engine_case(threads: int, fast: bool = True, busy: bool = False) -> Case:
    data = load_mnist("cpu")

    def run() -> float:
        model = fresh_model()  # built outside the timed region
        with one_cpu_busy() if busy else contextlib.nullcontext():
            started = time.perf_counter()
            engine.train(model, data, RECIPE, evaluate_each_epoch=False, threads=threads, fast=fast)
            return time.perf_counter() - started
    return run


@contextlib.contextmanager
def one_cpu_busy() -> Iterator[None]:
    """Another process spinning on one CPU for the duration of the block (a stand-in for the web server)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # let it get scheduled before the timed work starts
        yield
    finally:
        spinner.kill()
        spinner.wait()


def floor_case(threads: int, momentum_sgd: str = "") -> Case:
    """The eight matmuls of an epoch; with ``momentum_sgd`` also the memory traffic no momentum-SGD step can
    skip: the weight-gradient products accumulate into a velocity (read and written) and every weight
    matrix moves by it (``W += v``: read two, write one). That is the floor of *any* implementation of the
    recipe; the plain sgemm floor (the issue's yardstick) leaves the optimizer's passes out.
    ``momentum_sgd="scaled"`` accumulates with coefficient 1 (the engine's form), ``"plain"`` with 0.9."""
    rows = len(load_mnist("cpu").train)
    full, rest = divmod(rows, RECIPE.batch_size)
    sizes = [RECIPE.batch_size] * full + ([rest] if rest else [])
    weights = [torch.randn(o, i) for i, o in zip(SHAPES, SHAPES[1:])]
    weight_grads = [torch.zeros_like(w) for w in weights]
    # Stand-ins for the input, hidden and output rows of a batch (and their gradients), allocated up front.
    acts = {b: [torch.randn(b, n) for n in SHAPES] for b in set(sizes)}
    outs = {b: [torch.empty(b, n) for n in SHAPES] for b in set(sizes)}
    keep = {"scaled": 1.0, "plain": 0.9}.get(momentum_sgd)

    def run() -> None:
        with cpus.threads(threads):
            for b in sizes:
                for layer, w in enumerate(weights):
                    torch.mm(acts[b][layer], w.T, out=outs[b][layer + 1])                 # forward
                    if keep is not None:  # dL/dW into the velocity, then the step (tiny alpha: values stay finite)
                        torch.addmm(weight_grads[layer], acts[b][layer + 1].T, acts[b][layer], beta=keep,
                                    alpha=-1e-9, out=weight_grads[layer])
                        w.add_(weight_grads[layer], alpha=1e-3)
                    else:
                        torch.mm(acts[b][layer + 1].T, acts[b][layer], out=weight_grads[layer])  # dL/dW
                    if layer:
                        torch.mm(acts[b][layer + 1], w, out=outs[b][layer])              # dL/d(input)
    return run


def evaluate_case(threads: int | None = None) -> Case:
    """One evaluation computed in full: ``evaluate`` would answer a repeat of the same weights from its
    memo, so this times what it computes on a miss (predict + compare)."""
    data, model = load_mnist("cpu"), fresh_model()

    def run() -> None:  # returns None: the accuracy must not be read as seconds
        int(engine.predict(model, data.test.images, threads).eq(data.test.labels).sum())
    return run


def main(repeats: int) -> None:
    """Print the epoch table, the ratios and the goals."""
    counts = sorted({1, cpus.AVAILABLE})  # one thread and the CLI's every CPU (the server's count is one)
    every = cpus.AVAILABLE
    # The reference as written runs at torch's default thread count; a second copy gets the engine's count,
    # so the speed-up is also shown with the thread choice taken out of it.
    scaled = f"{REFERENCE_BATCHES} batches x 469/{REFERENCE_BATCHES}"
    as_written = f"reference as written ({torch.get_num_threads()} threads, {scaled})"
    same_threads = f"reference at the engine's {every} thread(s) ({scaled})"
    autograd = f"autograd step (fast=False), {every} thread(s)"
    cases: dict[str, Case] = {as_written: reference_case(torch.get_num_threads()), same_threads: reference_case(every),
                              autograd: engine_case(every, fast=False)}
    cases.update({f"engine epoch, {n} thread(s)": engine_case(n) for n in counts})
    cases.update({f"sgemm floor epoch, {n} thread(s)": floor_case(n) for n in counts})
    cases.update({f"momentum-SGD floor epoch, {n} thread(s)": floor_case(n, "scaled") for n in counts})
    cases.update({f"momentum-SGD floor epoch, plain buffer update, {n} thread(s)": floor_case(n, "plain")
                  for n in counts})
    busy = {n: f"engine epoch, {n} thread(s), another process busy on one CPU" for n in (1, 2) if n <= every}
    cases.update({name: engine_case(n, busy=True) for n, name in busy.items()} if every > 1 else {})
    cases["evaluate 10k test images"] = evaluate_case()
    for case in cases.values():
        case()  # warm-up: first-touch allocation, MKL kernel selection, the dataset's first decode
    samples = interleaved(cases, repeats)
    med = medians(samples)
    reference = med[as_written]
    ours = med[f"engine epoch, {every} thread(s)"]
    floors = {n: med[f"sgemm floor epoch, {n} thread(s)"] for n in counts}
    floor = min(floors.values())
    gflops = FLOP_PER_ROW * len(load_mnist("cpu").train) / floor / 1e9
    steps = len(range(0, len(load_mnist("cpu").train), RECIPE.batch_size))
    print(f"## epoch (seed preset: batch {RECIPE.batch_size}, lr {RECIPE.lr}, momentum {RECIPE.momentum})\n")
    print(seconds_table(samples))
    print(f"\nfloor = faster sgemm-only epoch = {floor:.3f} s ({gflops:.0f} GFLOP/s at the layer shapes; the "
          f"issue's 90 GFLOP convention would put the floor at {ISSUE_EPOCH_FLOP / gflops / 1e9:.3f} s)")
    print(f"autograd step / fast path at {every} thread(s): {med[autograd] / ours:.2f}x")
    for n in counts:  # what is left once the optimizer's unavoidable passes over weights and velocity count
        sgd_floor = med[f"momentum-SGD floor epoch, {n} thread(s)"]
        plain = med[f"momentum-SGD floor epoch, plain buffer update, {n} thread(s)"]
        print(f"{n} thread(s): engine / momentum-SGD floor = {med[f'engine epoch, {n} thread(s)'] / sgd_floor:.2f}x; "
              f"momentum-SGD floor / sgemm floor = {sgd_floor / floors[n]:.2f}x; "
              f"plain buffer update / scaled = {plain / sgd_floor:.2f}x")
    if every > 1:
        one, two = busy[1], busy[2]
        print(f"server threads, one CPU busy elsewhere: 2 threads / 1 thread = {med[two] / med[one]:.2f}x "
              f"(no spinner: {med[f'engine epoch, {every} thread(s)'] / med['engine epoch, 1 thread(s)']:.2f}x); "
              f"cpus.server_threads() = {cpus.server_threads()}")
    print()
    lines = [goal_line(f"engine epoch / sgemm floor, {n} thread(s)", med[f"engine epoch, {n} thread(s)"] / floors[n],
                       1.2, "x", why=f"{(med[f'engine epoch, {n} thread(s)'] - floors[n]) / steps * 1e3:.2f} ms per "
                       "step outside the matmuls (batch gather, parameter update, softmax, ReLU masks, dispatch)")
             for n in counts]
    lines += [
        goal_line("speed-up over the reference as written", reference / ours, 12, "x", True,
                  why=f"12x would need a {reference / 12:.2f} s epoch (sgemm floor {floor:.2f} s)"),
        goal_line("evaluate 10k test set", med["evaluate 10k test images"], 0.15, "s",
                  why="one 10k x 784 x 300 matmul at the measured sgemm speed is most of it")]
    print(goals_table(lines))
