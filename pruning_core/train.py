"""Training, retraining with masks held, and evaluation.

The loop is deliberately plain: the training split is already one normalized tensor on the device, so an
epoch is one fresh permutation (seeded) cut into contiguous runs of ``batch_size`` indices - the same
optimisation problem as the reference's shuffled DataLoader (same batch size, lr, momentum), without its
per-sample Python cost. Each batch is gathered from the resident tensor when it is used (a 400 KB copy that
stays in cache) instead of materialising a shuffled 188 MB copy of the split every epoch.

Three steppers run that loop. LeNet-300-100 on the CPU takes ``fast_mlp.FastMLP`` (forward and backward written
out into preallocated buffers), or ``sparse_mlp.SparseMLP`` when retraining with masks that leave a layer below
its measured crossover share of kept weights (that layer then trains in compressed form at the cost of its
kept weights, and the dense weights are written back at every epoch's end); anything else - LeNet-5, a GPU -
takes the autograd step below, which is also the reference the fast paths are tested against
(``train(..., fast=False)`` forces it). All see the same permutation, batches, learning rates, L1
subgradient, masks and SGD update.

Masks stay applied with one fused multiply per step: gradients of pruned weights are zeroed before the step.
A pruned weight starts at exactly 0.0, so SGD's update of it (momentum buffer, weight decay and gradient all
0.0) is exactly 0.0 and it stays 0.0 without multiplying the weights again.

Training and evaluation run on ``threads`` intra-op threads, an argument; ``None`` means the calling thread's
count (``cpus.current()``: every CPU, unless a job queue runs the call inside ``cpus.threads(...)``).

Progress goes to callbacks (the CLI's progress bar, the dashboard's run record); ``should_stop`` is polled at
every batch boundary so a cancel takes effect within one step.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from . import cpus, fast_mlp, sparse_mlp
from .data import Mnist, Split
from .errors import UserError
from .masks import Masks, prunable_names
from .models import evaluating
from .settings import TrainSettings

EVAL_BATCH = 10_000
REPORT_EVERY = 50  # batches between "batch" progress events (live curves without flooding the listener)
_last_evaluation = threading.local()  # this thread's last evaluation: ((split, threads, type, device), state, accuracy)


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


def evaluate(model: nn.Module, split: Split, threads: int | None = None) -> float:
    """Top-1 accuracy of ``model`` on ``split``, 0..1.

    The same weights on the same split at the same thread count as this thread's previous evaluation give
    its result back without recomputing it (recomputing gives the same number): a prune step
    evaluates "before" exactly the model its previous step evaluated "after retraining", and in the
    dashboard's schedule that repeat was a third of the evaluation time (bench/schedule.py)."""
    with cpus.threads(threads) as count:
        state = [t.detach() for t in model.state_dict().values()]
        key = (split, count, type(model), state[0].device if state else None)
        last = getattr(_last_evaluation, "entry", None)
        if (last is not None and last[0][0] is split and last[0][1:] == key[1:] and len(last[1]) == len(state)
                and all(torch.equal(a, b) for a, b in zip(last[1], state))):
            return last[2]
        accuracy = int(predict(model, split.images).eq(split.labels).sum()) / len(split)
        _last_evaluation.entry = (key, [t.clone() for t in state], accuracy)
        return accuracy


def predict(model: nn.Module, images: torch.Tensor, threads: int | None = None) -> torch.Tensor:
    """Predicted class for every row of ``images`` (evaluated in large batches, no autograd)."""
    with evaluating(model), cpus.threads(threads):
        return torch.cat([model(chunk).argmax(dim=1) for chunk in images.split(EVAL_BATCH)])


def train(model: nn.Module, data: Mnist, settings: TrainSettings, masks: Masks | None = None,
          callbacks: Sequence[Callback] = (), should_stop: Callable[[], bool] | None = None,
          evaluate_each_epoch: bool = True, threads: int | None = None, fast: bool = True,
          sparse: bool | None = None) -> list[float]:
    """Train ``model`` in place for ``settings.epochs`` epochs; return the test accuracy after each epoch
    (empty when ``evaluate_each_epoch`` is False). With ``masks``, pruned weights stay exactly zero.
    ``fast=False`` takes the autograd step even where the fast path applies (tests and bench compare them);
    ``sparse`` picks the MLP's compressed layers: None by the measured crossover, True every pruned layer,
    False none (``sparse_mlp.sparse_layers``)."""
    with cpus.threads(threads) as count:
        if masks:
            masks.apply_(model)
        model.train()
        images, labels = data.train.images, data.train.labels
        stepper: Stepper
        if fast and fast_mlp.supports(model) and images.device.type == "cpu":
            layers = sparse_mlp.sparse_layers(model, masks, count, sparse)
            stepper = (sparse_mlp.SparseMLP(model, images, labels, settings, masks, layers) if any(layers)
                       else fast_mlp.FastMLP(model, images, labels, settings, masks))
        else:
            stepper = AutogradStep(model, images, labels, settings, masks)
        try:
            return _loop(stepper, model, data, settings, callbacks, should_stop, evaluate_each_epoch)
        finally:  # a cancelled or diverged call leaves the model at its last finished step
            stepper.sync_model()


class Stepper(Protocol):
    """One SGD step on the training rows ``rows`` at learning rate ``lr``, adding its mean loss to ``loss_sum``."""

    def step(self, rows: torch.Tensor, lr: float, loss_sum: torch.Tensor) -> None: ...

    def sync_model(self) -> None:
        """Write the step's own copy of the weights, if it keeps one, into the model's parameters."""


class AutogradStep:
    """The reference step: the model's forward, autograd's backward, ``torch.optim.SGD(fused=True)``."""

    def __init__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, settings: TrainSettings,
                 masks: Masks | None = None) -> None:
        self.model, self.images, self.labels, self.l1 = model, images, labels, settings.l1
        # fused: one kernel per parameter for the whole momentum update (bench/epoch.py measured it against
        # foreach; the weights come out bit for bit the same for the seed preset).
        self.optimizer = torch.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum,
                                         weight_decay=settings.weight_decay, fused=True)
        params = dict(model.named_parameters())
        self.matrices = [params[name] for name in prunable_names(model)] if settings.l1 else []
        self.masked = [params[name] for name in masks] if masks else []
        self.mask_values = ([m.to(device=p.device, dtype=p.dtype) for m, p in zip(masks.values(), self.masked)]
                            if masks else [])

    def step(self, rows: torch.Tensor, lr: float, loss_sum: torch.Tensor) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        loss = F.nll_loss(self.model(self.images.index_select(0, rows)), self.labels.index_select(0, rows))
        # None, not zeros: backward then stores each new gradient instead of adding it to a zeroed one.
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.matrices:  # L1 on the weight matrices: add its subgradient l1*sign(w) (0 at w = 0: dead stay dead)
            torch._foreach_add_([p.grad for p in self.matrices], torch._foreach_sign(self.matrices), alpha=self.l1)
        if self.masked:
            torch._foreach_mul_([p.grad for p in self.masked], self.mask_values)
        self.optimizer.step()
        loss_sum += loss.detach()

    def sync_model(self) -> None:
        """Nothing to write: the optimizer updates the model's parameters in place."""


def _loop(stepper: Stepper, model: nn.Module, data: Mnist, settings: TrainSettings,
          callbacks: Sequence[Callback], should_stop: Callable[[], bool] | None,
          evaluate_each_epoch: bool) -> list[float]:
    images = data.train.images
    n, batch = len(images), settings.batch_size
    steps_per_epoch = math.ceil(n / batch)
    total_steps = steps_per_epoch * settings.epochs
    generator = torch.Generator().manual_seed(settings.seed)
    started, step, accuracies = time.perf_counter(), 0, []
    # Loss sums stay on the device: reading them back every step would force a sync per batch.
    window_loss, epoch_loss, window = torch.zeros((), device=images.device), torch.zeros((), device=images.device), 0
    for epoch in range(1, settings.epochs + 1):
        order = torch.randperm(n, generator=generator).to(images.device)
        for rows in order.split(batch):
            if should_stop is not None and should_stop():
                raise Cancelled()
            stepper.step(rows, settings.lr_at(step), window_loss)
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
        stepper.sync_model()  # the evaluation and the listeners see this epoch's weights
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
