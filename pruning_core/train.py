"""Training, retraining with masks held, and evaluation.

The loop is deliberately plain: the training split is already one normalized tensor on the device, so an
epoch is one fresh permutation (seeded) cut into contiguous runs of ``batch_size`` indices - the same
optimisation problem as the reference's shuffled DataLoader (same batch size, lr, momentum), without its
per-sample Python cost. Each batch is gathered from the resident tensor when it is used (a 400 KB copy that
stays in cache) instead of materialising a shuffled 188 MB copy of the split every epoch.

Masks stay applied with one fused multiply per step: gradients of pruned weights are zeroed before the step.
A pruned weight starts at exactly 0.0, so SGD's update of it (momentum buffer, weight decay and gradient all
0.0) is exactly 0.0 and it stays 0.0 without multiplying the weights again.

Training and evaluation run on ``THREADS`` intra-op threads: every CPU for the CLI and library use, one fewer
in the dashboard's server (``use_threads(server_threads())``), which shares the CPUs with its web traffic;
``bench/epoch.py`` measures both side by side. The count is fixed per process, not adaptive, because a
different count changes the floating-point summation order and so the exact bits of the result.

Progress goes to callbacks (the CLI's progress bar, the dashboard's run record); ``should_stop`` is polled at
every batch boundary so a cancel takes effect within one step.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import Mnist, Split
from .errors import UserError
from .masks import Masks, prunable_names
from .settings import TrainSettings

EVAL_BATCH = 10_000
REPORT_EVERY = 50  # batches between "batch" progress events (live curves without flooding the listener)
CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
# All CPUs: on a quiet 2-CPU machine 2 threads train 1.6x faster than 1 (bench/epoch.py).
THREADS = CPUS


def server_threads() -> int:
    """Threads for a server's jobs: OpenMP threads that share their CPUs with other busy work (the web server,
    students' page runs) wait for each other at every matmul and an epoch became 5-15x slower (measured on 2
    CPUs); one CPU left free keeps training at full speed."""
    return max(1, CPUS - 1)


def use_threads(count: int) -> None:
    """Set the intra-op threads every later training and evaluation in this process uses."""
    global THREADS
    THREADS = max(1, int(count))


@dataclass(frozen=True)
class Progress:
    """One progress event. ``kind`` is "batch" (loss only) or "epoch" (with test accuracy)."""

    kind: str
    epoch: int           # 1-based epoch the event belongs to
    epochs: int
    step: int            # optimizer steps done so far in this call
    total_steps: int
    loss: float          # mean training loss since the previous event
    lr: float
    accuracy: float | None = None
    seconds: float = 0.0  # since the start of this call

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0


Callback = Callable[[Progress], None]


class Cancelled(Exception):
    """Raised inside training when ``should_stop()`` turned true; the model keeps its last finished step."""


class Diverged(UserError):
    """The training loss became NaN or infinite (for instance: a learning rate far too large)."""


def evaluate(model: nn.Module, split: Split) -> float:
    """Top-1 accuracy of ``model`` on ``split``, 0..1."""
    return int(predict(model, split.images).eq(split.labels).sum()) / len(split)


def predict(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Predicted class for every row of ``images`` (evaluated in large batches, no autograd)."""
    was_training = model.training
    model.eval()
    with torch.inference_mode(), threads(THREADS):
        out = torch.cat([model(chunk).argmax(dim=1) for chunk in images.split(EVAL_BATCH)])
    model.train(was_training)
    return out


def train(model: nn.Module, data: Mnist, settings: TrainSettings, masks: Masks | None = None,
          callbacks: Sequence[Callback] = (), should_stop: Callable[[], bool] | None = None,
          evaluate_each_epoch: bool = True) -> list[float]:
    """Train ``model`` in place for ``settings.epochs`` epochs; return the test accuracy after each epoch
    (empty when ``evaluate_each_epoch`` is False). With ``masks``, pruned weights stay exactly zero."""
    with threads(THREADS):
        return _train(model, data, settings, masks, callbacks, should_stop, evaluate_each_epoch)


@contextlib.contextmanager
def threads(count: int) -> Iterator[None]:
    """Run the block with ``count`` intra-op threads in the calling thread, then restore the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _train(model: nn.Module, data: Mnist, settings: TrainSettings, masks: Masks | None,
           callbacks: Sequence[Callback], should_stop: Callable[[], bool] | None,
           evaluate_each_epoch: bool) -> list[float]:
    images, labels = data.train.images, data.train.labels
    n, batch = len(labels), settings.batch_size
    steps_per_epoch = math.ceil(n / batch)
    total_steps = steps_per_epoch * settings.epochs
    # fused: one kernel per parameter for the whole momentum update (bench/epoch.py measured it against
    # foreach; the weights come out bit for bit the same for the seed preset).
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum,
                                weight_decay=settings.weight_decay, fused=True)
    params = dict(model.named_parameters())
    matrices = [params[name] for name in prunable_names(model)] if settings.l1 else []
    masked = [params[name] for name in masks] if masks else []
    mask_values = [m.to(device=p.device, dtype=p.dtype) for m, p in zip(masks.values(), masked)] if masks else []
    if masks:
        masks.apply_(model)
    generator = torch.Generator().manual_seed(settings.seed)
    started, step, accuracies = time.perf_counter(), 0, []
    # Loss sums stay on the device: reading them back every step would force a sync per batch.
    window_loss, epoch_loss, window = torch.zeros((), device=images.device), torch.zeros((), device=images.device), 0
    model.train()
    for epoch in range(1, settings.epochs + 1):
        order = torch.randperm(n, generator=generator).to(images.device)
        for start in range(0, n, batch):
            if should_stop is not None and should_stop():
                raise Cancelled()
            if settings.lr_gamma:
                for group in optimizer.param_groups:
                    group["lr"] = settings.lr_at(step)
            rows = order[start:start + batch]
            loss = F.nll_loss(model(images.index_select(0, rows)), labels.index_select(0, rows))
            # None, not zeros: backward then stores each new gradient instead of adding it to a zeroed one.
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if matrices:  # L1 on the weight matrices: add its subgradient l1*sign(w) (0 at w = 0, so dead stay dead)
                torch._foreach_add_([p.grad for p in matrices], torch._foreach_sign(matrices), alpha=settings.l1)
            if masked:
                torch._foreach_mul_([p.grad for p in masked], mask_values)
            optimizer.step()
            window_loss += loss.detach()
            step, window = step + 1, window + 1
            if window == REPORT_EVERY and callbacks:
                epoch_loss += window_loss
                _emit(callbacks, Progress("batch", epoch, settings.epochs, step, total_steps,
                                          _mean_loss(window_loss, window), settings.lr_at(step - 1),
                                          seconds=time.perf_counter() - started))
                window_loss.zero_()
                window = 0
        epoch_loss += window_loss
        window_loss.zero_()
        window = 0
        loss_value = _mean_loss(epoch_loss, steps_per_epoch)
        epoch_loss.zero_()
        accuracy = evaluate(model, data.test) if evaluate_each_epoch else None
        if accuracy is not None:
            accuracies.append(accuracy)
        _emit(callbacks, Progress("epoch", epoch, settings.epochs, step, total_steps, loss_value,
                                  settings.lr_at(step - 1), accuracy, time.perf_counter() - started))
    return accuracies


def _mean_loss(running: torch.Tensor, count: int) -> float:
    value = float(running) / count
    if not math.isfinite(value):
        raise Diverged("training diverged (the loss became NaN or infinite); try a smaller learning rate")
    return value


def _emit(callbacks: Sequence[Callback], event: Progress) -> None:
    for callback in callbacks:
        callback(event)
