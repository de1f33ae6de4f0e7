"""Careless rather than hostile: a ConvNetDropout whose activations cannot fit in memory
(256 channels at full resolution, batches of 500 images: ~800 MB for one layer's output).
The grader must stop it for memory, say how large the model and its batches are, and
still train the other two models.
"""
import torch
from torch import nn

import torch_models_base
from torch_models_base import *  # noqa: F401,F403


class ConvNetDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.conv = nn.Conv2d(1, 256, 3, padding=1)
        self.drop = nn.Dropout(p)
        self.fc = nn.Linear(256, 10)

    def forward(self, x):
        h = torch.relu(self.conv(x))          # (n, 256, 28, 28)
        return self.fc(self.drop(h.mean(dim=(2, 3))))


TORCH_HYPERPARAMS = dict(torch_models_base.TORCH_HYPERPARAMS)
TORCH_HYPERPARAMS["convnet"] = dict(TORCH_HYPERPARAMS["convnet"], batch_size=500, epochs=1)
