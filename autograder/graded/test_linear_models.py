"""Part 2: linear_models.py — linear, logistic and softmax regression, perceptron (20 points)."""
import numpy as np

from autograder.judge.compare import assert_close, assert_number, assert_sequence, assert_true, score_cases
from autograder.judge import rounding
from autograder.judge.linear_models import (FD_ATOL, FD_RTOL, STABLE, blobs, check_costs_per_epoch,
                                            check_epoch_replays, check_gd_result, check_logreg_grad_fd,
                                            check_near_reference, check_pair, check_perceptron_update,
                                            check_reproducible, check_shuffled, check_shuffled_together,
                                            check_trained_close, logreg_grad_mistakes, ref_train, train, unpack)
from autograder.judge.numerics import numerical_gradient
from autograder.judge.properties import assert_no_warnings, call_stable, call_unmodified
from autograder.results.marks import graded, lazy
from reference import calculus as ref_calculus
from reference import linear_models as ref


@graded("2.1", 1, tags=("linear_models", "mse_cost"))
def test_mse_cost(linear_models, rng):
    """mse_cost: (1/(2n)) ||Xw - y||^2, a single number"""
    X, y, w = rng.normal(size=(8, 3)), rng.normal(size=8), rng.normal(size=3)
    inputs = {"X": X, "y": y, "w": w}
    n = len(y)
    cost = ref.mse_cost(X, y, w)
    r = X @ w - y
    got = assert_number(linear_models.mse_cost(X, y, w), "mse_cost(X, y, w)", inputs)
    assert_close(got, cost, "mse_cost(X, y, w)", inputs=inputs,
                 mistakes={"1/n instead of 1/(2n)": 2 * cost,
                           "sum instead of mean over the examples (no 1/n)": n * cost,
                           "||Xw - y||^2 with no 1/(2n) at all": 2 * n * cost,
                           "norm not squared": np.linalg.norm(r) / (2 * n)})


@graded("2.2", 1.5, tags=("linear_models", "mse_grad"), partial=True)
def test_mse_grad(linear_models, rng, set_score=None):
    """mse_grad: (1/n) X^T (Xw - y), equal to finite differences of the cost"""
    X, y, w = rng.normal(size=(10, 3)), rng.normal(size=10), rng.normal(size=3)
    X2, y2, w2 = rng.normal(size=(7, 4)), rng.normal(size=7), rng.normal(size=4)
    n = len(y)

    def formula():
        g = ref.mse_grad(X, y, w)
        assert_close(linear_models.mse_grad(X, y, w), g, "mse_grad(X, y, w)",
                     inputs={"X": X, "y": y, "w": w},
                     mistakes={"sum instead of mean over the batch (the 1/n is missing)": n * g,
                               "an extra factor 2 (the gradient of (1/n)||Xw - y||^2, not of the "
                               "1/(2n) cost)": 2 * g,
                               "X^T (y - Xw): flipped sign": -g})

    def finite_differences():
        fd = numerical_gradient(lambda v: ref.mse_cost(X2, y2, v), w2)
        assert_close(linear_models.mse_grad(X2, y2, w2), fd,
                     "mse_grad(X, y, w) (compared with finite differences of mse_cost)",
                     inputs={"X": X2, "y": y2, "w": w2}, rtol=FD_RTOL, atol=FD_ATOL,
                     mistakes={"sum instead of mean over the batch (the 1/n is missing)": len(y2) * fd})

    score_cases([("the formula", formula), ("finite differences of mse_cost", finite_differences)],
                1.5, set_score)


@graded("2.3", 1.5, tags=("linear_models", "normal_equations"), partial=True)
def test_normal_equations(linear_models, rng, set_score=None):
    """normal_equations: least squares (l2 = 0 by default) and ridge (l2 > 0)"""
    X, y = rng.normal(size=(20, 4)), rng.normal(size=20)
    Xr, yr, l2 = rng.normal(size=(6, 4)), rng.normal(size=6), 2.0

    def plain():
        assert_close(linear_models.normal_equations(X, y), ref.normal_equations(X, y),
                     "normal_equations(X, y)", inputs={"X": X, "y": y})

    def ridge():
        A, c = Xr.T @ Xr, Xr.T @ yr
        assert_close(linear_models.normal_equations(Xr, yr, l2=l2), ref.normal_equations(Xr, yr, l2),
                     f"normal_equations(X, y, l2={l2})", inputs={"X": Xr, "y": yr, "l2": l2},
                     mistakes={"l2 ignored (no + l2 I)": ref.normal_equations(Xr, yr),
                               "l2 times n (+ n l2 I)": ref.normal_equations(Xr, yr, l2 * len(yr)),
                               "2 l2 instead of l2": ref.normal_equations(Xr, yr, 2 * l2),
                               "- l2 I instead of + l2 I": ref.normal_equations(Xr, yr, -l2),
                               "l2 added to every entry of X^T X, not only its diagonal":
                               np.linalg.solve(A + l2, c)})

    score_cases([("l2 = 0 (default)", plain), ("l2 = 2.0", ridge)], 1.5, set_score)


@graded("2.4", 1, tags=("linear_models", "max_learning_rate"))
def test_max_learning_rate(linear_models, rng):
    """max_learning_rate: 2 / lambda_max(X^T X / n)"""
    X = rng.normal(size=(30, 4)) * np.array([3.0, 1.0, 0.5, 0.2])
    n = len(X)
    inputs = {"X": X}
    eig = np.linalg.eigvalsh(X.T @ X / n)
    sigma = np.linalg.svd(X / np.sqrt(n), compute_uv=False)
    got = assert_number(linear_models.max_learning_rate(X), "max_learning_rate(X)", inputs)
    assert_close(got, ref.max_learning_rate(X), "max_learning_rate(X)", inputs=inputs,
                 mistakes={"1 / lambda_max (the factor 2 is missing)": 1 / eig[-1],
                           "lambda_max of X^T X instead of X^T X / n": 2 / (n * eig[-1]),
                           "the smallest eigenvalue instead of the largest (eigvalsh sorts ascending)":
                           2 / eig[0],
                           "the largest singular value of X / sqrt(n) instead of its square":
                           2 / sigma[0],
                           "lambda_max itself, not 2 / lambda_max": eig[-1]})


@graded("2.5", 1.5, tags=("linear_models", "linear_regression_gd"), partial=True)
def test_linear_regression_gd(linear_models, rng, set_score=None):
    """linear_regression_gd: w and the n_steps + 1 costs, from zeros or from w0 (left unchanged)"""
    X, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    lr = 0.5 * ref.max_learning_rate(X)
    n_steps = 10
    w0 = rng.normal(size=3)

    def from_zeros():
        what = f"linear_regression_gd(X, y, lr={lr:.6g}, n_steps={n_steps})"
        check_gd_result(linear_models.linear_regression_gd(X, y, lr, n_steps), X, y, lr, None, n_steps, what,
              {"X": X, "y": y})

    def from_w0():
        what = f"linear_regression_gd(X, y, lr={lr:.6g}, n_steps={n_steps}, w0=w0)"
        got = call_unmodified(linear_models, "linear_regression_gd", [X, y, lr, n_steps],
                              ["X", "y", "lr", "n_steps"], what, kwargs={"w0": w0})
        check_gd_result(got, X, y, lr, w0, n_steps, what, {"X": X, "y": y, "w0": w0})

    def no_steps():
        what = f"linear_regression_gd(X, y, lr={lr:.6g}, n_steps=0, w0=w0)"
        check_gd_result(linear_models.linear_regression_gd(X, y, lr, 0, w0=w0), X, y, lr, w0, 0, what,
              {"X": X, "y": y, "w0": w0})

    score_cases([("from zeros", from_zeros), ("from w0, which is not modified", from_w0),
                 ("n_steps = 0: w0 and one cost", no_steps)], 1.5, set_score)


@graded("2.6", 1, tags=("linear_models", "logreg_predict_proba", "logreg_cost"), partial=True)
def test_logreg_proba_and_cost(linear_models, rng, set_score=None):
    """logreg_predict_proba and logreg_cost: values, and a stable cost for logits up to 1e4"""
    X, w, b = rng.normal(size=(9, 3)), rng.normal(size=3), 0.7
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1])
    z = X @ w + b
    n = len(y)
    inputs = {"X": X, "y": y, "w": w, "b": b}

    def proba():
        assert_close(linear_models.logreg_predict_proba(X, w, b), ref.logreg_predict_proba(X, w, b),
                     "logreg_predict_proba(X, w, b)", inputs={"X": X, "w": w, "b": b},
                     mistakes={"b is missing: sigma(Xw)": ref_calculus.sigmoid(X @ w),
                               "sigma(-(Xw + b)) (flipped sign)": ref_calculus.sigmoid(-z),
                               "the logits Xw + b without the sigmoid": z})

    def cost():
        c = ref.logreg_cost(X, y, w, b)
        got = assert_number(linear_models.logreg_cost(X, y, w, b), "logreg_cost(X, y, w, b)", inputs)
        assert_close(got, c, "logreg_cost(X, y, w, b)", inputs=inputs,
                     mistakes={"sum instead of mean over the examples": n * c,
                               "b is missing": ref.logreg_cost(X, y, w, 0.0),
                               "labels swapped (y and 1 - y)": ref.logreg_cost(X, 1 - y, w, b)})

    Xs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [0.5, 0.5]])
    ws, bs = np.array([5000.0, -5000.0]), 0.0   # logits 5000, -5000, 1e4, -1e4, 0
    ys = np.array([0, 1, 0, 1, 1])

    def stable():
        what = "logreg_cost(X, y, w, b)"
        got, warnings = call_stable(linear_models, "logreg_cost", [Xs, ys, ws, bs])
        got = assert_number(got, what, {"X": Xs, "y": ys, "w": ws, "b": bs})
        assert_close(got, ref.logreg_cost(Xs, ys, ws, bs), what, inputs={"X": Xs, "y": ys, "w": ws, "b": bs})
        assert_no_warnings(warnings, what, {"X": Xs, "y": ys, "w": ws, "b": bs}, **STABLE)

    score_cases([("logreg_predict_proba", proba), ("logreg_cost", cost),
                 ("logreg_cost stable for logits up to 1e4", stable)], 1, set_score)


@graded("2.7", 1.5, tags=("linear_models", "logreg_grad"), partial=True)
def test_logreg_grad(linear_models, rng, set_score=None):
    """logreg_grad: (dw, db) of the mean loss, equal to finite differences of logreg_cost"""
    X, w, b = rng.normal(size=(11, 3)), rng.normal(size=3), -0.4
    y = rng.integers(0, 2, size=11)
    y[:2] = [0, 1]
    inputs = {"X": X, "y": y, "w": w, "b": b}
    what = "logreg_grad(X, y, w, b)"
    got = lazy(lambda: unpack(linear_models.logreg_grad(X, y, w, b), ["dw", "db"], what, inputs))
    dw_ref, db_ref = ref.logreg_grad(X, y, w, b)
    dw_mistakes, db_mistakes = logreg_grad_mistakes(X, y, w, b)

    def dw():
        assert_close(got()[0], dw_ref, what + " -> dw", inputs=inputs, mistakes=dw_mistakes)

    def db():
        value = assert_number(got()[1], what + " -> db", inputs)
        assert_close(value, db_ref, what + " -> db", inputs=inputs, mistakes=db_mistakes)

    def finite_differences():
        check_logreg_grad_fd(*got(), X, y, w, b, what, inputs)

    score_cases([("dw", dw), ("db", db), ("finite differences of logreg_cost", finite_differences)],
                1.5, set_score)


@graded("2.8", 0.5, tags=("linear_models", "accuracy"))
def test_accuracy(linear_models, rng):
    """accuracy: the fraction of equal entries"""
    y_true = np.array([0, 1, 2, 2, 1, 0, 1, 2, 0, 1])
    y_pred = np.array([0, 1, 2, 0, 1, 0, 2, 2, 1, 1])
    inputs = {"y_true": y_true, "y_pred": y_pred}
    got = assert_number(linear_models.accuracy(y_true, y_pred), "accuracy(y_true, y_pred)", inputs)
    assert_close(got, 0.7, "accuracy(y_true, y_pred)", inputs=inputs,
                 mistakes={"the number of equal entries instead of their fraction": 7,
                           "the error rate (1 - accuracy)": 0.3})
    y_true, y_pred = rng.integers(0, 4, size=25), rng.integers(0, 4, size=25)
    got = assert_number(linear_models.accuracy(y_true, y_pred), "accuracy(y_true, y_pred)",
                        {"y_true": y_true, "y_pred": y_pred})
    assert_close(got, np.mean(y_true == y_pred), "accuracy(y_true, y_pred)",
                 inputs={"y_true": y_true, "y_pred": y_pred})


@graded("2.9", 1, tags=("linear_models", "linear_trsf", "softmax_regression_predict"), partial=True)
def test_linear_trsf_and_predict(linear_models, rng, set_score=None):
    """linear_trsf (X W^T + b, shape (n, m)) and softmax_regression_predict (argmax class)"""
    n, d, m = 6, 4, 3
    X, W, b = rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=m)
    inputs = {"X": X, "W": W, "b": b}

    def trsf():
        assert_close(linear_models.linear_trsf(X, W, b), ref.linear_trsf(X, W, b),
                     "linear_trsf(X, W, b)", inputs=inputs,
                     mistakes={"b is missing": X @ W.T})

    def predict():
        Z = ref.linear_trsf(X, W, b)
        assert_close(linear_models.softmax_regression_predict(X, W, b),
                     ref.softmax_regression_predict(X, W, b), "softmax_regression_predict(X, W, b)",
                     inputs=inputs, mistakes={"argmin instead of argmax": Z.argmin(axis=1),
                                              "b is missing": (X @ W.T).argmax(axis=1)})

    score_cases([("linear_trsf", trsf), ("softmax_regression_predict", predict)], 1, set_score)


@graded("2.10", 1.5, tags=("linear_models", "cost_ce"), partial=True)
def test_cost_ce(linear_models, rng, set_score=None):
    """cost_ce: mean cross-entropy, a single number, stable for logits up to 1e4"""
    n, d, m = 8, 3, 4
    X, W, b = rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=m)
    y = np.array([0, 1, 2, 3, 3, 2, 1, 0])
    inputs = {"X": X, "y": y, "W": W, "b": b}
    what = "cost_ce(X, y, W, b)"

    def values():
        c = ref.cost_ce(X, y, W, b)
        ls = ref_calculus.log_softmax(ref.linear_trsf(X, W, b))
        got = assert_number(linear_models.cost_ce(X, y, W, b), what, inputs)
        assert_close(got, c, what, inputs=inputs,
                     mistakes={"sum instead of mean over the examples": n * c,
                               "b is missing": ref.cost_ce(X, y, W, np.zeros(m)),
                               "- log softmax summed over all classes, not only the label's":
                               -ls.sum() / n,
                               "log softmax without the minus sign": -c})

    def single_example():
        x1, y1 = X[:1], y[:1]
        got = assert_number(linear_models.cost_ce(x1, y1, W, b), what, {"X": x1, "y": y1, "W": W, "b": b})
        assert_close(got, ref.cost_ce(x1, y1, W, b), what, inputs={"X": x1, "y": y1, "W": W, "b": b})

    Xs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]])
    Ws = np.array([[5000.0, 5000.0], [-5000.0, -5000.0], [0.0, 0.0]])
    bs = np.zeros(3)
    ys = np.array([1, 0, 2, 0])

    def stable():
        si = {"X": Xs, "y": ys, "W": Ws, "b": bs}
        got, warnings = call_stable(linear_models, "cost_ce", [Xs, ys, Ws, bs])
        got = assert_number(got, what, si)
        assert_close(got, ref.cost_ce(Xs, ys, Ws, bs), what, inputs=si)
        assert_no_warnings(warnings, what, si, **STABLE)

    score_cases([("values", values), ("one example", single_example),
                 ("stable for logits up to 1e4", stable)], 1.5, set_score)


@graded("2.11", 1.5, tags=("linear_models", "softmax_regression_grad"), partial=True)
def test_softmax_regression_grad(linear_models, rng, set_score=None):
    """softmax_regression_grad: dW (m, d) and db (m,) of the mean cost, equal to finite differences"""
    n, d, m = 7, 4, 3
    X, W, b = rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=m)
    y = np.array([0, 1, 2, 2, 1, 0, 2])
    inputs = {"X": X, "y": y, "W": W, "b": b}
    what = "softmax_regression_grad(X, y, W, b)"
    got = lazy(lambda: unpack(linear_models.softmax_regression_grad(X, y, W, b), ["dW", "db"],
                              what, inputs))
    dW_ref, db_ref = ref.softmax_regression_grad(X, y, W, b)
    G = ref_calculus.cross_entropy_grad(ref.linear_trsf(X, W, b), y)

    def dW():
        assert_close(got()[0], dW_ref, what + " -> dW", inputs=inputs,
                     mistakes={"sum instead of mean over the batch (the 1/n is missing)": n * dW_ref,
                               "(onehot - softmax): flipped sign": -dW_ref,
                               "b is missing in the logits": ref.softmax_regression_grad(X, y, W, 0 * b)[0]})

    def db():
        assert_close(got()[1], db_ref, what + " -> db", inputs=inputs,
                     mistakes={"sum instead of mean over the batch (the 1/n is missing)": n * db_ref,
                               "summed over the classes instead of the examples": G.sum(axis=1) / n,
                               "(onehot - softmax): flipped sign": -db_ref})

    def finite_differences():
        fd_W = numerical_gradient(lambda V: ref.cost_ce(X, y, V, b), W)
        fd_b = numerical_gradient(lambda v: ref.cost_ce(X, y, W, v), b)
        got_dW, got_db = got()
        assert_close(got_dW, fd_W, what + " -> dW (compared with finite differences of cost_ce)",
                     inputs=inputs, rtol=FD_RTOL, atol=FD_ATOL)
        assert_close(got_db, fd_b, what + " -> db (compared with finite differences of cost_ce)",
                     inputs=inputs, rtol=FD_RTOL, atol=FD_ATOL)

    score_cases([("dW", dW), ("db", db), ("finite differences of cost_ce", finite_differences)],
                1.5, set_score)


@graded("2.12", 1.5, tags=("linear_models", "train_softmax_regression"), partial=True)
def test_train_softmax_regression_full_batch(linear_models, rng, set_score=None):
    """train_softmax_regression: with batch_size = n it is full-batch gradient descent from zeros"""
    n, d, m = 30, 3, 3
    X, y = blobs(rng, n, d, m)
    lr, epochs = 0.5, 12
    result = lazy(lambda: train(linear_models, X, y, m, lr, epochs, n, seed=1))
    W_ref, b_ref, costs_ref = ref_train(X, y, m, lr, epochs, n)
    inputs = {"X": X, "y": y}

    def params():
        W, b, _, what = result()
        mistakes_W = {"steps of lr times the summed gradient (sum instead of mean over the batch)":
                      ref_train(X, y, m, lr * n, epochs, n)[0],
                      "one epoch too few": ref_train(X, y, m, lr, epochs - 1, n)[0],
                      "one epoch too many": ref_train(X, y, m, lr, epochs + 1, n)[0],
                      "W + lr dW (ascent: flipped sign)": ref_train(X, y, m, -lr, epochs, n)[0]}
        check_trained_close(W, b, W_ref, b_ref, X, what, inputs, mistakes_W)

    def costs():
        _, _, got_costs, what = result()
        got_costs = assert_sequence(got_costs, what + " -> costs")
        assert_true(len(got_costs) == epochs,
                    f"{what}: costs has {len(got_costs)} entries; it should have one per epoch "
                    f"({epochs}), the cost_ce on all of X after each epoch.")
        before = np.concatenate([[np.log(m)], costs_ref[:-1]])
        assert_close(got_costs, costs_ref, what + " -> costs", inputs=inputs,
                     **rounding.tolerances(costs_ref, X, *result()[:3]),
                     mistakes={"costs[e] is the cost before epoch e instead of after it": before,
                               "costs summed instead of averaged over the examples":
                               n * np.asarray(costs_ref)})

    score_cases([("W and b", params), ("costs", costs)], 1.5, set_score)


@graded("2.13", 1.5, tags=("linear_models", "train_softmax_regression"), partial=True)
def test_train_softmax_regression_minibatch(linear_models, rng, set_score=None):
    """train_softmax_regression: mini-batches shuffled by rng each epoch, every batch used: costs, final cost"""
    n, d, m = 60, 4, 3
    X, y = blobs(rng, n, d, m)
    lr, epochs, batch_size = 0.1, 20, 10
    seed_a, seed_b = 11, 12
    run_a = lazy(lambda: train(linear_models, X, y, m, lr, epochs, batch_size, seed_a))
    run_a2 = lazy(lambda: train(linear_models, X, y, m, lr, epochs, batch_size, seed_a))
    run_b = lazy(lambda: train(linear_models, X, y, m, lr, epochs, batch_size, seed_b))

    # Reproducibility and seed dependence are properties (constants are reproducible, random
    # draws depend on the seed): they count once the costs or the trained W, b are right.
    score_cases([("costs: one per epoch, costs[-1] = cost_ce(W, b) on all of X, going down",
                  lambda: check_costs_per_epoch(run_a, X, y, m, epochs)),
                 ("final cost near the reference's",
                  lambda: check_near_reference(run_a, X, y, m, lr, epochs, batch_size, seed_a)),
                 ("a fresh permutation each epoch; every mini-batch used, the partial one too",
                  lambda: check_epoch_replays(linear_models, rng)),
                 ("X and y shuffled together", lambda: check_shuffled_together(linear_models, rng))],
                1.5, set_score,
                properties=[("same rng seed, same result", lambda: check_reproducible(run_a, run_a2, seed_a)),
                            ("different seeds, different shuffles",
                             lambda: check_shuffled(run_a, run_b, seed_a, seed_b))])


@graded("2.14", 1.5, tags=("linear_models", "perceptron_update"), partial=True)
def test_perceptron_update(linear_models, set_score=None):
    """perceptron_update: unchanged when right, rows y and y_hat moved when wrong, first index on ties"""
    W = np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 1.0], [-1.0, 1.0, 0.0]])
    x = np.array([1.0, 2.0, 1.0])  # scores W x = [0, 5, 1]: predicts 1

    Wt = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    xt = np.array([1.0, -1.0, 2.0])  # scores [-1, 2, 2]: a tie between rows 1 and 2
    # "W unchanged when right" is what a function that does nothing returns: it counts once
    # an update is right.
    score_cases([
        ("wrong prediction: W[y] += x, W[y_hat] -= x (and W not modified in place)",
         lambda: check_perceptron_update(linear_models, W, x, 2)),
        ("all scores equal (W = 0): y_hat = 0",
         lambda: check_perceptron_update(linear_models, np.zeros((3, 3)), x, 2, " (with W = 0 every score ties)")),
        ("tie between rows 1 and 2: y_hat = 1", lambda: check_perceptron_update(linear_models, Wt, xt, 2,
                                               " (scores W x = [-1, 2, 2])")),
    ], 1.5, set_score, properties=[
        ("right prediction: W unchanged", lambda: check_perceptron_update(linear_models, W, x, 1)),
    ])


@graded("2.15", 1, tags=("linear_models", "train_perceptron"), partial=True)
def test_train_perceptron(linear_models, rng, set_score=None):
    """train_perceptron: epochs passes over the examples in order, from W = 0"""
    # Small integer features: every score is computed exactly, so ties are real ties
    # and every correct implementation makes the same updates.
    n, d, m = 15, 4, 3
    X = rng.integers(-3, 4, size=(n, d)).astype(float)
    y = rng.integers(0, m, size=n)

    def check(epochs):
        what = f"train_perceptron(X, y, m={m}, epochs={epochs})"
        got = call_unmodified(linear_models, "train_perceptron", [X, y, m, epochs],
                              ["X", "y", "m", "epochs"], what)
        assert_close(got, ref.train_perceptron(X, y, m, epochs), what, inputs={"X": X, "y": y},
                     mistakes={"one epoch too few": ref.train_perceptron(X, y, m, epochs - 1),
                               "one epoch too many": ref.train_perceptron(X, y, m, epochs + 1),
                               "examples visited in reverse order":
                               ref.train_perceptron(X[::-1], y[::-1], m, epochs)})

    score_cases([("1 epoch", lambda: check(1)), ("4 epochs", lambda: check(4))], 1, set_score)


@graded("2.16", 1, tags=("linear_models", "mse_grad", "normal_equations", "logreg_grad", "cost_ce",
                         "softmax_regression_grad"), partial=True, visibility="after_due_date")
def test_hidden_inputs(linear_models, hidden_rng, set_score=None):
    """gradients, costs and normal equations on inputs from a hidden seed"""
    n, d, m = 9, 3, 4
    X = hidden_rng.normal(size=(n, d))
    yr = hidden_rng.normal(size=n)
    yb = hidden_rng.integers(0, 2, size=n)
    yc = hidden_rng.integers(0, m, size=n)
    w, b = hidden_rng.normal(size=d), float(hidden_rng.normal())
    W, bv = hidden_rng.normal(size=(m, d)), hidden_rng.normal(size=m)
    l2 = float(hidden_rng.uniform(0.1, 2.0))

    score_cases([
        ("mse_grad", lambda: assert_close(linear_models.mse_grad(X, yr, w), ref.mse_grad(X, yr, w),
                                          "mse_grad(X, y, w)", inputs={"X": X, "y": yr, "w": w})),
        ("normal_equations", lambda: assert_close(
            linear_models.normal_equations(X, yr, l2=l2), ref.normal_equations(X, yr, l2),
            f"normal_equations(X, y, l2={l2:.6g})", inputs={"X": X, "y": yr})),
        ("logreg_grad", lambda: check_pair(linear_models.logreg_grad(X, yb, w, b), ref.logreg_grad(X, yb, w, b),
                                     "logreg_grad(X, y, w, b)", {"X": X, "y": yb, "w": w, "b": b},
                                     ["dw", "db"])),
        ("cost_ce", lambda: assert_close(
            assert_number(linear_models.cost_ce(X, yc, W, bv), "cost_ce(X, y, W, b)"),
            ref.cost_ce(X, yc, W, bv), "cost_ce(X, y, W, b)", inputs={"X": X, "y": yc, "W": W, "b": bv})),
        ("softmax_regression_grad", lambda: check_pair(
            linear_models.softmax_regression_grad(X, yc, W, bv), ref.softmax_regression_grad(X, yc, W, bv),
            "softmax_regression_grad(X, y, W, b)", {"X": X, "y": yc, "W": W, "b": bv}, ["dW", "db"])),
    ], 1, set_score)

