"""Part 2 -- linear regression, logistic regression, softmax regression, perceptron.

Examples are rows: X (n, d).  Labels y (n,).  Return new arrays, never
modify inputs.  Randomness only through the `rng` argument
(a numpy.random.Generator).  Each gradient is the gradient of the exact
cost function it sits next to (a mean over the examples).
"""
import numpy as np

from calculus import binary_logistic_loss, cross_entropy, cross_entropy_grad, sigmoid


# ---------------------------------------------------------------- linear regression

def mse_cost(X, y, w):
    """Mean squared error: (1/(2n)) ||Xw - y||^2.  X (n, d), y (n,), w (d,) -> float."""
    raise NotImplementedError("mse_cost")


def mse_grad(X, y, w):
    """Gradient of mse_cost w.r.t. w, shape (d,).  Derive it: (1/n) X^T (Xw - y)."""
    raise NotImplementedError("mse_grad")


def normal_equations(X, y, l2=0.0):
    """Closed-form (ridge) least squares: w = (X^T X + l2 I)^-1 X^T y, shape (d,).

    Derive it by setting a gradient to zero.  Use np.linalg.solve on the
    linear system -- do NOT compute an inverse.
    """
    raise NotImplementedError("normal_equations")


def max_learning_rate(X):
    """2 / lambda_max(X^T X / n): full-batch GD on mse_cost converges iff
    0 < lr < this value.  Explain why in your report.
    Hint: X^T X / n is symmetric -- np.linalg.eigvalsh.
    """
    raise NotImplementedError("max_learning_rate")


def linear_regression_gd(X, y, lr, n_steps, w0=None):
    """Full-batch gradient descent on mse_cost: w <- w - lr * mse_grad(X, y, w).

    Start from w0 (zeros of shape (d,) if None; do not modify w0).
    Returns (w, costs): costs has n_steps + 1 entries -- the cost before each
    step and after the last one.
    """
    raise NotImplementedError("linear_regression_gd")


# ---------------------------------------------------------------- logistic regression

def logreg_predict_proba(X, w, b):
    """P(y = 1 | x) for each row: sigma(Xw + b), shape (n,).  b is a float."""
    raise NotImplementedError("logreg_predict_proba")


def logreg_cost(X, y, w, b):
    """Mean binary logistic loss of the logits Xw + b, y in {0, 1}; a float.
    Must be stable (reuse binary_logistic_loss)."""
    raise NotImplementedError("logreg_cost")


def logreg_grad(X, y, w, b):
    """Gradient of logreg_cost: returns (dw, db), dw (d,), db a float.  Derive it."""
    raise NotImplementedError("logreg_grad")


def accuracy(y_true, y_pred):
    """Fraction of positions where y_true == y_pred (a float in [0, 1])."""
    raise NotImplementedError("accuracy")


# ---------------------------------------------------------------- softmax regression

def linear_trsf(X, W, b):
    """Logits Z = X W^T + b.  X (n, d), W (m, d), b (m,) -> (n, m)."""
    raise NotImplementedError("linear_trsf")


def softmax_regression_predict(X, W, b):
    """Predicted class (argmax of the logits) per row, shape (n,)."""
    raise NotImplementedError("softmax_regression_predict")


def cost_ce(X, y, W, b):
    """Mean cross-entropy of softmax(linear_trsf(X, W, b)) against y; a float, stable."""
    raise NotImplementedError("cost_ce")


def softmax_regression_grad(X, y, W, b):
    """Gradient of cost_ce: returns (dW, db) with shapes (m, d) and (m,).

    Derive it with the chain rule and cross_entropy_grad; no loop over examples.
    """
    raise NotImplementedError("softmax_regression_grad")


def train_softmax_regression(X, y, m, lr, epochs, batch_size, rng):
    """Mini-batch SGD on cost_ce from W = 0 (m, d) and b = 0 (m,).

    Each epoch: shuffle with order = rng.permutation(n), then take one step
    W <- W - lr dW, b <- b - lr db per batch of batch_size examples (the last
    batch may be smaller).  Returns (W, b, costs) with costs[e] = cost_ce on
    ALL of X after epoch e.  With batch_size >= n this is plain full-batch GD.
    """
    raise NotImplementedError("train_softmax_regression")


# ---------------------------------------------------------------- perceptron

def perceptron_update(W, x, y):
    """One multi-class perceptron step; returns a NEW W (m, d) (copy it first).

    y_hat = argmax_k (W x)_k -- the FIRST index on ties (np.argmax does that).
    If y_hat != y: row y += x and row y_hat -= x.  Otherwise W is unchanged.
    """
    raise NotImplementedError("perceptron_update")


def train_perceptron(X, y, m, epochs):
    """W (m, d) after `epochs` passes over the examples in the given order,
    starting from zeros, calling perceptron_update on each example."""
    raise NotImplementedError("train_perceptron")
