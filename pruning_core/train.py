"""Training, retraining with masks held, and evaluation.

The loop is deliberately plain: the training split is already one normalized tensor on the device, so an
epoch is one fresh permutation (seeded) followed by contiguous slices - the same optimisation problem as the
reference's shuffled DataLoader (same batch size, lr, momentum), without its per-sample Python cost.

Masks stay applied: gradients of pruned weights are zeroed before the step (so momentum never accumulates
for them) and weights are multiplied by the mask after it, so a pruned weight is exactly 0.0 after every step.
Progress goes to callbacks (the CLI's progress bar, the dashboard's run record); ``should_stop`` is polled at
every batch boundary so a cancel takes effect within one step.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .data import Mnist, Split
from .errors import UserError
from .masks import Masks
from .settings import TrainSettings

EVAL_BATCH = 10_000
REPORT_EVERY = 50  # batches between "batch" progress events (live curves without flooding the listener)


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
    with torch.inference_mode():
        out = torch.cat([model(chunk).argmax(dim=1) for chunk in images.split(EVAL_BATCH)])
    model.train(was_training)
    return out


def train(model: nn.Module, data: Mnist, settings: TrainSettings, masks: Masks | None = None,
          callbacks: Sequence[Callback] = (), should_stop: Callable[[], bool] | None = None,
          evaluate_each_epoch: bool = True) -> list[float]:
    """Train ``model`` in place for ``settings.epochs`` epochs; return the test accuracy after each epoch
    (empty when ``evaluate_each_epoch`` is False). With ``masks``, pruned weights stay exactly zero."""
    images, labels = data.train.images, data.train.labels
    n, batch = len(labels), settings.batch_size
    steps_per_epoch = math.ceil(n / batch)
    total_steps = steps_per_epoch * settings.epochs
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum,
                                weight_decay=settings.weight_decay, foreach=True)
    params = dict(model.named_parameters())
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
        shuffled_x, shuffled_y = images[order], labels[order]
        for start in range(0, n, batch):
            if should_stop is not None and should_stop():
                raise Cancelled()
            if settings.lr_gamma:
                for group in optimizer.param_groups:
                    group["lr"] = settings.lr_at(step)
            loss = F.nll_loss(model(shuffled_x[start:start + batch]), shuffled_y[start:start + batch])
            optimizer.zero_grad(set_to_none=False)
            loss.backward()
            if masked:
                torch._foreach_mul_([p.grad for p in masked], mask_values)
            optimizer.step()
            if masked:
                with torch.no_grad():
                    torch._foreach_mul_(masked, mask_values)
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
