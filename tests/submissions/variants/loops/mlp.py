"""Homework part 3 -- one hidden layer MLP, backprop by hand."""
import math

import numpy as np

from calculus import onehot

HYPERPARAMS = {"dh": 64, "lr": 0.1, "epochs": 6, "batch_size": 50, "reg": (0.0, 0.0, 0.0, 0.0)}


def init_params(d, dh, m, rng):
    bound1 = 1.0 / math.sqrt(d)
    bound2 = 1.0 / math.sqrt(dh)
    W1 = rng.uniform(-bound1, bound1, size=(dh, d))
    W2 = rng.uniform(-bound2, bound2, size=(m, dh))
    return {"W1": W1, "b1": np.zeros(dh), "W2": W2, "b2": np.zeros(m)}


def _softmax_rows(a):
    a = a - a.max(axis=1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=1, keepdims=True)


def fprop(params, X):
    X = np.asarray(X, dtype=np.float64)
    ha = X @ params["W1"].T + params["b1"]
    hs = np.maximum(ha, 0.0)
    oa = hs @ params["W2"].T + params["b2"]
    return {"ha": ha, "hs": hs, "oa": oa, "os": _softmax_rows(oa)}


def _penalty(params, reg):
    l11, l12, l21, l22 = reg
    W1, W2 = params["W1"], params["W2"]
    return (l11 * np.sum(np.abs(W1)) + l12 * np.sum(W1 * W1)
            + l21 * np.sum(np.abs(W2)) + l22 * np.sum(W2 * W2))


def _mean_ce(oa, y):
    top = oa.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.sum(np.exp(oa - top), axis=1))
    picked = np.array([oa[i, int(y[i])] for i in range(oa.shape[0])])
    return float(np.mean(lse - picked))


def loss(params, X, y, reg=(0, 0, 0, 0)):
    oa = fprop(params, X)["oa"]
    return _mean_ce(oa, y) + float(_penalty(params, reg))


def _penalty_grads(params, reg):
    l11, l12, l21, l22 = reg
    W1, W2 = params["W1"], params["W2"]
    return (l11 * np.sign(W1) + 2.0 * l12 * W1, l21 * np.sign(W2) + 2.0 * l22 * W2)


def bprop(params, X, y, reg=(0, 0, 0, 0)):
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    f = fprop(params, X)
    g_oa = (f["os"] - onehot(y, params["W2"].shape[0])) / n
    g_hs = g_oa @ params["W2"]
    g_ha = g_hs * (f["ha"] > 0)
    p1, p2 = _penalty_grads(params, reg)
    return {"W2": g_oa.T @ f["hs"] + p2, "b2": g_oa.sum(axis=0),
            "W1": g_ha.T @ X + p1, "b1": g_ha.sum(axis=0), "X": g_ha @ params["W1"]}


def bprop_loop(params, X, y, reg=(0, 0, 0, 0)):
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    m, dh = W2.shape
    gW1 = np.zeros(W1.shape)
    gb1 = np.zeros(dh)
    gW2 = np.zeros(W2.shape)
    gb2 = np.zeros(m)
    gX = np.zeros(X.shape)
    for i in range(n):
        x = X[i]
        ha = W1 @ x + b1
        hs = np.maximum(ha, 0.0)
        oa = W2 @ hs + b2
        e = np.exp(oa - oa.max())
        os = e / e.sum()
        g_oa = os.copy()
        g_oa[int(y[i])] -= 1.0
        g_oa /= n
        for k in range(m):
            gW2[k] += g_oa[k] * hs
            gb2[k] += g_oa[k]
        g_ha = (W2.T @ g_oa) * (ha > 0)
        for j in range(dh):
            gW1[j] += g_ha[j] * x
            gb1[j] += g_ha[j]
        gX[i] = W1.T @ g_ha
    p1, p2 = _penalty_grads(params, reg)
    return {"W1": gW1 + p1, "b1": gb1, "W2": gW2 + p2, "b2": gb2, "X": gX}


def finite_difference(f, params, eps=1e-5):
    # perturb copies, so the caller's arrays are never touched
    grads = {}
    for key in params:
        original = np.asarray(params[key])
        g = np.zeros(original.shape)
        for idx in np.ndindex(original.shape):
            plus = dict(params)
            minus = dict(params)
            plus[key] = np.array(original, dtype=float, copy=True)
            minus[key] = np.array(original, dtype=float, copy=True)
            plus[key][idx] += eps
            minus[key][idx] -= eps
            g[idx] = (f(plus) - f(minus)) / (2.0 * eps)
        grads[key] = g
    return grads


def predict(params, X):
    X = np.asarray(X)
    labels = []
    for start in range(0, X.shape[0], 1000):
        oa = fprop(params, X[start:start + 1000])["oa"]
        for row in oa:
            labels.append(int(np.argmax(row)))
    return np.array(labels, dtype=int)


def _evaluate(params, X, y, reg):
    total = 0.0
    wrong = 0
    n = X.shape[0]
    for start in range(0, n, 1000):
        oa = fprop(params, X[start:start + 1000])["oa"]
        yb = y[start:start + 1000]
        total += _mean_ce(oa, yb) * len(yb)
        wrong += int(np.sum(np.argmax(oa, axis=1) != yb))
    return total / n + float(_penalty(params, reg)), wrong / n


def train_mlp(X, y, dh, lr, epochs, batch_size, reg=(0, 0, 0, 0), rng=None,
              X_valid=None, y_valid=None):
    if rng is None:
        rng = np.random.default_rng()
    X = np.asarray(X)
    y = np.asarray(y).astype(int)
    n, d = X.shape
    m = int(y.max()) + 1
    params = init_params(d, dh, m, rng)
    history = {"train_loss": [], "train_error": []}
    if X_valid is not None:
        history["valid_loss"] = []
        history["valid_error"] = []
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            grads = bprop(params, X[idx].astype(np.float64), y[idx], reg)
            for key in ("W1", "b1", "W2", "b2"):
                params[key] = params[key] - lr * grads[key]
        loss_value, error = _evaluate(params, X, y, reg)
        history["train_loss"].append(loss_value)
        history["train_error"].append(error)
        if X_valid is not None:
            loss_value, error = _evaluate(params, np.asarray(X_valid), np.asarray(y_valid).astype(int), reg)
            history["valid_loss"].append(loss_value)
            history["valid_error"].append(error)
    return params, history
