"""Retraining a pruned LeNet-300-100 at the cost of the weights it keeps: the compressed step ``train.train``
takes when a layer keeps less than its measured crossover share.

A layer kept sparse trains in compressed (CSR) form: the forward pass is a sparse-dense product
(``addmm`` of the CSR weight and the layer's input), its weight gradient is computed only at the kept
positions (``torch.sparse.sampled_addmm``, accumulated straight into the velocity, which has the weight's
sparsity pattern), weight decay, L1 and momentum act on the kept values only, and the gradient to the layer
below comes from a second CSR holding the transposed weight. No dense gradient, velocity or mask multiply
exists for such a layer. Pruned weights are not stored, so they stay exactly 0.0.

Sparse products want the activations feature-major, (features, rows), so this step keeps them all that way
(``fast_mlp.allocate(feature_major=True)``); layers left dense run the same products transposed. Otherwise it
is ``FastMLP``'s step (velocity scaling, loss, dropout draws, update); ``tests/engine/test_sparse_mlp.py`` checks it.

The model's dense weights are written back (``sync_model``) at the end of every epoch, before its evaluation,
and whenever training stops: files, masks and the UI see the same dense state_dict as before.

Which layers go sparse: ``CROSSOVER_FILE``, a table of measured crossover shares per layer shape and thread
count, written by ``python -m bench.sparse --calibrate`` (the command, date and timings are in the file). A
stored table rather than a measurement at first use: the choice of path changes the float32 rounding, so it
must not depend on how busy the machine was when a job started, and a classroom server is rarely quiet.
"""
from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Callable

import torch

from . import paths
from .fast_mlp import (Buffers, allocate, dropout_, loss_backward, momentum_coefficients, move,
                       relu_dropout_backward)
from .masks import Masks
from .models import LeNet300100
from .settings import TrainSettings

CROSSOVER_FILE = paths.ASSETS_DIR / "sparse_crossover.json"
LAYERS = ("fc1", "fc2", "fc3")
# torch warns once that its CSR support is "beta"; the kernels used here are checked by tests/engine/test_sparse_mlp.py.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta", category=UserWarning)


@functools.cache
def crossover_table() -> dict[tuple[int, int, int], float]:
    """``(inputs, outputs, threads) -> kept share`` below which a layer of that shape trains faster sparse."""
    if not CROSSOVER_FILE.exists():
        return {}
    entries = json.loads(CROSSOVER_FILE.read_text())["crossover"]
    return {(e["inputs"], e["outputs"], e["threads"]): float(e["kept_share"]) for e in entries}


def crossover(shape: tuple[int, int], threads: int) -> float:
    """The measured crossover share of a weight of ``shape`` (outputs, inputs) at ``threads`` threads: that of
    the largest measured thread count not above ``threads``; 0.0 (always dense) for a shape never measured."""
    outputs, inputs = shape
    measured = [(n, share) for (i, o, n), share in crossover_table().items() if (i, o) == (inputs, outputs)]
    fitting = [entry for entry in measured if entry[0] <= threads] or measured
    return max(fitting)[1] if fitting else 0.0


def sparse_layers(model: LeNet300100, masks: Masks | None, threads: int, force: bool | None = None) -> list[bool]:
    """Which of fc1..fc3 train compressed. ``force=None``: those keeping less than their crossover share;
    ``True``: every masked layer that lost a weight; ``False``: none."""
    if not masks or force is False:
        return [False] * len(LAYERS)
    kept = [float(masks[f"{name}.weight"].float().mean()) for name in LAYERS]
    if force:
        return [share < 1.0 for share in kept]
    return [share < crossover(tuple(getattr(model, name).weight.shape), threads) for name, share in zip(LAYERS, kept)]


class DenseLayer:
    """A layer trained dense, feature-major: ``h^T = W a^T + b``; optionally masked like ``FastMLP``'s."""

    def __init__(self, layer: torch.nn.Linear, mask: torch.Tensor | None, settings: TrainSettings) -> None:
        self.weight, self.bias = layer.weight.detach(), layer.bias.detach()
        self.bias_column, self.weight_t = self.bias.view(-1, 1), self.weight.t()
        self.velocity, self.bias_velocity = torch.zeros_like(self.weight), torch.zeros_like(self.bias)
        self.mask = None if mask is None else mask.to(torch.float32)
        self.signs = torch.empty_like(self.weight) if settings.l1 else None

    def forward(self, inputs_t: torch.Tensor, out_t: torch.Tensor) -> None:
        torch.addmm(self.bias_column, self.weight, inputs_t, out=out_t)

    def input_grad(self, grad_t: torch.Tensor, out_t: torch.Tensor) -> None:
        torch.mm(self.weight_t, grad_t, out=out_t)

    def accumulate(self, grad_t: torch.Tensor, inputs_t: torch.Tensor, ones: torch.Tensor, keep: float,
                   alpha: float) -> None:
        torch.addmm(self.velocity, grad_t, inputs_t.t(), beta=keep, alpha=alpha, out=self.velocity)
        torch.addmv(self.bias_velocity, grad_t, ones, beta=keep, alpha=alpha, out=self.bias_velocity)

    def update(self, settings: TrainSettings, lr: float, scale: float) -> None:
        move(settings, lr, scale, (self.weight, self.bias), (self.velocity, self.bias_velocity), self.mask, self.signs)

    def velocities(self, scale: float) -> list[torch.Tensor]:
        return [scale * self.velocity, scale * self.bias_velocity]

    def sync_model(self) -> None:
        """Nothing to write: this layer trains the model's own weight in place."""


class SparseLayer:
    """A layer trained compressed: its kept weights and their velocity in CSR with the mask's pattern."""

    def __init__(self, layer: torch.nn.Linear, mask: torch.Tensor, settings: TrainSettings, first: bool) -> None:
        self.weight, self.bias = layer.weight.detach(), layer.bias.detach()
        self.bias_column, self.bias_velocity = self.bias.view(-1, 1), torch.zeros_like(self.bias)
        self.positions = mask.reshape(-1).nonzero().squeeze(1)  # flat index of each kept weight, row-major
        self.values = self.weight.reshape(-1)[self.positions]
        self.velocity_values = torch.zeros_like(self.values)
        # The first layer reads only the inputs (pixels) some kept weight uses: a pruned network ignores most
        # of the image border (at 99 % only ~100 of 784 pixels are read). Later layers read every input.
        self.columns = mask.any(0).nonzero().squeeze(1) if first else torch.arange(mask.shape[1])
        used = mask[:, self.columns]  # the same kept weights in the same (row-major) order
        self.matrix, self.velocity = (_csr(used, values) for values in (self.values, self.velocity_values))
        self.signs = torch.empty_like(self.values) if settings.l1 else None
        # The first layer's input (the images) needs no gradient, so it needs no transposed weight either.
        self.matrix_t: torch.Tensor | None = None
        if not first:
            order = torch.full(mask.shape, -1, dtype=torch.int64)
            order.view(-1)[self.positions] = torch.arange(len(self.positions))
            self.transposed_order = order.t()[mask.t()]  # kept value of each entry of W^T, row-major
            self.values_t = self.values[self.transposed_order]
            self.matrix_t = _csr(mask.t(), self.values_t)

    def batch_reader(self, batch: torch.Tensor) -> Callable[[], torch.Tensor]:
        """For the first layer: a call that gives the gathered ``batch`` (rows, inputs) as this layer reads it,
        feature-major and only the inputs in ``columns``."""
        rows, count = batch.shape[0], len(self.columns)
        used = batch if count == batch.shape[1] else torch.empty(rows, count)
        transpose = transposer(used, torch.empty(count, rows))

        def read() -> torch.Tensor:
            if used is not batch:
                torch.index_select(batch, 1, self.columns, out=used)
            return transpose()
        return read

    def forward(self, inputs_t: torch.Tensor, out_t: torch.Tensor) -> None:
        torch.addmm(self.bias_column, self.matrix, inputs_t, out=out_t)

    def input_grad(self, grad_t: torch.Tensor, out_t: torch.Tensor) -> None:
        torch.mm(self.matrix_t, grad_t, out=out_t)

    def accumulate(self, grad_t: torch.Tensor, inputs_t: torch.Tensor, ones: torch.Tensor, keep: float,
                   alpha: float) -> None:
        torch.sparse.sampled_addmm(self.velocity, grad_t, inputs_t.t(), beta=keep, alpha=alpha, out=self.velocity)
        torch.addmv(self.bias_velocity, grad_t, ones, beta=keep, alpha=alpha, out=self.bias_velocity)

    def update(self, settings: TrainSettings, lr: float, scale: float) -> None:
        move(settings, lr, scale, (self.values, self.bias), (self.velocity_values, self.bias_velocity), None,
             self.signs)
        if self.matrix_t is not None:
            torch.index_select(self.values, 0, self.transposed_order, out=self.values_t)

    def velocities(self, scale: float) -> list[torch.Tensor]:
        dense = torch.zeros_like(self.weight)
        dense.view(-1)[self.positions] = scale * self.velocity_values
        return [dense, scale * self.bias_velocity]

    def sync_model(self) -> None:
        """Write the kept values into the model's dense weight (its pruned entries are 0.0 already)."""
        self.weight.view(-1).index_copy_(0, self.positions, self.values)


def transposer(batch: torch.Tensor, batch_t: torch.Tensor) -> Callable[[], torch.Tensor]:
    """A call that copies ``batch`` (rows, features) into ``batch_t`` (features, rows) and returns it.

    Seen as 4-d images, ``batch`` is ``batch_t`` in channels-last order, and torch converts that layout
    ~2.5x faster than it copies a transposed 2-d view (one step's batch: ~0.12 vs ~0.3 ms on this machine)."""
    (rows, features), source = batch.shape, batch.view(1, *batch.shape, 1).permute(0, 2, 1, 3)
    target = batch_t.view(1, features, rows, 1)
    return lambda: target.copy_(source).view(features, rows)


def _csr(mask: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """A CSR matrix with ``mask``'s pattern whose values are ``values`` itself (not a copy)."""
    rows = torch.cat([torch.zeros(1, dtype=torch.int64), mask.sum(1).cumsum(0)])
    return torch.sparse_csr_tensor(rows, mask.nonzero()[:, 1], values, tuple(mask.shape), check_invariants=False)


class SparseMLP:
    """A reusable train step for one LeNet-300-100 with ``sparse[i]`` choosing each layer's form."""

    def __init__(self, model: LeNet300100, images: torch.Tensor, labels: torch.Tensor, settings: TrainSettings,
                 masks: Masks, sparse: list[bool]) -> None:
        self.model, self.images, self.labels, self.settings = model, images, labels, settings
        self.layers = [SparseLayer(getattr(model, name), masks[f"{name}.weight"], settings, first=index == 0)
                       if sparse[index] else DenseLayer(getattr(model, name), masks.get(f"{name}.weight"), settings)
                       for index, name in enumerate(LAYERS)]
        self.weights = [getattr(model, name).weight.detach() for name in LAYERS]
        self.previous_lr: float | None = None
        self.scale = 1.0
        self._buffers: dict[int, tuple[Buffers, Callable[[], torch.Tensor]]] = {}

    def buffers(self, rows: int) -> tuple[Buffers, Callable[[], torch.Tensor]]:
        """The step's buffers for ``rows`` rows, and the call that gives the gathered batch as fc1 reads it (a
        compressed fc1: a feature-major copy of the pixels it uses; a dense one: a view of ``x``)."""
        if rows not in self._buffers:
            b = allocate(rows, self.weights, self.images, self.labels, any(self.model.dropout), feature_major=True)
            first = self.layers[0]
            batch_t = first.batch_reader(b.x) if isinstance(first, SparseLayer) else (lambda view=b.x.t(): view)
            self._buffers[rows] = (b, batch_t)
        return self._buffers[rows]

    def step(self, rows: torch.Tensor, lr: float, loss_sum: torch.Tensor) -> None:
        """One SGD step on the training rows ``rows``; adds the batch's mean loss to ``loss_sum``."""
        b, batch_t = self.buffers(len(rows))
        first, second, third = self.layers
        p1, p2 = self.model.dropout
        self.scale, keep, alpha = momentum_coefficients(self.settings.momentum, lr, self.previous_lr, self.scale,
                                                        len(rows))
        torch.index_select(self.images, 0, rows, out=b.x)
        torch.index_select(self.labels, 0, rows, out=b.y)
        x_t, h1_t = batch_t(), b.h1.t()
        first.forward(x_t, h1_t)
        h1_t.relu_()
        if p1:
            dropout_(b.h1, b.drop1, p1)
        second.forward(h1_t, b.h2_t)
        b.h2_t.relu_()
        if p2:
            dropout_(b.h2, b.drop2, p2)
        third.forward(b.h2_t, b.out)
        loss_backward(b, loss_sum)
        # Each layer's input gradient uses its weights before they move, as in ``FastMLP.step``.
        third.input_grad(b.out, b.d2_t)
        third.accumulate(b.out, b.h2_t, b.ones, keep, alpha)
        third.update(self.settings, lr, self.scale)
        relu_dropout_backward(b.d2, b.h2, b.drop2, p2)
        second.input_grad(b.d2_t, b.d1_t)
        second.accumulate(b.d2_t, h1_t, b.ones, keep, alpha)
        second.update(self.settings, lr, self.scale)
        relu_dropout_backward(b.d1, b.h1, b.drop1, p1)
        first.accumulate(b.d1_t, x_t, b.ones, keep, alpha)
        first.update(self.settings, lr, self.scale)
        self.previous_lr = lr

    def velocities(self) -> list[torch.Tensor]:
        """SGD's velocity ``-lr * momentum_buffer`` per parameter (``model.parameters()`` order), dense."""
        return [v for layer in self.layers for v in layer.velocities(self.scale)]

    def sync_model(self) -> None:
        """Write the compressed layers back into the model's dense weights."""
        for layer in self.layers:
            layer.sync_model()
