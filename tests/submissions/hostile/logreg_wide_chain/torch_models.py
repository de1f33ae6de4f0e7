"""Hostile: a LogisticRegression whose state_dict is a valid chain of linear layers
784 -> 1 -> 60,000 -> 10 (720,795 numbers, 2.9 MB as float32). Sent back after training,
it made the grader's NumPy forward pass hold 1,000 test images x 60,000 units in float64,
and the whole tree reach 1.2 GB. The grader reads the model by shape: the sandbox sends only
parameters whose shape fits the architecture the assignment fixes (784 -> 10; here none), and
the grader says that no parameter is a 784 -> 10 weight matrix, then grades the other models
as usual.
"""
import torch
from torch import nn

import torch_models_base
from torch_models_base import *  # noqa: F401,F403


class LogisticRegression(nn.Module):
    def __init__(self, d, m):
        super().__init__()
        self.narrow = nn.Linear(d, 1)
        self.wide = nn.Linear(1, 60_000)
        self.out = nn.Linear(60_000, m)

    def forward(self, x):
        h = torch.relu(self.narrow(x.reshape(len(x), -1)))
        return self.out(torch.relu(self.wide(h)))


TORCH_HYPERPARAMS = dict(torch_models_base.TORCH_HYPERPARAMS)
TORCH_HYPERPARAMS["logreg"] = dict(TORCH_HYPERPARAMS["logreg"], epochs=1)   # trained, and quickly
