"""Hostile: train_mlp returns parameters of the right shapes without training, and a history
holding a function, an object, a generator, nan and inf, and two million losses."""
import numpy as np

HYPERPARAMS = {"dh": 16, "lr": 0.01, "epochs": 1, "batch_size": 32, "reg": [0, 0, 0, 0]}


def train_mlp(X, y, dh, lr, epochs, batch_size, reg=(0, 0, 0, 0), rng=None, X_valid=None, y_valid=None):
    d, m = X.shape[1], 10
    params = {"W1": np.zeros((dh, d)), "b1": np.zeros(dh), "W2": np.zeros((m, dh)), "b2": np.zeros(m)}
    history = {"train_loss": [len, object(), (i for i in range(3)), float("nan"), float("inf")],
               "train_error": np.linspace(1, 0, 2_000_000)}
    return params, history
