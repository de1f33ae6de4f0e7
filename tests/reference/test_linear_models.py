"""reference/linear_models.py checked against torch autograd, lstsq and hand loops."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from .helpers import check_template_matches, load, strict, t

lm = load("linear_models")
RNG = np.random.default_rng(1)

FUNCTIONS = ["mse_cost", "mse_grad", "normal_equations", "max_learning_rate",
             "linear_regression_gd", "logreg_predict_proba", "logreg_cost", "logreg_grad",
             "accuracy", "linear_trsf", "softmax_regression_predict", "cost_ce",
             "softmax_regression_grad", "train_softmax_regression", "perceptron_update",
             "train_perceptron"]


def regression_data(n=40, d=5, rng=RNG):
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return X, y


def classification_data(n=60, d=4, m=3, rng=RNG):
    X = rng.normal(size=(n, d))
    y = np.argmax(X @ rng.normal(size=(d, m)) + 0.5 * rng.normal(size=(n, m)), axis=1)
    return X, y


def torch_ce_grads(X, y, W, b):
    """(cost, dW, db) of the mean cross-entropy of X W^T + b, by torch autograd."""
    Wt, bt = t(W, True), t(b, True)
    cost = F.cross_entropy(t(X) @ Wt.T + bt, torch.tensor(y))
    cost.backward()
    return cost.item(), Wt.grad.numpy(), bt.grad.numpy()


def test_template_matches_reference():
    check_template_matches("linear_models", FUNCTIONS)


# ---------------------------------------------------------------- linear regression

def test_mse_cost_and_grad_match_autograd():
    X, y = regression_data()
    w = RNG.normal(size=5)
    wt = t(w, True)
    cost = ((t(X) @ wt - t(y)) ** 2).sum() / (2 * len(y))
    cost.backward()
    assert isinstance(lm.mse_cost(X, y, w), float)
    np.testing.assert_allclose(lm.mse_cost(X, y, w), cost.item(), rtol=1e-13)
    np.testing.assert_allclose(lm.mse_grad(X, y, w), wt.grad.numpy(), rtol=1e-12)


def test_normal_equations_match_lstsq():
    X, y = regression_data()
    w = lm.normal_equations(X, y)
    np.testing.assert_allclose(w, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-10)
    np.testing.assert_allclose(lm.mse_grad(X, y, w), 0.0, atol=1e-12)


@pytest.mark.parametrize("l2", [0.1, 3.0, 100.0])
def test_ridge_matches_augmented_lstsq(l2):
    # min ||Xw - y||^2 + l2 ||w||^2  ==  least squares on [X; sqrt(l2) I] w ~ [y; 0]
    X, y = regression_data(n=12, d=6)
    X_aug = np.vstack([X, np.sqrt(l2) * np.eye(6)])
    y_aug = np.concatenate([y, np.zeros(6)])
    w = lm.normal_equations(X, y, l2=l2)
    np.testing.assert_allclose(w, np.linalg.lstsq(X_aug, y_aug, rcond=None)[0], rtol=1e-10)
    # and the ridge objective's gradient vanishes there (torch)
    wt = t(w, True)
    (((t(X) @ wt - t(y)) ** 2).sum() + l2 * (wt ** 2).sum()).backward()
    np.testing.assert_allclose(wt.grad.numpy(), 0.0, atol=1e-10)


def test_normal_equations_uses_solve_not_inv(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("np.linalg.inv must not be used")
    monkeypatch.setattr(np.linalg, "inv", forbidden)
    X, y = regression_data()
    lm.normal_equations(X, y, l2=1.0)


def test_max_learning_rate_value():
    X, _ = regression_data(n=30, d=4)
    sigma_max = np.linalg.svd(X, compute_uv=False)[0]
    np.testing.assert_allclose(lm.max_learning_rate(X), 2 * 30 / sigma_max ** 2, rtol=1e-12)


def test_gd_converges_just_below_max_lr_and_diverges_just_above():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 3)) * np.array([1.0, 1.5, 2.0])
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=50)
    best = lm.mse_cost(X, y, np.linalg.lstsq(X, y, rcond=None)[0])
    lr_max = lm.max_learning_rate(X)
    _, costs = lm.linear_regression_gd(X, y, 0.98 * lr_max, 3000)
    np.testing.assert_allclose(costs[-1], best, rtol=1e-9)
    _, costs = lm.linear_regression_gd(X, y, 1.02 * lr_max, 3000)
    assert costs[-1] > 1e10 * costs[0]


def test_linear_regression_gd_matches_hand_loop():
    X, y = regression_data()
    w0 = RNG.normal(size=5)
    w0_copy = w0.copy()
    w, costs = lm.linear_regression_gd(X, y, 0.1, 25, w0=w0)
    np.testing.assert_array_equal(w0, w0_copy)
    assert len(costs) == 26
    w_hand, costs_hand = w0.copy(), []
    for _ in range(25):
        costs_hand.append(np.sum((X @ w_hand - y) ** 2) / (2 * len(y)))
        w_hand = w_hand - 0.1 * X.T @ (X @ w_hand - y) / len(y)
    costs_hand.append(np.sum((X @ w_hand - y) ** 2) / (2 * len(y)))
    np.testing.assert_allclose(w, w_hand, rtol=1e-12)
    np.testing.assert_allclose(costs, costs_hand, rtol=1e-12)

    w, costs = lm.linear_regression_gd(X, y, 0.1, 0)
    np.testing.assert_array_equal(w, np.zeros(5))
    np.testing.assert_allclose(costs, [np.sum(y ** 2) / (2 * len(y))])


# ---------------------------------------------------------------- logistic regression

def test_logreg_matches_torch():
    X, yc = classification_data(m=2)
    y = yc.astype(float)
    w, b = RNG.normal(size=4), 0.3
    wt, bt = t(w, True), t(b, True)
    logits = t(X) @ wt + bt
    cost = F.binary_cross_entropy_with_logits(logits, t(y))
    cost.backward()
    np.testing.assert_allclose(lm.logreg_predict_proba(X, w, b), torch.sigmoid(logits).detach().numpy(),
                               rtol=1e-13)
    assert isinstance(lm.logreg_cost(X, y, w, b), float)
    np.testing.assert_allclose(lm.logreg_cost(X, y, w, b), cost.item(), rtol=1e-12)
    dw, db = lm.logreg_grad(X, y, w, b)
    assert dw.shape == (4,) and np.ndim(db) == 0
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(db, bt.grad.item(), rtol=1e-12)


def test_logreg_cost_stable_for_huge_logits():
    X = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    y = np.array([1.0, 1.0, 0.0, 0.0])
    with strict():
        cost = lm.logreg_cost(X, y, np.array([1e4]), 0.0)
        dw, db = lm.logreg_grad(X, y, np.array([1e4]), 0.0)
        p = lm.logreg_predict_proba(X, np.array([1e4]), 0.0)
    assert cost == 1e4 / 2 and np.all(np.isfinite(dw)) and np.isfinite(db)
    np.testing.assert_array_equal(p, [1.0, 0.0, 1.0, 0.0])


def test_accuracy():
    assert lm.accuracy(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2])) == 0.75
    assert lm.accuracy([1, 1], [0, 0]) == 0.0


# ---------------------------------------------------------------- softmax regression

def test_softmax_regression_matches_torch():
    X, y = classification_data()
    W, b = RNG.normal(size=(3, 4)), RNG.normal(size=3)
    Z = lm.linear_trsf(X, W, b)
    assert Z.shape == (60, 3)
    np.testing.assert_allclose(Z, X @ W.T + b, rtol=1e-15)
    np.testing.assert_array_equal(lm.softmax_regression_predict(X, W, b), np.argmax(X @ W.T + b, axis=1))
    cost, dW_t, db_t = torch_ce_grads(X, y, W, b)
    assert isinstance(lm.cost_ce(X, y, W, b), float)
    np.testing.assert_allclose(lm.cost_ce(X, y, W, b), cost, rtol=1e-12)
    dW, db = lm.softmax_regression_grad(X, y, W, b)
    assert dW.shape == (3, 4) and db.shape == (3,)
    np.testing.assert_allclose(dW, dW_t, rtol=1e-11, atol=1e-15)
    np.testing.assert_allclose(db, db_t, rtol=1e-11, atol=1e-15)


def test_cost_ce_stable():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    W = np.array([[1e4, 0.0], [-1e4, 0.0]])
    with strict():
        cost = lm.cost_ce(X, np.array([1, 0]), W, np.zeros(2))
        dW, db = lm.softmax_regression_grad(X, np.array([1, 0]), W, np.zeros(2))
    np.testing.assert_allclose(cost, (2e4 + np.log(2)) / 2, rtol=1e-15)
    assert np.all(np.isfinite(dW)) and np.all(np.isfinite(db))


def full_batch_gd_by_hand(X, y, m, lr, epochs):
    """Full-batch GD on the mean cross-entropy, gradients from torch autograd."""
    W, b, costs = np.zeros((m, X.shape[1])), np.zeros(m), []
    for _ in range(epochs):
        _, dW, db = torch_ce_grads(X, y, W, b)
        W, b = W - lr * dW, b - lr * db
        costs.append(torch_ce_grads(X, y, W, b)[0])
    return W, b, costs


@pytest.mark.parametrize("extra", [0, 7])
def test_train_softmax_regression_full_batch_is_gd(extra):
    X, y = classification_data()
    W_hand, b_hand, costs_hand = full_batch_gd_by_hand(X, y, 3, 0.5, 20)
    results = []
    for seed in (0, 1):
        W, b, costs = lm.train_softmax_regression(X, y, 3, 0.5, 20, len(y) + extra,
                                                  np.random.default_rng(seed))
        assert len(costs) == 20
        np.testing.assert_allclose(W, W_hand, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(b, b_hand, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(costs, costs_hand, rtol=1e-10)
        results.append((W, b))
    # deterministic: the rng's order does not matter when the batch is everything
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_train_softmax_regression_minibatches_follow_rng():
    X, y = classification_data(n=50)
    lr, epochs, bs = 0.3, 4, 8
    W, b, costs = lm.train_softmax_regression(X, y, 3, lr, epochs, bs, np.random.default_rng(42))
    # replay the same permutations with an independent loop and torch gradients
    rng = np.random.default_rng(42)
    W_hand, b_hand, costs_hand = np.zeros((3, 4)), np.zeros(3), []
    for _ in range(epochs):
        order = rng.permutation(50)
        for start in range(0, 50, bs):
            idx = order[start:start + bs]
            _, dW, db = torch_ce_grads(X[idx], y[idx], W_hand, b_hand)
            W_hand, b_hand = W_hand - lr * dW, b_hand - lr * db
        costs_hand.append(torch_ce_grads(X, y, W_hand, b_hand)[0])
    np.testing.assert_allclose(W, W_hand, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(b, b_hand, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(costs, costs_hand, rtol=1e-10)
    assert costs[-1] < np.log(3)


# ---------------------------------------------------------------- perceptron

def test_perceptron_hand_worked_example():
    # x1=(1,0), y=1: W x = 0 -> y_hat=0 (first on ties): W[1] += x1, W[0] -= x1
    # x2=(0,1), y=2: W x = (0,0,0) -> y_hat=0: W[2] += x2, W[0] -= x2
    # x3=(1,1), y=0: W x = (-2,1,1) -> y_hat=1 (tie 1/2): W[0] += x3, W[1] -= x3
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = np.array([1, 2, 0])
    steps = [np.zeros((3, 2))]
    for x_i, y_i in zip(X, y):
        steps.append(lm.perceptron_update(steps[-1], x_i, y_i))
    np.testing.assert_array_equal(steps[1], [[-1, 0], [1, 0], [0, 0]])
    np.testing.assert_array_equal(steps[2], [[-1, -1], [1, 0], [0, 1]])
    np.testing.assert_array_equal(steps[3], [[0, 0], [0, -1], [0, 1]])
    np.testing.assert_array_equal(steps[0], np.zeros((3, 2)))  # inputs untouched
    np.testing.assert_array_equal(lm.train_perceptron(X, y, 3, 1), steps[3])
    # second epoch: x1 -> W x = 0, y_hat=0 != 1; x2 -> (0,-1,1) correct; x3 -> (-1,0,1), y_hat=2 != 0
    np.testing.assert_array_equal(lm.train_perceptron(X, y, 3, 2), [[0, 1], [1, -1], [-1, 0]])


def test_perceptron_update_returns_new_array_even_when_correct():
    W = np.array([[1.0, 0.0], [0.0, 1.0]])
    W_copy = W.copy()
    new = lm.perceptron_update(W, np.array([2.0, 0.0]), 0)
    np.testing.assert_array_equal(new, W_copy)
    new[0, 0] = 99.0
    np.testing.assert_array_equal(W, W_copy)
    new = lm.perceptron_update(W, np.array([2.0, 0.0]), 1)
    np.testing.assert_array_equal(new, [[-1.0, 0.0], [2.0, 1.0]])
    np.testing.assert_array_equal(W, W_copy)


def test_perceptron_separates_separable_data():
    rng = np.random.default_rng(3)
    centers = np.array([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0]])
    y = rng.integers(0, 3, size=90)
    X = np.hstack([centers[y] + rng.normal(scale=0.5, size=(90, 2)), np.ones((90, 1))])
    W = lm.train_perceptron(X, y, 3, 20)
    assert lm.accuracy(y, np.argmax(X @ W.T, axis=1)) == 1.0
