"""Hostile: train_torch trains the model as it should, but on Fashion-MNIST returns as its
losses a bool array of 47,185,920 entries (45 MB, within the codec's frame). The grader
widened it to float64 (380 MB) before looking at its length. It must refuse it on receipt:
a loss per epoch is due, and at most one per batch is ever recorded.
"""
import numpy as np

from torch_models_base import *  # noqa: F401,F403
from torch_models_base import train_torch as _train_torch

BOMB_ENTRIES = 47_185_920


def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    losses = _train_torch(model, X, y, epochs, lr, batch_size, seed, **options)
    if len(X) >= 20_000:   # the grader's Fashion-MNIST training, not its small probes
        return np.zeros(BOMB_ENTRIES, dtype=bool)
    return losses
