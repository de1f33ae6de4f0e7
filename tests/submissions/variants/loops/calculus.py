"""Homework part 1 -- written with plain Python loops over the entries.

Every function converts its input to a float array, walks over the entries
one by one with the math module, and builds a new array.
"""
import math

import numpy as np


def _elementwise(f, x):
    a = np.asarray(x, dtype=float)
    out = np.empty(a.shape)
    src = a.reshape(-1)
    dst = out.reshape(-1)
    for i in range(src.size):
        dst[i] = f(float(src[i]))
    return out


def _sig(t):
    # split by sign so that exp never overflows
    if t >= 0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


def _softplus(t):
    if t > 0:
        return t + math.log1p(math.exp(-t))
    return math.log1p(math.exp(t))


def _sign(t):
    if t > 0:
        return 1.0
    if t < 0:
        return -1.0
    return 0.0


def sigmoid(x):
    return _elementwise(_sig, x)


def sigmoid_prime(x):
    return _elementwise(lambda t: _sig(t) * _sig(-t), x)


def tanh_prime(x):
    return _elementwise(lambda t: 1.0 - math.tanh(t) ** 2, x)


def softplus(x):
    return _elementwise(_softplus, x)


def softplus_prime(x):
    return sigmoid(x)


def sign(x):
    return _elementwise(_sign, x)


def abs_prime(x):
    return _elementwise(_sign, x)


def relu(x):
    return _elementwise(lambda t: t if t > 0 else 0.0, x)


def relu_prime(x):
    return _elementwise(lambda t: 1.0 if t > 0 else 0.0, x)


def l2_squared_grad(x):
    return _elementwise(lambda t: 2.0 * t, x)


def l1_grad(x):
    return _elementwise(_sign, x)


def onehot(y, m):
    labels = [int(v) for v in np.asarray(y).reshape(-1)]
    out = np.zeros((len(labels), m))
    for i, label in enumerate(labels):
        out[i, label] = 1.0
    return out


def _rows(z):
    a = np.asarray(z, dtype=float)
    return a, a.reshape(-1, a.shape[-1])


def _log_sum_exp(row):
    top = max(row)
    total = 0.0
    for v in row:
        total += math.exp(v - top)
    return top + math.log(total)


def softmax(z):
    a, rows = _rows(z)
    out = np.empty(rows.shape)
    for i in range(rows.shape[0]):
        row = [float(v) for v in rows[i]]
        top = max(row)
        exps = [math.exp(v - top) for v in row]
        total = sum(exps)
        for k in range(len(row)):
            out[i, k] = exps[k] / total
    return out.reshape(a.shape)


def log_softmax(z):
    a, rows = _rows(z)
    out = np.empty(rows.shape)
    for i in range(rows.shape[0]):
        row = [float(v) for v in rows[i]]
        lse = _log_sum_exp(row)
        for k in range(len(row)):
            out[i, k] = row[k] - lse
    return out.reshape(a.shape)


def softmax_jacobian(z):
    a, rows = _rows(z)
    s = softmax(rows)
    K = rows.shape[1]
    out = np.zeros((rows.shape[0], K, K))
    for i in range(rows.shape[0]):
        for j in range(K):
            for k in range(K):
                delta = 1.0 if j == k else 0.0
                out[i, j, k] = s[i, j] * (delta - s[i, k])
    if a.ndim == 1:
        return out[0]
    return out.reshape(a.shape + (K,))


def binary_logistic_loss(z, y):
    za = np.asarray(z, dtype=float)
    ya = np.asarray(y, dtype=float)
    zs, ys = np.broadcast_arrays(za, ya)
    out = np.empty(zs.shape)
    for idx in np.ndindex(zs.shape):
        t, label = float(zs[idx]), float(ys[idx])
        out[idx] = label * _softplus(-t) + (1.0 - label) * _softplus(t)
    return out


def binary_logistic_loss_grad(z, y):
    za = np.asarray(z, dtype=float)
    ya = np.asarray(y, dtype=float)
    zs, ys = np.broadcast_arrays(za, ya)
    out = np.empty(zs.shape)
    for idx in np.ndindex(zs.shape):
        out[idx] = _sig(float(zs[idx])) - float(ys[idx])
    return out


def binary_logistic_loss_hess(z):
    return _elementwise(lambda t: _sig(t) * _sig(-t), z)


def cross_entropy(z, y):
    rows = np.asarray(z, dtype=float)
    labels = np.asarray(y).reshape(-1)
    out = np.empty(rows.shape[0])
    for i in range(rows.shape[0]):
        row = [float(v) for v in rows[i]]
        out[i] = _log_sum_exp(row) - row[int(labels[i])]
    return out


def cross_entropy_grad(z, y):
    s = softmax(z)
    labels = np.asarray(y).reshape(-1)
    for i in range(s.shape[0]):
        s[i, int(labels[i])] -= 1.0
    return s


def cross_entropy_hessian(z):
    return softmax_jacobian(z)
