"""The checks of linear_models.py."""
import numpy as np

from autograder.judge.numerics import numerical_gradient
from autograder.student.checks.expect import (as_floats, copies, expect_close, expect_finite, expect_shape, fmt,
                                              require, strict, unchanged)
from autograder.student.checks.inputs import blobs
from autograder.student.checks.registry import check


def regression_data(seed=11, n=20, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return X, y


@check("linear_models", "mse_cost", "mse_grad")
def mse_grad_matches_finite_differences(m):
    """mse_cost / mse_grad: a float >= 0, and the gradient matches finite differences"""
    X, y = regression_data()
    w = np.random.default_rng(12).normal(size=3)
    cost = float(np.asarray(m.mse_cost(X, y, w)))
    require(np.ndim(m.mse_cost(X, y, w)) == 0, "mse_cost must return a single number")
    require(cost >= 0, f"mse_cost must be >= 0; got {cost}")
    before = copies(X=X, y=y, w=w)
    g = m.mse_grad(X, y, w)
    unchanged(before, {"X": X, "y": y, "w": w}, "mse_grad")
    expect_close(g, numerical_gradient(lambda t: m.mse_cost(X, y, t), w), "mse_grad(X, y, w)", rtol=1e-5, atol=1e-7,
                 hint="the gradient of (1/(2n)) ||Xw - y||^2 is (1/n) X^T (Xw - y)")


@check("linear_models", "normal_equations")
def normal_equations_solve_the_system(m):
    """normal_equations: (X^T X + l2 I) w = X^T y, for l2 = 0 and l2 = 0.5"""
    X, y = regression_data()
    for l2 in (0.0, 0.5):
        w = expect_shape(m.normal_equations(X, y, l2=l2), (3,), f"normal_equations(X, y, l2={l2})")
        expect_close((X.T @ X + l2 * np.eye(3)) @ w, X.T @ y, f"(X^T X + l2 I) w for l2={l2}", rtol=1e-6, atol=1e-8)
    expect_shape(m.normal_equations(X, y), (3,), "normal_equations(X, y) (l2 defaults to 0)")


@check("linear_models", "max_learning_rate", "mse_grad")
def max_learning_rate_separates_convergence_from_divergence(m):
    """max_learning_rate: gradient descent converges just below it and diverges just above"""
    X, y = regression_data(13, n=30, d=3)
    lr_max = float(np.asarray(m.max_learning_rate(X)))
    require(np.isfinite(lr_max) and lr_max > 0, f"max_learning_rate must be a positive number; got {lr_max}")

    def grad_norm_after(lr, steps=600):
        w = np.zeros(3)
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(steps):
                w = w - lr * np.asarray(m.mse_grad(X, y, w), dtype=float)
            return np.linalg.norm(np.asarray(m.mse_grad(X, y, w), dtype=float))
    start = np.linalg.norm(np.asarray(m.mse_grad(X, y, np.zeros(3)), dtype=float))
    below, above = grad_norm_after(0.95 * lr_max), grad_norm_after(1.05 * lr_max)
    require(below < 1e-3 * start, f"gradient descent with lr = 0.95 * max_learning_rate(X) = {0.95 * lr_max:.4g} "
            f"does not converge (gradient norm {start:.3g} -> {below:.3g}): your value is too large "
            "(this check uses your mse_grad)")
    require(not above < start, f"gradient descent with lr = 1.05 * max_learning_rate(X) = {1.05 * lr_max:.4g} "
            "still converges: your value is too small (2 / largest eigenvalue of X^T X / n)")


@check("linear_models", "linear_regression_gd", "mse_cost", "mse_grad")
def linear_regression_gd_steps_and_costs(m):
    """linear_regression_gd: n_steps + 1 costs, first step is w0 - lr * grad, costs decrease"""
    X, y = regression_data()
    w0 = np.array([0.5, -0.5, 1.0])
    before = copies(w0=w0)
    w, costs = m.linear_regression_gd(X, y, 0.05, 30, w0=w0)
    unchanged(before, {"w0": w0}, "linear_regression_gd")
    w = expect_shape(w, (3,), "w returned by linear_regression_gd")
    costs = expect_shape(costs, (31,), "costs of linear_regression_gd(..., n_steps=30)")
    expect_close(costs[0], m.mse_cost(X, y, w0), "costs[0] (the cost at w0)")
    expect_close(costs[-1], m.mse_cost(X, y, w), "costs[-1] (the cost at the returned w)")
    require(np.all(np.diff(costs) <= 1e-12), f"costs must decrease with a small lr; got {fmt(costs)}")
    w1, _ = m.linear_regression_gd(X, y, 0.05, 1, w0=w0)
    expect_close(w1, w0 - 0.05 * np.asarray(m.mse_grad(X, y, w0), dtype=float), "w after one step")
    w_zero, costs_zero = m.linear_regression_gd(X, y, 0.05, 0)
    expect_close(w_zero, np.zeros(3), "w after 0 steps with w0=None (zeros)")


@check("linear_models", "logreg_predict_proba", "logreg_cost", "logreg_grad")
def logistic_regression_probabilities_and_gradient(m):
    """logistic regression: probabilities in [0, 1], gradient matches finite differences"""
    rng = np.random.default_rng(14)
    X = rng.normal(size=(12, 3))
    y = (rng.random(12) < 0.5).astype(int)
    w, b = rng.normal(size=3), 0.3
    p = expect_shape(m.logreg_predict_proba(X, w, b), (12,), "logreg_predict_proba(X, w, b)")
    require(np.all((p >= 0) & (p <= 1)), f"probabilities must be in [0, 1]; got {fmt(p)}")
    cost = float(np.asarray(m.logreg_cost(X, y, w, b)))
    require(cost > 0, f"logreg_cost must be > 0 here; got {cost}")
    dw, db = m.logreg_grad(X, y, w, b)
    expect_close(dw, numerical_gradient(lambda t: m.logreg_cost(X, y, t, b), w), "dw of logreg_grad",
                 rtol=1e-5, atol=1e-7,
                 hint="mean over examples: (1/n) X^T (sigma(Xw + b) - y)")
    expect_close(np.asarray(db, dtype=float).reshape(()), numerical_gradient(lambda t: m.logreg_cost(X, y, w, t[0]),
                 np.array([b]))[0], "db of logreg_grad", rtol=1e-5, atol=1e-7)
    with strict("logreg_cost"):
        expect_finite(m.logreg_cost(X * 1e4, y, w, b), "logreg_cost with |Xw| near 1e4")


@check("linear_models", "accuracy")
def accuracy_is_the_fraction_equal(m):
    """accuracy: fraction of equal entries"""
    expect_close(m.accuracy(np.array([0, 1, 2, 3]), np.array([0, 1, 0, 0])), 0.5, "accuracy([0,1,2,3], [0,1,0,0])")
    expect_close(m.accuracy(np.array([1, 1]), np.array([1, 1])), 1.0, "accuracy(y, y)")


@check("linear_models", "linear_trsf", "softmax_regression_predict")
def softmax_regression_scores_and_prediction(m):
    """softmax regression: linear_trsf has shape (n, m), predict is its argmax"""
    rng = np.random.default_rng(15)
    X, W, b = rng.normal(size=(6, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    z = expect_shape(m.linear_trsf(X, W, b), (6, 3), "linear_trsf(X, W, b) for X (6, 4), W (3, 4)")
    expect_close(m.linear_trsf(np.zeros((2, 4)), W, b), np.tile(b, (2, 1)), "linear_trsf(0, W, b) (must be b)")
    expect_close(np.asarray(m.linear_trsf(X, W, b), dtype=float) - np.asarray(m.linear_trsf(X, W, 0 * b), dtype=float),
                 np.tile(b, (6, 1)), "linear_trsf(X, W, b) - linear_trsf(X, W, 0)")
    pred = expect_shape(m.softmax_regression_predict(X, W, b), (6,), "softmax_regression_predict(X, W, b)")
    require(np.array_equal(pred, z.argmax(axis=1)), f"softmax_regression_predict must be the argmax over classes "
            f"of linear_trsf; got {fmt(pred)}, argmax of your linear_trsf is {fmt(z.argmax(axis=1))}")


@check("linear_models", "cost_ce", "softmax_regression_grad")
def softmax_regression_cost_and_gradient(m):
    """softmax regression: cost_ce is ln(m) at zero weights, gradient matches finite differences"""
    rng = np.random.default_rng(16)
    X, y = rng.normal(size=(7, 3)), np.array([0, 1, 2, 3, 0, 1, 2])
    W, b = rng.normal(size=(4, 3)), rng.normal(size=4)
    expect_close(m.cost_ce(X, y, np.zeros((4, 3)), np.zeros(4)), np.log(4), "cost_ce at W = 0, b = 0 (ln 4)",
                 hint="the mean, not the sum, over examples")
    dW, db = m.softmax_regression_grad(X, y, W, b)
    expect_close(dW, numerical_gradient(lambda t: m.cost_ce(X, y, t, b), W), "dW of softmax_regression_grad",
                 rtol=1e-5, atol=1e-7)
    expect_close(db, numerical_gradient(lambda t: m.cost_ce(X, y, W, t), b), "db of softmax_regression_grad",
                 rtol=1e-5, atol=1e-7)


@check("linear_models", "train_softmax_regression", "cost_ce")
def train_softmax_regression_costs_and_reproducibility(m):
    """train_softmax_regression: shapes, one cost per epoch, costs decrease, same rng seed = same result"""
    X, y = blobs(np.random.default_rng(17), 20, [[0, 2], [2, 0], [-2, -2]])
    W, b, costs = m.train_softmax_regression(X, y, 3, 0.1, 8, 10, np.random.default_rng(0))
    W = expect_shape(W, (3, 2), "W of train_softmax_regression")
    b = expect_shape(b, (3,), "b of train_softmax_regression")
    costs = expect_shape(costs, (8,), "costs of train_softmax_regression (one per epoch, 8 epochs)")
    expect_close(costs[-1], m.cost_ce(X, y, W, b), "costs[-1] (cost_ce on all of X after the last epoch)")
    require(costs[-1] < costs[0] < np.log(3), f"costs must decrease (from below ln 3); got {fmt(costs)}")
    W2, b2, _ = m.train_softmax_regression(X, y, 3, 0.1, 8, 10, np.random.default_rng(0))
    expect_close(W2, W, "W of a second run with the same rng seed",
                 hint="use only the rng argument for randomness")


@check("linear_models", "train_softmax_regression", "softmax_regression_grad")
def train_softmax_regression_full_batch_epoch_is_one_step(m):
    """train_softmax_regression: with batch_size = n, one epoch is one gradient step from zeros"""
    X = np.random.default_rng(18).normal(size=(7, 2))
    y = np.array([0, 0, 0, 0, 1, 1, 2])  # unbalanced, so that the bias gradient is not 0
    W, b, _ = m.train_softmax_regression(X, y, 3, 0.5, 1, len(X), np.random.default_rng(0))
    dW, db = m.softmax_regression_grad(X, y, np.zeros((3, 2)), np.zeros(3))
    expect_close(W, -0.5 * as_floats(dW, "dW of softmax_regression_grad"), "W after one full-batch epoch (lr = 0.5)",
                 hint="from W = 0, one step W <- W - lr * dW")
    expect_close(b, -0.5 * as_floats(db, "db of softmax_regression_grad"), "b after one full-batch epoch (lr = 0.5)",
                 hint="from b = 0, one step b <- b - lr * db (minus: downhill)")


@check("linear_models", "perceptron_update")
def perceptron_update_moves_the_right_rows(m):
    """perceptron_update: unchanged when right, rows y and y_hat move when wrong, input not modified"""
    x = np.array([1.0, 2.0, -1.0])
    W = np.zeros((3, 3))
    before = copies(W=W)
    new = expect_shape(m.perceptron_update(W, x, 2), (3, 3), "perceptron_update(W, x, y)")
    unchanged(before, {"W": W}, "perceptron_update")
    expect_close(new, np.array([-x, 0 * x, x]), "perceptron_update(zeros, x, 2)",
                 hint="with all scores tied the prediction is class 0 (first index): row 2 += x, row 0 -= x")
    expect_close(m.perceptron_update(new, x, 2), new, "perceptron_update when the prediction is right",
                 hint="no update when argmax(W x) == y")


@check("linear_models", "train_perceptron", "perceptron_update")
def train_perceptron_replays_updates_and_separates(m):
    """train_perceptron: one epoch = updates in order from zeros; separable data gets fully learned"""
    X, y = blobs(np.random.default_rng(18), 10, [[0, 3, 1], [3, 0, 1], [-3, -3, 1]], spread=0.5)
    before = copies(X=X)
    W = np.zeros((3, 3))
    for xi, yi in zip(X, y):
        W = np.asarray(m.perceptron_update(W, xi, int(yi)), dtype=float)
    expect_close(m.train_perceptron(X, y, 3, 1), W, "train_perceptron(X, y, 3, epochs=1)")
    unchanged(before, {"X": X}, "train_perceptron")
    W = expect_shape(m.train_perceptron(X, y, 3, 20), (3, 3), "train_perceptron(X, y, 3, 20)")
    require(np.mean((X @ W.T).argmax(axis=1) == y) == 1.0, "after 20 epochs on separable data every example "
            "should be classified right")
