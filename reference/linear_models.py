"""Linear regression, logistic regression, softmax regression and perceptron.

Examples are rows: X has shape (n, d). A caller who wants a bias in linear
regression appends a column of ones to X.
"""
import numpy as np

try:
    from .calculus import binary_logistic_loss, cross_entropy, cross_entropy_grad, sigmoid
except ImportError:
    from calculus import binary_logistic_loss, cross_entropy, cross_entropy_grad, sigmoid


# ---------------------------------------------------------------- linear regression

def mse_cost(X, y, w):
    """Mean squared error cost: (1/(2n)) ||Xw - y||^2.

    X: (n, d), y: (n,), w: (d,) -> float.
    """
    X, y, w = (np.asarray(a, dtype=float) for a in (X, y, w))
    r = X @ w - y
    return float(r @ r) / (2 * X.shape[0])


def mse_grad(X, y, w):
    """Gradient of mse_cost w.r.t. w: (1/n) X^T (Xw - y), shape (d,)."""
    X, y, w = (np.asarray(a, dtype=float) for a in (X, y, w))
    return X.T @ (X @ w - y) / X.shape[0]


def normal_equations(X, y, l2=0.0):
    """Closed-form (ridge) least squares: w = (X^T X + l2 I)^-1 X^T y.

    Setting the gradient of (1/2)||Xw - y||^2 + (l2/2)||w||^2 to zero gives
    (X^T X + l2 I) w = X^T y, which we solve (never form the inverse).
    X: (n, d), y: (n,) -> w: (d,).
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    A = X.T @ X + l2 * np.eye(X.shape[1])
    return np.linalg.solve(A, X.T @ y)


def max_learning_rate(X):
    """Largest stable step size of full-batch GD on mse_cost: 2 / lambda_max(X^T X / n).

    GD on the quadratic mse_cost multiplies the error w - w* by (I - lr H),
    H = X^T X / n, so it converges iff |1 - lr lambda| < 1 for every
    eigenvalue lambda of H, i.e. 0 < lr < 2 / lambda_max.
    """
    X = np.asarray(X, dtype=float)
    H = X.T @ X / X.shape[0]
    return 2.0 / np.linalg.eigvalsh(H)[-1]  # eigvalsh sorts ascending


def linear_regression_gd(X, y, lr, n_steps, w0=None):
    """Full-batch gradient descent on mse_cost: w <- w - lr * mse_grad(X, y, w).

    Starts from w0 (zeros of shape (d,) if None; w0 itself is not modified).
    Returns (w, costs), costs: (n_steps + 1,) -- the cost before each step
    and after the last one.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=float)
    costs = [mse_cost(X, y, w)]
    for _ in range(n_steps):
        w = w - lr * mse_grad(X, y, w)
        costs.append(mse_cost(X, y, w))
    return w, np.array(costs)


# ---------------------------------------------------------------- logistic regression

def logreg_predict_proba(X, w, b):
    """P(y = 1 | x) for each row: sigma(Xw + b), shape (n,)."""
    X, w = np.asarray(X, dtype=float), np.asarray(w, dtype=float)
    return sigmoid(X @ w + b)


def logreg_cost(X, y, w, b):
    """Mean binary logistic loss of the logits z = Xw + b (y in {0, 1}), float."""
    X, w = np.asarray(X, dtype=float), np.asarray(w, dtype=float)
    return float(np.mean(binary_logistic_loss(X @ w + b, y)))


def logreg_grad(X, y, w, b):
    """Gradient of logreg_cost: with r = sigma(Xw + b) - y (shape (n,)),

    dw = (1/n) X^T r  (shape (d,)),   db = (1/n) sum_i r_i  (float).
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    r = logreg_predict_proba(X, w, b) - y
    return X.T @ r / X.shape[0], float(np.mean(r))


def accuracy(y_true, y_pred):
    """Fraction of positions where y_true == y_pred, float in [0, 1]."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


# ---------------------------------------------------------------- softmax regression

def linear_trsf(X, W, b):
    """Affine map to logits: Z = X W^T + b.  X: (n, d), W: (m, d), b: (m,) -> (n, m)."""
    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))
    return X @ W.T + b


def softmax_regression_predict(X, W, b):
    """Predicted class per row: argmax_k (X W^T + b)[i, k], shape (n,)."""
    return np.argmax(linear_trsf(X, W, b), axis=1)


def cost_ce(X, y, W, b):
    """Mean cross-entropy (1/n) sum_i -log softmax(X W^T + b)[i, y_i], float."""
    return float(np.mean(cross_entropy(linear_trsf(X, W, b), y)))


def softmax_regression_grad(X, y, W, b):
    """Gradient of cost_ce.  With G = (softmax(Z) - onehot(y)) / n, shape (n, m):

    dW = G^T X  (m, d),   db = sum_i G[i]  (m,).
    """
    X = np.asarray(X, dtype=float)
    G = cross_entropy_grad(linear_trsf(X, W, b), y) / X.shape[0]
    return G.T @ X, G.sum(axis=0)


def train_softmax_regression(X, y, m, lr, epochs, batch_size, rng):
    """Mini-batch SGD on cost_ce from W = 0 (m, d), b = 0 (m,).

    Each epoch draws a new order with rng.permutation(n) and takes one step
    W <- W - lr dW, b <- b - lr db per batch of batch_size examples (the
    last batch may be smaller).  Returns (W, b, costs) with costs[e] the
    cost_ce on all of X after epoch e.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    n, d = X.shape
    W, b = np.zeros((m, d)), np.zeros(m)
    costs = []
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            # A batch is a set: sorting it changes no math, and makes
            # batch_size >= n bit-for-bit the same as full-batch GD on X.
            batch = np.sort(order[start:start + batch_size])
            dW, db = softmax_regression_grad(X[batch], y[batch], W, b)
            W, b = W - lr * dW, b - lr * db
        costs.append(cost_ce(X, y, W, b))
    return W, b, costs


# ---------------------------------------------------------------- perceptron

def perceptron_update(W, x, y):
    """One multi-class perceptron step on example (x, y); returns a new W.

    y_hat = argmax_k (W x)_k (first index on ties).  If y_hat != y:
    W[y] += x and W[y_hat] -= x; otherwise W is returned unchanged (as a copy).
    W: (m, d), x: (d,), y: int.
    """
    W = np.array(W, dtype=float)  # a copy: the caller's W is not modified
    x = np.asarray(x, dtype=float)
    y_hat = int(np.argmax(W @ x))
    if y_hat != int(y):
        W[int(y)] += x
        W[y_hat] -= x
    return W


def train_perceptron(X, y, m, epochs):
    """Multi-class perceptron: `epochs` passes over (X, y) in the given order,
    starting from W = 0 (m, d); returns W."""
    X = np.asarray(X, dtype=float)
    W = np.zeros((m, X.shape[1]))
    for _ in range(epochs):
        for x_i, y_i in zip(X, y):
            W = perceptron_update(W, x_i, y_i)
    return W
