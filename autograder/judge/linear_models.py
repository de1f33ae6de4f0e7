"""What the graded tests of linear_models.py call: expected values, classic mistakes, replays and checks."""
import numpy as np

from autograder.judge import replays, rounding, training
from autograder.judge.compare import (as_array, assert_close, assert_number, assert_sequence, assert_shape,
                                      assert_true, describe, format_inputs)
from autograder.judge.numerics import numerical_gradient
from autograder.judge.properties import call_unmodified
from autograder.sandbox import calls
from reference import linear_models as ref

# Finite differences (central, eps 1e-6) of these smooth costs are accurate to
# about 1e-9; the bugs they are there to catch change a gradient by 1e-2 or more.
FD_RTOL, FD_ATOL = 1e-5, 1e-7
TRAIN_TIMEOUT = 20.0  # a few hundred tiny SGD steps take well under a second


# What "stable" means for this part's costs, in helpers.assert_no_warnings's message.
STABLE = {"advice": "\"Stable\" means no overflow, divide-by-zero or invalid-value warning for logits up "
                    "to |z| = 1e4: use your stable binary_logistic_loss / cross_entropy (or "
                    "np.logaddexp, or subtract the maximum) rather than log(sigmoid(z)) or "
                    "log(softmax(z))."}


def unpack(got, names, what, inputs=None):
    """The returned tuple ``(a, b, ...)`` with ``len(names)`` entries, or fail saying what came back."""
    count = len(names)
    assert_true(isinstance(got, (tuple, list)) and len(got) == count,
                f"{what} should return a tuple ({', '.join(names)}) of {count} values, "
                f"but returned {describe(got)}." + format_inputs(inputs))
    return list(got)


def train(module, X, y, m, lr, epochs, batch_size, seed):
    """The student's ``train_softmax_regression`` with ``rng = default_rng(seed)``."""
    got = calls.call_with_rng(module, "train_softmax_regression", X, y, m, lr, epochs, batch_size,
                              seed=seed, timeout=TRAIN_TIMEOUT)
    what = f"train_softmax_regression(X, y, m={m}, lr={lr}, epochs={epochs}, batch_size={batch_size}, rng)"
    W, b, costs = unpack(got, ["W", "b", "costs"], what)
    W = as_array(W, what + " -> W")
    b = as_array(b, what + " -> b")
    assert_shape(W, (m, X.shape[1]), what + " -> W")
    assert_shape(b, (m,), what + " -> b")
    return W, b, costs, what


def ref_train(X, y, m, lr, epochs, batch_size, seed=0):
    return ref.train_softmax_regression(X, y, m, lr, epochs, batch_size, np.random.default_rng(seed))


def blobs(rng, n, d, m, spread=1.0):
    """n examples in d dimensions around m random centres; labels cycle 0..m-1."""
    centres = rng.normal(0, 1.5, size=(m, d))
    y = np.arange(n) % m
    return centres[y] + rng.normal(0, spread, size=(n, d)), y


def check_costs_per_epoch(run, X, y, m, epochs):
    """costs: one per epoch, the last equal to cost_ce of the returned W, b on all of X, going down."""
    W, b, costs, what = run()
    costs = assert_sequence(costs, what + " -> costs")
    assert_true(len(costs) == epochs,
                f"{what}: costs has {len(costs)} entries; it should have one per epoch ({epochs}).")
    final = ref.cost_ce(X, y, W, b)
    tolerance = rounding.tolerances(final, X, W, b, run()[2])   # float32 results allowed their rounding
    assert_true(abs(costs[-1] - final) <= tolerance["rtol"] * abs(final) + tolerance["atol"],
                f"{what}: costs[-1] = {float(costs[-1])!r}, but cost_ce of the returned W, b on all of X "
                f"is {final!r}. costs[e] must be the cost on the whole training set after epoch e "
                "(not the cost of the last mini-batch, nor a running average).")
    assert_true(costs[0] < np.log(m) and costs[-1] < costs[0],
                f"{what}: the cost should go down: cost at W = 0 is log(m) = {np.log(m):.4f}, "
                f"costs[0] = {costs[0]:.6g}, costs[-1] = {costs[-1]:.6g}.")


def check_trained_close(W, b, W_ref, b_ref, X, what, inputs, mistakes_W):
    """W and b equal the reference's; float32 results are allowed the rounding of their dtype."""
    assert_close(W, W_ref, what + " -> W", inputs=inputs, mistakes=mistakes_W, **rounding.tolerances(W_ref, X, W, b))
    assert_close(b, b_ref, what + " -> b", inputs=inputs, mistakes={"b never updated": np.zeros(len(b_ref))},
                 **rounding.tolerances(b_ref, X, W, b))


def check_reproducible(run, run_again, seed):
    """Two runs with generators of the same seed give the same W, b."""
    W1, b1, _, what = run()
    W2, b2, _, _ = run_again()
    assert_true(np.allclose(W1, W2, rtol=1e-9, atol=1e-12) and np.allclose(b1, b2, rtol=1e-9, atol=1e-12),
                f"{what}: two runs with rng = np.random.default_rng({seed}) gave different W, b. "
                "All randomness must come from the rng argument (rng.permutation(n)), not from "
                "np.random.* or an unseeded generator.")


def check_shuffled(run_a, run_b, seed_a, seed_b):
    """Runs with two different seeds give different W: the examples are shuffled with rng."""
    W1, _, _, what = run_a()
    W2, _, _, _ = run_b()
    assert_true(np.abs(W1 - W2).max() > 1e-8,
                f"{what}: runs with two different seeds ({seed_a} and {seed_b}) gave the same W: "
                "the examples should be shuffled with rng each epoch (e.g. rng.permutation(n)).")


def check_near_reference(run, X, y, m, lr, epochs, batch_size, seed):
    """The final cost is within the spread of the reference's over shuffles."""
    W, b, _, what = run()
    final = ref.cost_ce(X, y, W, b)
    expected = ref_train(X, y, m, lr, epochs, batch_size, seed)[2][-1]
    # Over 300 seeds the reference's final cost has a spread of 0.004 around
    # ~0.34; 0.02 accepts any shuffling, and a step size off by a factor does not fit.
    assert_true(abs(final - expected) <= 0.02,
                f"{what}: cost_ce of the returned W, b on X is {final:.6g}; the reference "
                f"implementation reaches {expected:.6g} with the same settings (any shuffle gives "
                "within 0.02 of it). Check the step (mean gradient of each mini-batch, W -= lr dW, "
                "b -= lr db), the number of steps per epoch (every example once), and that "
                "training starts from zeros.")


def check_gd_result(got, X, y, lr, w0_used, steps, what, inputs):
    """linear_regression_gd's (w, costs) against the reference's, naming off-by-one steps, summed
    gradients and ascent."""
    w, costs = unpack(got, ["w", "costs"], what, inputs)
    w_ref, costs_ref = ref.linear_regression_gd(X, y, lr, steps, w0_used)
    costs = assert_sequence(costs, what + " -> costs")
    assert_true(len(costs) == steps + 1,
                f"{what}: costs has {len(costs)} entries; it should have n_steps + 1 = {steps + 1}: "
                "the cost before each step and the cost after the last one"
                + (" (is the cost at the starting point missing?)" if len(costs) == steps else "")
                + format_inputs(inputs))
    mistakes = {}
    if steps:
        mistakes = {"one step too few": ref.linear_regression_gd(X, y, lr, steps - 1, w0_used)[0],
                    "one step too many": ref.linear_regression_gd(X, y, lr, steps + 1, w0_used)[0],
                    "steps of lr times the summed gradient (sum instead of mean)":
                    ref.linear_regression_gd(X, y, lr * len(y), steps, w0_used)[0],
                    "w + lr * gradient (ascent: flipped sign)":
                    ref.linear_regression_gd(X, y, -lr, steps, w0_used)[0]}
    assert_close(w, w_ref, what + " -> w", inputs=inputs, mistakes=mistakes)
    assert_close(costs, costs_ref, what + " -> costs", inputs=inputs,
                 mistakes={"costs[0] is not the cost at the starting point":
                           np.concatenate([costs_ref[1:], [np.nan]])})


def moved(W, x, y, y_hat):
    """W with row y += x and row y_hat -= x."""
    new = W.copy()
    new[y] += x
    new[y_hat] -= x
    return new

def check_perceptron_update(linear_models, W, x, y, what_extra=""):
    """perceptron_update(W, x, y) against the reference, naming one-row updates, swapped signs and
    ties broken by the last index."""
    inputs = {"W": W, "x": x, "y": y}
    what = f"perceptron_update(W, x, y={y})"
    scores = W @ x
    first = int(np.argmax(scores))
    last = len(scores) - 1 - int(np.argmax(scores[::-1]))
    only_y = W.copy()
    only_y[y] += x
    mistakes = {"only row y updated (row y_hat -= x is missing)": only_y if first != y else None,
                "signs swapped (row y -= x, row y_hat += x)":
                moved(W, -x, y, first) if first != y else None,
                "ties broken by the last index instead of the first":
                (moved(W, x, y, last) if last != y else W) if last != first else None}
    got = call_unmodified(linear_models, "perceptron_update", [W, x, y], ["W", "x", "y"], what)
    assert_close(got, ref.perceptron_update(W, x, y), what + what_extra, inputs=inputs,
                 mistakes=mistakes)


def check_pair(got, expected, what, inputs, names):
    """A returned pair (e.g. ``(dw, db)``) against the expected one, entry by entry."""
    first, second = unpack(got, names, what, inputs)
    assert_close(first, expected[0], f"{what} -> {names[0]}", inputs=inputs)
    assert_close(second, expected[1], f"{what} -> {names[1]}", inputs=inputs)


def logreg_grad_mistakes(X, y, w, b):
    """The classic wrong ``(dw, db)`` of logreg_grad, by name."""
    n = len(y)
    dw_ref, db_ref = ref.logreg_grad(X, y, w, b)
    r_nosig = X @ w + b - y
    dw = {"sum instead of mean over the batch (the 1/n is missing)": n * dw_ref,
          "X^T (y - sigma(z)): flipped sign": -dw_ref,
          "the sigmoid is missing: X^T (Xw + b - y) / n": X.T @ r_nosig / n,
          "b is missing inside the sigmoid": ref.logreg_grad(X, y, w, 0.0)[0]}
    db = {"a bias gradient of zero: db is the mean of sigma(Xw + b) - y, not 0": 0.0,
          "sum instead of mean over the batch (the 1/n is missing)": n * db_ref,
          "the sigmoid is missing: mean(Xw + b - y)": r_nosig.mean(),
          "b is missing inside the sigmoid": ref.logreg_grad(X, y, w, 0.0)[1]}
    return dw, db


def check_logreg_grad_fd(got_dw, got_db, X, y, w, b, what, inputs):
    """The returned (dw, db) against central finite differences of the reference's logreg_cost."""
    fd_w = numerical_gradient(lambda v: ref.logreg_cost(X, y, v, b), w)
    fd_b = numerical_gradient(lambda v: ref.logreg_cost(X, y, w, float(v[0])), np.array([b]))[0]
    assert_close(got_dw, fd_w, what + " -> dw (compared with finite differences of logreg_cost)",
                 inputs=inputs, rtol=FD_RTOL, atol=FD_ATOL)
    assert_close(assert_number(got_db, what + " -> db", inputs), fd_b,
                 what + " -> db (compared with finite differences of logreg_cost)",
                 inputs=inputs, rtol=FD_RTOL, atol=FD_ATOL)


REPLAY_WORDS = training.Words(
    step="W - lr * dW, b - lr * db with the gradient of the mini-batch's mean cost (softmax_regression_grad)",
    initial="zeros", fresh_order=training.NUMPY_ORDER, together=training.NUMPY_TOGETHER)


def replay_gradient(params, X, y):
    dW, db = ref.softmax_regression_grad(X, y, params["W"], params["b"])
    return {"W": dW, "b": db}


def trained_from_zeros(module, X, y, m, lr, epochs, batch_size, seed):
    """One training on float32 data (the contract's float32 rule) as the replays see it, and its call."""
    W, b, _, what = train(module, X, y, m, lr, epochs, batch_size, seed)
    start = {"W": np.zeros((m, X.shape[1])), "b": np.zeros(m)}
    return training.Run(X, y, start, {"W": W, "b": b}), what


def check_epoch_replays(module, rng):
    """Two epochs on 5 examples with batch_size 2, from 3 seeds, replayed here for every way of forming
    the mini-batches (judge/replays.py): every batch used, the partial one too, a fresh order each epoch."""
    n, m, lr, epochs, batch_size = 5, 3, 0.5, 2, 2
    runs = []
    for _ in range(3):
        X = rng.normal(size=(n, 2)).astype(np.float32)
        y = rng.permutation(np.array([0, 1, 2, 1, 1]))
        run, what = trained_from_zeros(module, X, y, m, lr, epochs, batch_size, int(rng.integers(2 ** 31)))
        runs.append(run)
    training.check_epochs(runs, replay_gradient, replays.SGD(lr), batch_size, epochs,
                          what + f" on {n} float32 points in 2-D (3 mini-batches per epoch, the last of 1 example)",
                          REPLAY_WORDS)


def check_shuffled_together(module, rng):
    """One full batch of 6 examples of 4 classes: a step on mismatched (x, label) pairs is recognised."""
    n, m, lr = 6, 4, 0.5
    for _ in range(2):   # a mismatch that happens to keep every label in place goes unseen once, not twice
        X = rng.normal(size=(n, 2)).astype(np.float32)
        y = rng.permutation(np.array([0, 0, 1, 1, 2, 3]))   # unbalanced: the gradient at zero weights is not 0
        run, what = trained_from_zeros(module, X, y, m, lr, 1, n, int(rng.integers(2 ** 31)))
        training.check_together(run, replay_gradient, lr, what + f" on {n} float32 points of {m} classes (one "
                                "step on the whole set)", REPLAY_WORDS)
