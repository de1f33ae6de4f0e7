"""Hostile: nothing but plausible-looking constants of the right shapes (every answer is wrong).

A do-nothing submission must score 0: no test may give points for a property
that such code has for free (no warnings, input not modified, same seed same
result, right shape). Only the hyperparameter dicts, which are graded as
values, are well-formed here.
"""
import numpy as np
HYPERPARAMS = dict(dh=10, lr=0.1, epochs=1, batch_size=100, reg=(0, 0, 0, 0))
def init_params(d, dh, m, rng):
    return {"W1": np.full((dh, d), 0.0), "b1": np.zeros(dh), "W2": np.full((m, dh), 0.0), "b2": np.zeros(m)}
def fprop(params, X):
    n, dh, m = len(X), len(params["b1"]), len(params["b2"])
    return {"ha": np.full((n, dh), .4242), "hs": np.full((n, dh), .4242), "oa": np.full((n, m), .4242), "os": np.full((n, m), 1.0 / m)}
def loss(params, X, y, reg=(0, 0, 0, 0)): return 0.4242
def bprop(params, X, y, reg=(0, 0, 0, 0)):
    out = {k: np.full(np.shape(v), 0.4242) for k, v in params.items()}
    out["X"] = np.full(np.shape(X), 0.4242); return out
bprop_loop = bprop
def finite_difference(f, params, eps=1e-5): return {k: np.full(np.shape(v), 0.4242) for k, v in params.items()}
def predict(params, X): return np.zeros(len(X), dtype=int)
def train_mlp(X, y, dh, lr, epochs, batch_size, reg=(0, 0, 0, 0), rng=None, X_valid=None, y_valid=None):
    m = int(np.max(y)) + 1
    h = {"train_loss": [0.4242] * epochs, "train_error": [0.4242] * epochs}
    if X_valid is not None: h.update(valid_loss=[0.4242] * epochs, valid_error=[0.4242] * epochs)
    return init_params(np.shape(X)[1], dh, m, rng), h
