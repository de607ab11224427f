"""The mask type: which connections are alive, one bool tensor per prunable weight tensor.

Masks are values, validated on construction, never mutated in place: pruning produces a new ``Masks`` from
the old one. Biases are never pruned; every weight matrix (a parameter named ``*.weight`` with 2+ dims) is.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

import torch
from torch import nn

from .errors import UserError


def prunable_names(model: nn.Module) -> list[str]:
    """Names of the prunable tensors of ``model``, in layer order: ``fc1.weight``, ``fc2.weight``, ..."""
    return [name for name, p in model.named_parameters() if name.endswith(".weight") and p.dim() >= 2]


def layer_of(name: str) -> str:
    """'fc1.weight' -> 'fc1'."""
    return name.rsplit(".", 1)[0]


class Masks(Mapping[str, torch.Tensor]):
    """A read-only mapping ``"fc1.weight" -> bool tensor`` (True = the connection is kept)."""

    def __init__(self, tensors: Mapping[str, torch.Tensor]) -> None:
        if not tensors:
            raise UserError("a mask set needs at least one tensor")
        for name, mask in tensors.items():
            if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
                raise UserError(f"mask {name!r} must be a bool tensor")
        self._tensors = dict(tensors)

    @classmethod
    def dense(cls, model: nn.Module) -> "Masks":
        """All connections kept."""
        params = dict(model.named_parameters())
        return cls({n: torch.ones_like(params[n], dtype=torch.bool) for n in prunable_names(model)})

    def __getitem__(self, name: str) -> torch.Tensor:
        return self._tensors[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tensors)

    def __len__(self) -> int:
        return len(self._tensors)

    def check_fits(self, model: nn.Module) -> None:
        """Raise UserError unless these masks cover exactly the model's prunable tensors, shape for shape."""
        params = dict(model.named_parameters())
        expected = prunable_names(model)
        if sorted(self) != sorted(expected):
            raise UserError(f"masks cover {sorted(self)} but the model's prunable tensors are {expected}")
        for name in expected:
            if self[name].shape != params[name].shape:
                raise UserError(f"mask {name!r} has shape {tuple(self[name].shape)}, "
                                f"weight has {tuple(params[name].shape)}")

    def to(self, device: torch.device | str) -> "Masks":
        return Masks({n: m.to(device) for n, m in self.items()})

    def apply_(self, model: nn.Module) -> None:
        """Zero the pruned weights of ``model`` in place."""
        params = dict(model.named_parameters())
        with torch.no_grad():
            for name, mask in self.items():
                params[name].mul_(mask)

    def is_within(self, other: "Masks") -> bool:
        """True when every connection kept here is also kept in ``other`` (masks only shrink)."""
        return all(not (self[n] & ~other[n]).any() for n in self)

    def kept(self) -> dict[str, int]:
        """Kept connections per layer (``fc1`` -> n)."""
        return {layer_of(n): int(m.sum()) for n, m in self.items()}

    def sizes(self) -> dict[str, int]:
        """All connections per layer (``fc1`` -> n)."""
        return {layer_of(n): m.numel() for n, m in self.items()}

    def sparsity(self) -> float:
        """Fraction of prunable weights that are pruned, 0..1."""
        total = sum(self.sizes().values())
        return 1.0 - sum(self.kept().values()) / total

    def state(self) -> dict[str, torch.Tensor]:
        """Plain CPU tensors for a checkpoint."""
        return {n: m.detach().cpu().clone() for n, m in self.items()}
