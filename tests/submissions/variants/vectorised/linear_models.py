"""Part 2, vectorised; histories are returned as lists."""
import numpy as np

from calculus import log_softmax, onehot, sigmoid, softmax, softplus


def mse_cost(X, y, w):
    return 0.5 * np.mean((np.asarray(X, dtype=np.float64) @ w - y) ** 2)


def mse_grad(X, y, w):
    X = np.asarray(X, dtype=np.float64)
    return X.T @ (X @ w - y) / len(X)


def normal_equations(X, y, l2=0.0):
    # ridge regression as an ordinary least-squares problem on an augmented system:
    # minimise ||Xw - y||^2 + l2 ||w||^2 = ||[X; sqrt(l2) I] w - [y; 0]||^2
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    d = X.shape[1]
    A = np.vstack([X, np.sqrt(l2) * np.eye(d)])
    t = np.concatenate([y, np.zeros(d)])
    return np.linalg.lstsq(A, t, rcond=None)[0]


def max_learning_rate(X):
    # lambda_max(X^T X / n) = sigma_max(X)^2 / n
    X = np.asarray(X, dtype=np.float64)
    return 2.0 * len(X) / np.linalg.norm(X, 2) ** 2


def linear_regression_gd(X, y, lr, n_steps, w0=None):
    w = np.zeros(np.shape(X)[1]) if w0 is None else np.asarray(w0, dtype=np.float64) + 0.0
    costs = []
    for _ in range(n_steps):
        costs.append(mse_cost(X, y, w))
        w = w - lr * mse_grad(X, y, w)
    costs.append(mse_cost(X, y, w))
    return w, costs


def logreg_predict_proba(X, w, b):
    return sigmoid(np.asarray(X, dtype=np.float64) @ w + b)


def logreg_cost(X, y, w, b):
    z = np.asarray(X, dtype=np.float64) @ w + b
    return np.mean(softplus(z) - y * z)


def logreg_grad(X, y, w, b):
    X = np.asarray(X, dtype=np.float64)
    r = logreg_predict_proba(X, w, b) - y
    return r @ X / len(X), r.mean()


def accuracy(y_true, y_pred):
    return np.mean(np.asarray(y_true) == np.asarray(y_pred))


def linear_trsf(X, W, b):
    return np.einsum("nd,md->nm", np.asarray(X, dtype=np.float64), W) + b


def softmax_regression_predict(X, W, b):
    return linear_trsf(X, W, b).argmax(axis=1)


def cost_ce(X, y, W, b):
    Z = log_softmax(linear_trsf(X, W, b))
    return -Z[np.arange(len(Z)), np.asarray(y, dtype=np.int64)].mean()


def softmax_regression_grad(X, y, W, b):
    X = np.asarray(X, dtype=np.float64)
    G = softmax(linear_trsf(X, W, b)) - onehot(y, np.shape(W)[0])
    return G.T @ X / len(X), G.mean(axis=0)


def train_softmax_regression(X, y, m, lr, epochs, batch_size, rng):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    W, b = np.zeros((m, X.shape[1])), np.zeros(m)
    index = np.arange(len(X))
    costs = []
    for _ in range(epochs):
        rng.shuffle(index)
        for batch in np.array_split(index, np.arange(batch_size, len(X), batch_size)):
            dW, db = softmax_regression_grad(X[batch], y[batch], W, b)
            W -= lr * dW
            b -= lr * db
        costs.append(cost_ce(X, y, W, b))
    return W, b, costs


def perceptron_update(W, x, y):
    W = np.array(W, dtype=np.float64)
    guess = np.argmax(W @ x)
    if guess != y:
        W[y] += x
        W[guess] -= x
    return W


def train_perceptron(X, y, m, epochs):
    W = np.zeros((m, np.shape(X)[1]))
    for _ in range(epochs):
        for xi, yi in zip(X, y):
            W = perceptron_update(W, xi, yi)
    return W
