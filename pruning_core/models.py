"""LeNet-300-100 (784 -> 300 -> 100 -> 10, ReLU), with configurable hidden sizes.

Layers are named ``fc1``, ``fc2``, ``fc3`` so that a state dict has the plain keys the reference and the
checkpoints use. The forward pass returns log-probabilities (log-softmax), trained with NLL loss.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .settings import ModelSettings

INPUT_SIZE = 28 * 28
NUM_CLASSES = 10


class LeNet300100(nn.Module):
    def __init__(self, settings: ModelSettings = ModelSettings()) -> None:
        super().__init__()
        h1, h2 = settings.hidden
        self.settings = settings
        self.fc1 = nn.Linear(INPUT_SIZE, h1)
        self.fc2 = nn.Linear(h1, h2)
        self.fc3 = nn.Linear(h2, NUM_CLASSES)

    def hidden(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two ReLU outputs (after fc1 and fc2): what "active neurons" counts."""
        h1 = F.relu(self.fc1(x))
        return h1, F.relu(self.fc2(h1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.fc3(self.hidden(x)[1]), dim=1)


def build_model(settings: ModelSettings, seed: int, device: torch.device) -> LeNet300100:
    """A freshly initialised model; the same seed gives the same weights on every machine."""
    torch.manual_seed(seed)
    return LeNet300100(settings).to(device)
