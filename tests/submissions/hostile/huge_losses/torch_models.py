"""Hostile: the torch models are the contract's, but train_torch does not train: it
returns two million losses, among them nan, inf and -inf."""
import numpy as np
import torch
from torch import nn

TORCH_HYPERPARAMS = {
    "logreg": {"epochs": 1, "lr": 0.1, "batch_size": 64, "options": {}},
    "mlp": {"epochs": 1, "lr": 0.1, "batch_size": 64, "hidden": [16], "dropout": 0.0, "options": {}},
    "convnet": {"epochs": 1, "lr": 0.1, "batch_size": 64, "p": 0.0, "options": {}},
}


class LogisticRegression(nn.Module):
    def __init__(self, d, m):
        super().__init__()
        self.linear = nn.Linear(d, m)

    def forward(self, x):
        return self.linear(x.reshape(x.shape[0], -1))


class MLP(nn.Module):
    def __init__(self, d, hidden, m, dropout=0.0):
        super().__init__()
        self.linear = nn.Linear(d, m)

    def forward(self, x):
        return self.linear(x.reshape(x.shape[0], -1))


class ConvNetDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.linear = nn.Linear(784, 10)

    def forward(self, x):
        return self.linear(x.reshape(x.shape[0], -1))


def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    losses = np.linspace(3.0, 0.1, 2_000_000)
    losses[::3] = np.nan
    losses[1::3] = np.inf
    losses[2::7] = -np.inf
    return losses
