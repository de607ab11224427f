"""The training step of LeNet-300-100 written out by hand: the fast path ``train.train`` takes for the MLP.

Why: at batch 128 one step's eight matmuls take ~0.65 ms on 2 CPUs, and autograd plus the optimizer added
~0.8 ms of dispatch, graph building and allocation around them (docs/benchmarks.md). Here every tensor a step touches
is allocated once, per batch size, when the stepper is built: the batch is gathered into a reused buffer
(``index_select(out=)``), the layers are ``addmm(out=)`` with the bias folded in, ReLU is in place, the loss
and its gradient come from one log-softmax (d loss / d logits = softmax - one-hot), and the backward pass is
five more matmuls plus three matrix-vector products (bias gradients). The weight-gradient products write
straight into SGD's momentum buffer (see ``FastMLP``), so there is no gradient tensor and no optimizer pass;
each layer then moves by one in-place add (``addcmul`` with its mask when pruned).

Mathematically it is the autograd path of ``train.py``: gradient, then L1's subgradient ``l1 * sign(w)``,
then the mask, then SGD with weight decay and momentum (dampening 0, not Nesterov); only the float32
rounding differs. Dropout draws its mask the way ``F.dropout`` does on the CPU (``bernoulli_(1 - p)`` then
``/ (1 - p)``, hidden layer 1 then 2), so with the same global RNG state both paths drop the same units.
``tests/engine/test_fast_mlp.py`` checks gradients and updated weights against autograd for every preset, mask and
regulariser, and the accuracy after one epoch.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .masks import Masks
from .models import LeNet300100
from .settings import TrainSettings

# The smallest scale the velocity is kept at before it is folded back (see ``FastMLP``). Far from float32's
# limits in both directions: u = v / scale stays below ~1e8 for any velocity an lr <= 1 step produces, and
# the fold happens every 17 steps at momentum 0.25, every 219 at 0.9.
RESCALE_BELOW = 1e-10


def supports(model: torch.nn.Module) -> bool:
    """True for a plain LeNet-300-100 with float32 CPU parameters (anything else takes the autograd path)."""
    return (type(model) is LeNet300100 and all(p.dtype == torch.float32 and p.device.type == "cpu"
                                                 for p in model.parameters()))


@dataclass
class Buffers:
    """Everything one step of ``rows`` batch rows writes: allocated once per batch size."""

    x: torch.Tensor        # (rows, 784) gathered images
    y: torch.Tensor        # (rows,) gathered labels; ``y_row`` is the same storage as (1, rows)
    y_row: torch.Tensor
    h1: torch.Tensor       # (rows, h1) fc1 -> ReLU (-> dropout)
    h2: torch.Tensor       # (rows, h2)
    # (10, rows): logits, then log-probabilities in place, then d loss / d logits. Class-major because the
    # log-softmax over a length-10 row was 10x slower than over the 10 rows of a class-major block.
    out: torch.Tensor
    out_rows: torch.Tensor  # the same storage as (rows, 10)
    picked: torch.Tensor   # (1, rows) each row's log-probability of its label
    d2: torch.Tensor       # (rows, h2) d loss / d h2 (unscaled by 1/rows: the weight-gradient matmuls scale)
    d1: torch.Tensor       # (rows, h1)
    drop1: torch.Tensor    # dropout multipliers (0 or 1/(1-p)); empty when dropout is off
    drop2: torch.Tensor
    ones: torch.Tensor     # (rows,) for bias gradients as matrix-vector products
    minus_one: torch.Tensor  # (1, rows) of -1: subtracts the one-hot from the softmax
    minus_one_per_row: torch.Tensor  # (rows,) of -1/rows: the mean of minus ``picked``
    # Transposed views, made once (each ``.t()`` in the step was a dispatch of its own).
    h2_t: torch.Tensor
    d2_t: torch.Tensor
    d1_t: torch.Tensor


class FastMLP:
    """A reusable train step for one LeNet-300-100, one recipe and one mask set (``step`` per batch).

    The update keeps a velocity ``v = -lr * momentum_buffer`` per parameter instead of a gradient: the
    weight-gradient matmuls accumulate straight into it (``v = beta * v - lr/rows * d^T a``, with ``beta =
    momentum * lr / previous lr``, exactly SGD's buffer update scaled by the current lr), weight decay and L1
    add their terms, and ``p += mask * v`` applies it. That spares the separate gradient tensors and the
    optimizer's extra pass over them (the fused SGD kernel alone cost ~1/3 of the matmuls' time).

    The velocity is stored scaled, ``v = scale * u``, so that the accumulation is ``u += (alpha / scale) *
    d^T a`` with a coefficient of exactly 1 on ``u``: MKL's sgemm has a fast path for that, and any other
    coefficient (``beta``) costs a separate pass over the output, most of all at 2 threads (``bench/epoch.py``
    times both forms: "momentum-SGD floor" and its "plain buffer update"). Each step
    multiplies ``scale`` by ``beta``; when it would fall below ``RESCALE_BELOW`` (or ``beta`` is 0), that step
    folds it back into ``u`` through the matmul's coefficient instead (``scale`` becomes 1), so ``u`` stays
    far from float32's range limits."""

    def __init__(self, model: LeNet300100, images: torch.Tensor, labels: torch.Tensor, settings: TrainSettings,
                 masks: Masks | None = None) -> None:
        self.model, self.images, self.labels, self.settings = model, images, labels, settings
        layers = (model.fc1, model.fc2, model.fc3)
        self.weights = [layer.weight.detach() for layer in layers]
        self.biases = [layer.bias.detach() for layer in layers]
        self.weights_t = [w.t() for w in self.weights]  # views: they follow the in-place updates
        self.bias3_column = self.biases[2].view(-1, 1)
        self.params = [t for pair in zip(self.weights, self.biases) for t in pair]  # model.parameters() order
        self.velocity = [torch.zeros_like(p) for p in self.params]
        self.weight_velocity, self.bias_velocity = self.velocity[0::2], self.velocity[1::2]
        self.previous_lr: float | None = None
        self.scale = 1.0  # v = scale * u for every velocity u in ``self.velocity``
        self.masks = ([masks[f"{name}.weight"].to(dtype=torch.float32) for name in ("fc1", "fc2", "fc3")]
                      if masks else [])
        self.signs = [torch.empty_like(w) for w in self.weights] if settings.l1 else []
        self._buffers: dict[int, Buffers] = {}

    def velocities(self) -> list[torch.Tensor]:
        """SGD's velocity ``-lr * momentum_buffer`` per parameter (``model.parameters()`` order), unscaled."""
        return [self.scale * u for u in self.velocity]

    def sync_model(self) -> None:
        """Nothing to write: this step trains the model's parameters in place."""

    def buffers(self, rows: int) -> Buffers:
        if rows not in self._buffers:
            self._buffers[rows] = allocate(rows, self.weights, self.images, self.labels, any(self.model.dropout))
        return self._buffers[rows]

    def step(self, rows: torch.Tensor, lr: float, loss_sum: torch.Tensor) -> None:
        """One SGD step on the training rows ``rows``; adds the batch's mean loss to ``loss_sum``."""
        b = self.buffers(len(rows))
        (_, w2, w3), (b1, b2, _), (t1, t2, _) = self.weights, self.biases, self.weights_t
        (v1, v2, v3), (vb1, vb2, vb3) = self.weight_velocity, self.bias_velocity
        p1, p2 = self.model.dropout
        self.scale, keep, alpha = momentum_coefficients(self.settings.momentum, lr, self.previous_lr, self.scale,
                                                        len(rows))
        torch.index_select(self.images, 0, rows, out=b.x)
        torch.index_select(self.labels, 0, rows, out=b.y)
        # Forward. ReLU's output doubles as its backward mask (h > 0 exactly where the input was > 0).
        torch.addmm(b1, b.x, t1, out=b.h1).relu_()
        if p1:
            dropout_(b.h1, b.drop1, p1)
        torch.addmm(b2, b.h1, t2, out=b.h2).relu_()
        if p2:
            dropout_(b.h2, b.drop2, p2)
        torch.addmm(self.bias3_column, w3, b.h2_t, out=b.out)
        loss_backward(b, loss_sum)
        # Each layer moves as soon as its velocity is ready (still in cache) and nothing later reads its old
        # weights: fc3 after the gradient that flows through it to fc2 is computed, and so on.
        torch.mm(b.out_rows, w3, out=b.d2)
        torch.addmm(v3, b.out, b.h2, beta=keep, alpha=alpha, out=v3)
        torch.addmv(vb3, b.out, b.ones, beta=keep, alpha=alpha, out=vb3)
        self.update(2, lr)
        relu_dropout_backward(b.d2, b.h2, b.drop2, p2)
        torch.mm(b.d2, w2, out=b.d1)
        torch.addmm(v2, b.d2_t, b.h1, beta=keep, alpha=alpha, out=v2)
        torch.addmv(vb2, b.d2_t, b.ones, beta=keep, alpha=alpha, out=vb2)
        self.update(1, lr)
        relu_dropout_backward(b.d1, b.h1, b.drop1, p1)
        torch.addmm(v1, b.d1_t, b.x, beta=keep, alpha=alpha, out=v1)
        torch.addmv(vb1, b.d1_t, b.ones, beta=keep, alpha=alpha, out=vb1)
        self.update(0, lr)
        self.previous_lr = lr

    def update(self, layer: int, lr: float) -> None:
        """Add weight decay's and L1's terms to one layer's velocity, then move its weight and bias by it."""
        move(self.settings, lr, self.scale, (self.weights[layer], self.biases[layer]),
             (self.weight_velocity[layer], self.bias_velocity[layer]), self.masks[layer] if self.masks else None,
             self.signs[layer] if self.signs else None)


def allocate(rows: int, weights: list[torch.Tensor], images: torch.Tensor, labels: torch.Tensor, dropout: bool,
             feature_major: bool = False) -> Buffers:
    """The buffers of a step of ``rows`` rows. ``feature_major`` lays the hidden activations and their
    gradients out as (features, rows) in memory (``h1.t()`` etc. contiguous), as sparse layers want them;
    the dropout multipliers stay (rows, features) either way, so the draws match ``F.dropout``'s."""
    width1, width2 = (w.shape[0] for w in weights[:2])

    def hidden(width: int) -> torch.Tensor:
        return torch.empty(width, rows).t() if feature_major else torch.empty(rows, width)
    y, out = torch.empty(rows, dtype=labels.dtype), torch.empty(weights[2].shape[0], rows)
    h2, d2, d1 = hidden(width2), hidden(width2), hidden(width1)
    return Buffers(
        x=torch.empty(rows, images.shape[1]), y=y, y_row=y.view(1, rows), h1=hidden(width1),
        h2=h2, out=out, out_rows=out.t(), picked=torch.empty(1, rows), d2=d2, d1=d1,
        drop1=torch.empty(rows, width1 if dropout else 0), drop2=torch.empty(rows, width2 if dropout else 0),
        ones=torch.ones(rows), minus_one=torch.full((1, rows), -1.0),
        minus_one_per_row=torch.full((rows,), -1.0 / rows), h2_t=h2.t(), d2_t=d2.t(), d1_t=d1.t())


def momentum_coefficients(momentum: float, lr: float, previous_lr: float | None, scale: float, rows: int
                          ) -> tuple[float, float, float]:
    """SGD's buffer update ``buf = momentum * buf + grad`` written for ``v = -lr * buf = scale * u``: returns
    this step's ``scale``, the coefficient ``keep`` on ``u`` and the coefficient ``alpha`` on the batch's summed
    weight gradient (the mean over the batch, the step size and the scale). ``keep`` is 1.0 except on a
    step where the scale folds back into ``u`` (or momentum is 0)."""
    decayed = scale * momentum * lr / (previous_lr or lr)
    new_scale = decayed if decayed >= RESCALE_BELOW else 1.0
    return new_scale, decayed / new_scale, -lr / rows / new_scale


def loss_backward(b: Buffers, loss_sum: torch.Tensor) -> None:
    """Logits ``b.out`` (classes, rows) in, d (summed NLL) / d logits out in place; adds the mean loss."""
    torch.log_softmax(b.out, 0, out=b.out)
    # The loss: minus the mean log-probability of each row's label (nll_loss without its copy and checks).
    torch.gather(b.out, 0, b.y_row, out=b.picked)
    torch.addmv(loss_sum.view(1), b.picked, b.minus_one_per_row, out=loss_sum.view(1))
    # d (sum of NLL) / d logits = softmax - one-hot; the 1/rows of the mean is in ``alpha``.
    b.out.exp_().scatter_add_(0, b.y_row, b.minus_one)


def move(settings: TrainSettings, lr: float, scale: float, parameters: tuple[torch.Tensor, torch.Tensor],
         velocities: tuple[torch.Tensor, torch.Tensor], mask: torch.Tensor | None, signs: torch.Tensor | None) -> None:
    """Add weight decay's and L1's terms (L1: ``signs`` is its buffer, None when off) to a layer's velocity
    ``(weight, bias)`` (stored as ``u = v / scale``), then move the weight and bias by it. ``mask`` (float,
    None when every connection is kept) holds pruned weights still."""
    (weight, bias), (velocity, bias_velocity) = parameters, velocities
    if settings.weight_decay:
        torch._foreach_add_([velocity, bias_velocity], [weight, bias], alpha=-lr * settings.weight_decay / scale)
    if signs is not None:  # sign(0) = 0: a pruned weight gets no L1 pull
        velocity.add_(torch.sign(weight, out=signs), alpha=-lr * settings.l1 / scale)
    if mask is not None:
        # A pruned weight moves by v * 0 = 0.0, so it stays exactly 0.0. Its velocity entry is never
        # read for anything else (every operation here is elementwise), so it is not cleared.
        weight.addcmul_(velocity, mask, value=scale)
    else:
        weight.add_(velocity, alpha=scale)
    bias.add_(bias_velocity, alpha=scale)


def dropout_(hidden: torch.Tensor, multipliers: torch.Tensor, p: float) -> None:
    """``F.dropout`` on the CPU, in place, keeping its multipliers for the backward pass."""
    multipliers.bernoulli_(1 - p).div_(1 - p)
    hidden.mul_(multipliers)


def relu_dropout_backward(grad: torch.Tensor, hidden: torch.Tensor, multipliers: torch.Tensor, p: float) -> None:
    """Gradient through dropout and ReLU, in place: zero where the unit was dropped or inactive."""
    if p:
        grad.mul_(multipliers)
    torch.ops.aten.threshold_backward.grad_input(grad, hidden, 0, grad_input=grad)
