"""Plain data for charts and reports: storage, weight histograms, fc1 maps, activations of one image.

Everything here returns numpy arrays, lists and dicts - never figures - so the dashboard, the CLI and the
reports can all draw from the same numbers, and tests can check them by hand.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .checkpoint import Checkpoint
from .data import Split
from .errors import UserError
from .lab import layer_counts
from .models import evaluating
from .settings import MNIST_MEAN, MNIST_STD

BYTES_VALUE = 4  # float32
BYTES_INDEX = 4  # int32 column index / row pointer in CSR
RELATIVE_INDEX_BITS = 5  # Han et al. 2015: 5-bit index differences for fully connected layers


def relative_index_bytes(mask: torch.Tensor, index_bits: int = RELATIVE_INDEX_BITS) -> int:
    """Bytes to store the kept weights as (float32 value, ``index_bits``-bit gap to the previous one), over the
    flattened matrix. A gap too long for the index field costs filler zero entries (Han et al. 2015)."""
    positions = mask.flatten().nonzero().flatten()
    if positions.numel() == 0:
        return 0
    gaps = torch.diff(positions, prepend=torch.tensor([-1], device=positions.device))
    largest = 2 ** index_bits - 1
    entries = positions.numel() + int(((gaps - 1) // largest).sum())
    return -(-entries * (8 * BYTES_VALUE + index_bits) // 8)


def storage(checkpoint: Checkpoint) -> dict:
    """Per layer and in total: nonzero/total weights, and bytes as dense float32, as CSR (float32 values,
    int32 indices) and with the paper's relative-index encoding; compression x."""
    layers = {}
    params = dict(checkpoint.model.named_parameters())
    for layer, counts in layer_counts(checkpoint).items():
        rows = params[f"{layer}.weight"].shape[0]
        nnz, total = counts["nonzero"], counts["total"]
        layers[layer] = {"nonzero": nnz, "total": total, "dense_bytes": total * BYTES_VALUE,
                         "csr_bytes": nnz * (BYTES_VALUE + BYTES_INDEX) + (rows + 1) * BYTES_INDEX,
                         "relative_index_bytes": relative_index_bytes(checkpoint.masks[f"{layer}.weight"]),
                         "compression": total / nnz if nnz else float("inf")}
    nnz = sum(v["nonzero"] for v in layers.values())
    total = sum(v["total"] for v in layers.values())
    return {"layers": layers, "nonzero": nnz, "total": total,
            "dense_bytes": sum(v["dense_bytes"] for v in layers.values()),
            "csr_bytes": sum(v["csr_bytes"] for v in layers.values()),
            "relative_index_bytes": sum(v["relative_index_bytes"] for v in layers.values()),
            "compression": total / nnz if nnz else float("inf")}


def nonzero_weights(checkpoint: Checkpoint) -> dict[str, np.ndarray]:
    """The surviving (nonzero) weights of each layer, as 1-D float arrays."""
    params = {name: p.detach().cpu() for name, p in checkpoint.model.named_parameters()}
    return {name.rsplit(".", 1)[0]: params[name][params[name] != 0].numpy() for name in checkpoint.masks}


def weight_histograms(checkpoint: Checkpoint, bins: int = 101, limit: float | None = None) -> dict:
    """Histogram counts of the nonzero weights, per layer and for ``all``, over shared symmetric edges
    [-limit, limit] (default: the largest |w|), so two checkpoints can be overlaid bin for bin."""
    values = nonzero_weights(checkpoint)
    values["all"] = np.concatenate(list(values.values()))
    if limit is None:
        limit = float(np.abs(values["all"]).max()) if values["all"].size else 1.0
    edges = np.linspace(-limit, limit, bins + 1)
    # float64 before clipping: a float32 0.2 is above the float64 edge 0.2 and would fall out of the last bin.
    return {"edges": edges, "counts": {k: np.histogram(np.clip(v.astype(np.float64), -limit, limit), edges)[0]
                                       for k, v in values.items()}}


def require_mlp(checkpoint: Checkpoint) -> None:
    """The fc1 maps and activation counts read pixels straight into fc1: LeNet-300-100 only."""
    if checkpoint.model.settings.arch != "lenet-300-100":
        raise UserError("fc1 maps and active-neuron counts are defined for LeNet-300-100 only")


def fc1_weights(checkpoint: Checkpoint) -> np.ndarray:
    """fc1's signed weight matrix, (hidden1, 784); pruned entries are exactly 0."""
    require_mlp(checkpoint)
    return checkpoint.model.fc1.weight.detach().cpu().numpy()


def receptive_fields(checkpoint: Checkpoint, neurons: list[int]) -> np.ndarray:
    """Each chosen fc1 neuron's incoming weights as a 28x28 image: (len(neurons), 28, 28)."""
    weights = fc1_weights(checkpoint)
    if any(not 0 <= n < weights.shape[0] for n in neurons):
        raise UserError(f"fc1 neurons are numbered 0..{weights.shape[0] - 1}")
    return weights[neurons].reshape(len(neurons), 28, 28)


def pixel_connections(checkpoint: Checkpoint) -> np.ndarray:
    """How many fc1 connections survive from each input pixel, as a 28x28 integer map."""
    require_mlp(checkpoint)
    return checkpoint.masks["fc1.weight"].sum(dim=0).reshape(28, 28).cpu().numpy()


def normalize_pixels(pixels: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Raw 28x28 uint8 (0..255) pixels -> the model's normalized (1, 784) input."""
    image = torch.as_tensor(np.asarray(pixels), dtype=torch.float32)
    if image.shape != (28, 28):
        raise UserError(f"an image must be 28x28 pixels, got {tuple(image.shape)}")
    if not torch.isfinite(image).all() or image.min() < 0 or image.max() > 255:
        raise UserError("pixel values must be between 0 and 255")
    return ((image / 255.0 - MNIST_MEAN) / MNIST_STD).reshape(1, 784)


def inspect_pixels(checkpoint: Checkpoint, pixels: np.ndarray | torch.Tensor, bias_free: bool = False) -> dict:
    """One image through the model: nonzero pixels, active neurons per hidden layer (ReLU output > 0, the
    true forward pass with biases), each hidden layer's activations, prediction and class probabilities.
    With ``bias_free`` also the reference blog's count, which leaves the biases out."""
    require_mlp(checkpoint)
    model = checkpoint.model
    device = next(model.parameters()).device
    x = normalize_pixels(pixels).to(device)
    with evaluating(model):
        h1, h2 = model.hidden(x)
        probabilities = F.softmax(model.fc3(h2), dim=1)[0]
    result = {
        "nonzero_pixels": int((torch.as_tensor(np.asarray(pixels)) > 0).sum()),
        "active": {"fc1": int((h1 > 0).sum()), "fc2": int((h2 > 0).sum())},
        "sizes": {"fc1": h1.shape[1], "fc2": h2.shape[1]},
        "activations": {"fc1": h1[0].cpu().numpy(), "fc2": h2[0].cpu().numpy()},
        "prediction": int(probabilities.argmax()),
        "probabilities": probabilities.cpu().numpy(),
    }
    if bias_free:
        with evaluating(model):
            b1 = F.relu(x @ model.fc1.weight.T)
            b2 = F.relu(b1 @ model.fc2.weight.T)
        result["active_bias_free"] = {"fc1": int((b1 > 0).sum()), "fc2": int((b2 > 0).sum())}
    return result


def test_index(split: Split, digit: int | None = None, index: int = 0) -> int:
    """The position in ``split`` of the ``index``-th example of ``digit`` (or of the whole split)."""
    if digit is None:
        if not 0 <= index < len(split):
            raise UserError(f"test index must be in 0..{len(split) - 1}, got {index}")
        return index
    if not 0 <= digit <= 9:
        raise UserError(f"digit must be 0..9, got {digit}")
    positions = (split.labels == digit).nonzero().flatten()
    if not 0 <= index < len(positions):
        raise UserError(f"there are {len(positions)} test images of digit {digit}; index must be "
                        f"0..{len(positions) - 1}, got {index}")
    return int(positions[index])


def class_counts(split: Split) -> list[int]:
    """How many images of each digit 0..9 ``split`` holds."""
    return torch.bincount(split.labels.cpu(), minlength=10).tolist()


def class_mean_active(checkpoint: Checkpoint, split: Split) -> dict[str, list[float]]:
    """Mean active neurons per hidden layer for each digit class (10 values per layer) on ``split``."""
    require_mlp(checkpoint)
    model = checkpoint.model
    with evaluating(model):
        h1, h2 = model.hidden(split.images)
    result = {}
    for layer, h in (("fc1", h1), ("fc2", h2)):
        counts = (h > 0).sum(dim=1).float()
        result[layer] = [float(counts[split.labels == d].mean()) for d in range(10)]
    return result
