"""Homework part 2 -- loops over examples, lists for the histories."""
import math

import numpy as np

from calculus import cross_entropy, sigmoid, softmax


def _dot(a, b):
    return float(np.dot(np.asarray(a, dtype=float), np.asarray(b, dtype=float)))


# linear regression

def mse_cost(X, y, w):
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    total = 0.0
    for i in range(n):
        r = _dot(X[i], w) - float(y[i])
        total += r * r
    return total / (2 * n)


def mse_grad(X, y, w):
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    g = np.zeros(d)
    for i in range(n):
        r = _dot(X[i], w) - float(y[i])
        for j in range(d):
            g[j] += r * X[i, j]
    return g / n


def normal_equations(X, y, l2=0.0):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    d = X.shape[1]
    A = X.T @ X
    for j in range(d):
        A[j, j] += l2
    return np.linalg.solve(A, X.T @ y)


def max_learning_rate(X):
    X = np.asarray(X, dtype=float)
    H = X.T @ X / X.shape[0]
    return 2.0 / max(np.linalg.eigvalsh(H))


def linear_regression_gd(X, y, lr, n_steps, w0=None):
    X = np.asarray(X, dtype=float)
    if w0 is None:
        w = np.zeros(X.shape[1])
    else:
        w = np.array(w0, dtype=float, copy=True)
    costs = [mse_cost(X, y, w)]
    for step in range(n_steps):
        g = mse_grad(X, y, w)
        w = w - lr * g
        costs.append(mse_cost(X, y, w))
    return w, costs


# logistic regression

def logreg_predict_proba(X, w, b):
    X = np.asarray(X, dtype=float)
    z = np.array([_dot(row, w) + float(b) for row in X])
    return sigmoid(z)


def logreg_cost(X, y, w, b):
    X = np.asarray(X, dtype=float)
    total = 0.0
    for i in range(X.shape[0]):
        z = _dot(X[i], w) + float(b)
        # -log sigma(z) = softplus(-z), -log(1 - sigma(z)) = softplus(z)
        if y[i] == 1:
            t = -z
        else:
            t = z
        total += max(t, 0.0) + math.log1p(math.exp(-abs(t)))
    return total / X.shape[0]


def logreg_grad(X, y, w, b):
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    p = logreg_predict_proba(X, w, b)
    dw = np.zeros(d)
    db = 0.0
    for i in range(n):
        r = p[i] - float(y[i])
        dw += r * X[i]
        db += r
    return dw / n, db / n


def accuracy(y_true, y_pred):
    y_true = list(np.asarray(y_true).reshape(-1))
    y_pred = list(np.asarray(y_pred).reshape(-1))
    hits = 0
    for a, b in zip(y_true, y_pred):
        if a == b:
            hits += 1
    return hits / len(y_true)


# softmax regression

def linear_trsf(X, W, b):
    X = np.asarray(X, dtype=float)
    W = np.asarray(W, dtype=float)
    out = np.zeros((X.shape[0], W.shape[0]))
    for i in range(X.shape[0]):
        for k in range(W.shape[0]):
            out[i, k] = _dot(X[i], W[k]) + float(b[k])
    return out


def _argmax(values):
    best = 0
    for k in range(1, len(values)):
        if values[k] > values[best]:
            best = k
    return best


def softmax_regression_predict(X, W, b):
    Z = linear_trsf(X, W, b)
    return np.array([_argmax(row) for row in Z], dtype=int)


def cost_ce(X, y, W, b):
    losses = cross_entropy(linear_trsf(X, W, b), y)
    return sum(float(v) for v in losses) / len(losses)


def softmax_regression_grad(X, y, W, b):
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    S = softmax(linear_trsf(X, W, b))
    m = S.shape[1]
    dW = np.zeros((m, X.shape[1]))
    db = np.zeros(m)
    for i in range(n):
        r = S[i].copy()
        r[int(y[i])] -= 1.0
        for k in range(m):
            dW[k] += r[k] * X[i]
            db[k] += r[k]
    return dW / n, db / n


def train_softmax_regression(X, y, m, lr, epochs, batch_size, rng):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    n, d = X.shape
    W = np.zeros((m, d))
    b = np.zeros(m)
    costs = []
    for epoch in range(epochs):
        order = rng.permutation(n)
        start = 0
        while start < n:
            idx = order[start:start + batch_size]
            dW, db = softmax_regression_grad(X[idx], y[idx], W, b)
            W = W - lr * dW
            b = b - lr * db
            start += batch_size
        costs.append(cost_ce(X, y, W, b))
    return W, b, costs


# perceptron

def perceptron_update(W, x, y):
    W = np.array(W, dtype=float, copy=True)
    scores = [_dot(row, x) for row in W]
    guess = _argmax(scores)
    y = int(y)
    if guess != y:
        for j in range(W.shape[1]):
            W[y, j] += x[j]
            W[guess, j] -= x[j]
    return W


def train_perceptron(X, y, m, epochs):
    X = np.asarray(X, dtype=float)
    W = np.zeros((m, X.shape[1]))
    for epoch in range(epochs):
        for i in range(X.shape[0]):
            W = perceptron_update(W, X[i], y[i])
    return W
