"""The networks: LeNet-300-100 (784 -> 300 -> 100 -> 10, ReLU; hidden sizes configurable) and LeNet-5.

LeNet-300-100's layers are named ``fc1``, ``fc2``, ``fc3`` so that a state dict has the plain keys the
reference and the checkpoints use. LeNet-5 is the Caffe variant Han et al. pruned (conv 20@5x5, max-pool,
conv 50@5x5, max-pool, fc 500, fc 10). Both take the flat (N, 784) normalized images the data module keeps in
memory and return log-probabilities (log-softmax), trained with NLL loss.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
        # Per hidden layer; retraining lowers them as connections go (Han et al.: D_r = D_o sqrt(C_ir / C_io)).
        self.dropout = [settings.dropout, settings.dropout]

    def hidden(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two ReLU outputs (after fc1 and fc2): what "active neurons" counts. Dropout acts only while
        training, so analysis (in eval mode) always sees the whole network."""
        h1 = F.dropout(F.relu(self.fc1(x)), self.dropout[0], self.training)
        return h1, F.dropout(F.relu(self.fc2(h1)), self.dropout[1], self.training)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.fc3(self.hidden(x)[1]), dim=1)


class LeNet5(nn.Module):
    def __init__(self, settings: ModelSettings = ModelSettings(arch="lenet-5")) -> None:
        super().__init__()
        self.settings = settings
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(50 * 4 * 4, 500)
        self.fc2 = nn.Linear(500, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(self.conv1(x.view(-1, 1, 28, 28)), 2)
        x = F.max_pool2d(self.conv2(x), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return F.log_softmax(self.fc2(x), dim=1)


ARCHITECTURES = {"lenet-300-100": LeNet300100, "lenet-5": LeNet5}


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode (dropout off) without autograd for the block, then the model's previous mode: the one way
    prediction and every analysis run a model, so a model left in training mode still answers the same."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield model
    finally:
        model.train(was_training)


def make_model(settings: ModelSettings) -> nn.Module:
    """An untrained model of the architecture ``settings`` names (random init from torch's current seed)."""
    return ARCHITECTURES[settings.arch](settings)


def build_model(settings: ModelSettings, seed: int, device: torch.device) -> nn.Module:
    """A freshly initialised model; the same seed gives the same weights on every machine."""
    torch.manual_seed(seed)
    return make_model(settings).to(device)
