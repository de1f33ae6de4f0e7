import numpy as np

from calculus import binary_logistic_loss, cross_entropy, cross_entropy_grad, sigmoid
from utils import as_float, batches


def mse_cost(X, y, w):
    r = as_float(X) @ as_float(w) - as_float(y)
    return float(np.dot(r, r) / (2 * len(r)))


def mse_grad(X, y, w):
    X = as_float(X)
    return (X @ as_float(w) - as_float(y)) @ X / len(X)


def normal_equations(X, y, l2=0.0):
    X = as_float(X)
    # Cholesky of the (symmetric positive definite) regularised Gram matrix, two triangular solves
    A = X.T @ X + l2 * np.identity(X.shape[1])
    L = np.linalg.cholesky(A)
    z = np.linalg.solve(L, X.T @ as_float(y))
    return np.linalg.solve(L.T, z)


def max_learning_rate(X):
    X = as_float(X)
    return 2.0 / np.linalg.eigvalsh(X.T @ X / len(X)).max()


def linear_regression_gd(X, y, lr, n_steps, w0=None):
    w = np.zeros(np.shape(X)[1]) if w0 is None else as_float(w0)
    costs = np.empty(n_steps + 1)
    for t in range(n_steps):
        costs[t] = mse_cost(X, y, w)
        w -= lr * mse_grad(X, y, w)
    costs[n_steps] = mse_cost(X, y, w)
    return w, costs


def logreg_predict_proba(X, w, b):
    return sigmoid(as_float(X) @ as_float(w) + b)


def logreg_cost(X, y, w, b):
    return float(binary_logistic_loss(as_float(X) @ as_float(w) + b, y).mean())


def logreg_grad(X, y, w, b):
    X = as_float(X)
    r = logreg_predict_proba(X, w, b) - as_float(y)
    return X.T @ r / len(r), float(r.sum() / len(r))


def accuracy(y_true, y_pred):
    return float((np.asarray(y_true) == np.asarray(y_pred)).sum() / len(y_true))


def linear_trsf(X, W, b):
    return as_float(X) @ as_float(W).T + as_float(b)


def softmax_regression_predict(X, W, b):
    return np.argmax(linear_trsf(X, W, b), axis=-1)


def cost_ce(X, y, W, b):
    return float(cross_entropy(linear_trsf(X, W, b), y).mean())


def softmax_regression_grad(X, y, W, b):
    X = as_float(X)
    G = cross_entropy_grad(linear_trsf(X, W, b), y)
    return G.T @ X / len(X), G.sum(axis=0) / len(X)


def train_softmax_regression(X, y, m, lr, epochs, batch_size, rng):
    X, y = as_float(X), np.asarray(y)
    n, d = X.shape
    W, b = np.zeros((m, d)), np.zeros(m)
    costs = []
    for _ in range(epochs):
        order = rng.choice(n, size=n, replace=False)
        Xs, ys = X[order], y[order]
        for s in batches(n, batch_size):
            dW, db = softmax_regression_grad(Xs[s], ys[s], W, b)
            W = W - lr * dW
            b = b - lr * db
        costs.append(cost_ce(X, y, W, b))
    return W, b, costs


def perceptron_update(W, x, y):
    W = as_float(W)
    x = as_float(x)
    scores = W @ x
    guess = int(np.flatnonzero(scores == scores.max())[0])  # first index on ties
    if guess != y:
        W[y] = W[y] + x
        W[guess] = W[guess] - x
    return W


def train_perceptron(X, y, m, epochs):
    X = as_float(X)
    W = np.zeros((m, X.shape[1]))
    for _ in range(epochs):
        for i in range(len(X)):
            W = perceptron_update(W, X[i], int(y[i]))
    return W
