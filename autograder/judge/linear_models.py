"""What the graded tests of linear_models.py call: expected values, classic mistakes, replays and checks."""
import numpy as np

from autograder.judge import replays, training
from autograder.judge.compare import as_array, assert_shape, assert_true, describe, format_inputs
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
