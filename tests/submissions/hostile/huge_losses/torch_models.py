"""Hostile: one linear layer for every model, and a train_torch that does not train: it
returns two million losses, among them nan, inf and -inf."""
import numpy as np
from torch import nn

TORCH_HYPERPARAMS = {
    "logreg": {"epochs": 1, "lr": 0.1, "batch_size": 64, "options": {}},
    "mlp": {"epochs": 1, "lr": 0.1, "batch_size": 64, "hidden": [16], "dropout": 0.0, "options": {}},
    "convnet": {"epochs": 1, "lr": 0.1, "batch_size": 64, "p": 0.0, "options": {}},
}


class _OneLayer(nn.Module):
    """One linear layer whatever is asked for: the trick is in train_torch."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.layer = nn.Linear(784, 10)

    def forward(self, x):
        return self.layer(x.reshape(len(x), -1))


LogisticRegression = MLP = ConvNetDropout = _OneLayer


def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    losses = np.linspace(3.0, 0.1, 2_000_000)
    losses[::3] = np.nan
    losses[1::3] = np.inf
    losses[2::7] = -np.inf
    return losses
