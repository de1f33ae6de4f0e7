"""The checks of mlp.py."""
import itertools
import time

import numpy as np

from autograder.config import TRAIN_CPU_SECONDS, TRAIN_SUBSET
from autograder.errors import CheckFailed
from autograder.judge.hyperparams import hyperparams_problems
from autograder.judge.numerics import numerical_gradient
from autograder.student.checks.expect import as_floats, copies, expect_close, expect_shape, fmt, require, unchanged
from autograder.student.checks.inputs import small_params
from autograder.student.checks.registry import check
from coursedata.toy import two_circles


@check("mlp", "init_params")
def init_params_shapes_scale_and_rng(m):
    """init_params: shapes, zero biases, weights uniform within 1/sqrt(fan-in), drawn from rng"""
    d, dh, k = 50, 30, 10
    p = m.init_params(d, dh, k, np.random.default_rng(0))
    require(isinstance(p, dict) and {"W1", "b1", "W2", "b2"} <= set(p),
            f"init_params must return a dict with keys W1, b1, W2, b2; got {type(p).__name__} "
            f"{sorted(p) if isinstance(p, dict) else ''}")
    for key, shape in [("W1", (dh, d)), ("b1", (dh,)), ("W2", (k, dh)), ("b2", (k,))]:
        expect_shape(p[key], shape, f"params[{key!r}] for d={d}, dh={dh}, m={k}")
    expect_close(p["b1"], np.zeros(dh), "b1")
    expect_close(p["b2"], np.zeros(k), "b2")
    for key, fan_in in [("W1", d), ("W2", dh)]:
        bound, top = 1 / np.sqrt(fan_in), np.abs(p[key]).max()
        require(0.9 * bound <= top <= bound, f"{key} should be uniform in [-1/sqrt({fan_in}), 1/sqrt({fan_in})] "
                f"= +-{bound:.4f}, but its largest |entry| is {top:.4f} (fan-in of {key} is {fan_in})")
        require(np.abs(np.mean(p[key])) < 0.2 * bound, f"{key} should be centred on 0 (uniform in [-a, a])")
    again = m.init_params(d, dh, k, np.random.default_rng(0))
    other = m.init_params(d, dh, k, np.random.default_rng(1))
    require(np.array_equal(again["W1"], p["W1"]) and not np.array_equal(other["W1"], p["W1"]),
            "draw the weights from the rng argument (same seed: same weights, other seed: others)")
    # Rescaled to [-1, 1], independent uniform draws never coincide; reused draws all do.
    reused = common_values(np.asarray(p["W1"], dtype=float) * np.sqrt(d), np.asarray(p["W2"], dtype=float) * np.sqrt(dh))
    require(reused < np.size(p["W2"]) / 2,
            f"{reused} of the {np.size(p['W2'])} entries of W2 * sqrt({dh}) are also entries of W1 * sqrt({d}): "
            "W1 and W2 reuse the same random numbers. Hint: draw each matrix with its own call of rng.uniform, "
            "so that W2's numbers come after W1's in rng's stream.")


def common_values(A, B, tol=1e-9):
    """How many entries of B are within ``tol`` of an entry of A."""
    pool = np.sort(np.ravel(A))
    values = np.ravel(B)
    right = np.clip(np.searchsorted(pool, values), 0, len(pool) - 1)
    left = np.clip(right - 1, 0, len(pool) - 1)
    gap = np.minimum(np.abs(pool[right] - values), np.abs(pool[left] - values))
    return int(np.count_nonzero(gap <= tol))


@check("mlp", "fprop")
def fprop_keys_shapes_and_softmax(m):
    """fprop: keys ha, hs, oa, os with the right shapes; hs = relu(ha); rows of os sum to 1"""
    rng = np.random.default_rng(20)
    params, X = small_params(rng), rng.normal(size=(6, 4))
    before = copies(params=params, X=X)
    f = m.fprop(params, X)
    unchanged(before, {"params": params, "X": X}, "fprop")
    require(isinstance(f, dict) and {"ha", "hs", "oa", "os"} <= set(f),
            f"fprop must return a dict with keys ha, hs, oa, os; got {sorted(f) if isinstance(f, dict) else f}")
    for key, shape in [("ha", (6, 5)), ("hs", (6, 5)), ("oa", (6, 3)), ("os", (6, 3))]:
        expect_shape(f[key], shape, f"fprop(...)[{key!r}] for X (6, 4), dh=5, m=3")
    expect_close(f["hs"], np.maximum(np.asarray(f["ha"], dtype=float), 0), "hs (must be relu(ha))")
    expect_close(np.asarray(f["os"], dtype=float).sum(axis=1), np.ones(6), "row sums of os")
    oa = np.asarray(f["oa"], dtype=float)
    e = np.exp(oa - oa.max(axis=1, keepdims=True))
    expect_close(f["os"], e / e.sum(axis=1, keepdims=True), "os (must be the row softmax of oa)")


@check("mlp", "loss")
def loss_value_and_penalty(m):
    """loss: ln(m) with zero weights; the penalty adds l11|W1|_1 + l12|W1|^2 + l21|W2|_1 + l22|W2|^2"""
    rng = np.random.default_rng(21)
    params, X, y = small_params(rng), rng.normal(size=(6, 4)), np.array([0, 1, 2, 0, 1, 2])
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    expect_close(m.loss(zero, X, y), np.log(3), "loss with all parameters 0 (ln 3)",
                 hint="the mean, not the sum, over examples")
    base = float(np.asarray(m.loss(params, X, y)))
    W1, W2 = params["W1"], params["W2"]
    for reg, penalty in [((0.1, 0, 0, 0), 0.1 * np.abs(W1).sum()), ((0, 0.1, 0, 0), 0.1 * (W1 ** 2).sum()),
                         ((0, 0, 0.1, 0), 0.1 * np.abs(W2).sum()), ((0, 0, 0, 0.1), 0.1 * (W2 ** 2).sum())]:
        expect_close(float(np.asarray(m.loss(params, X, y, reg))) - base, penalty,
                     f"loss(..., reg={reg}) - loss(...) (the penalty)",
                     hint="reg = (l11, l12, l21, l22); biases are not penalised; ||W||_2^2 has no 1/2")


def mlp_problem(seed=22):
    rng = np.random.default_rng(seed)
    return small_params(rng), rng.normal(size=(6, 4)), np.array([0, 1, 2, 0, 2, 2])


def check_grads(m, function, reg):
    params, X, y = mlp_problem()
    before = copies(params=params, X=X)
    g = getattr(m, function)(params, X, y, reg)
    unchanged(before, {"params": params, "X": X}, function)
    require(isinstance(g, dict) and {"W1", "b1", "W2", "b2", "X"} <= set(g),
            f"{function} must return a dict with keys W1, b1, W2, b2, X; got "
            f"{sorted(g) if isinstance(g, dict) else type(g).__name__}")
    for key in ("W1", "b1", "W2", "b2"):
        expect_shape(g[key], params[key].shape, f"{function}(...)[{key!r}]")

        def f(value, key=key):
            changed = dict(params)
            changed[key] = value
            return m.loss(changed, X, y, reg)
        hint = ("biases are not penalised" if key.startswith("b") and any(reg) else
                "if the check without penalty passes, look at the penalty's gradient: "
                "l11 sign(W1) + 2 l12 W1 (same for W2)" if any(reg) else
                "mean over the batch: divide by n once; dW = delta^T input, not its transpose")
        expect_close(g[key], numerical_gradient(f, params[key]), f"{function}(params, X, y, reg={reg})[{key!r}]",
                     rtol=1e-4, atol=1e-7, hint=hint)
    expect_close(g["X"], numerical_gradient(lambda t: m.loss(params, t, y, reg), X), f"{function}(...)['X']",
                 rtol=1e-4, atol=1e-7)


@check("mlp", "bprop", "loss")
def bprop_matches_finite_differences(m):
    """bprop: gradients match finite differences of your loss (no penalty)"""
    check_grads(m, "bprop", (0, 0, 0, 0))


@check("mlp", "bprop", "loss")
def bprop_with_penalty_matches_finite_differences(m):
    """bprop: gradients match finite differences of your loss (with the elastic-net penalty)"""
    check_grads(m, "bprop", (0.01, 0.02, 0.03, 0.04))


@check("mlp", "bprop_loop", "loss")
def bprop_loop_matches_finite_differences(m):
    """bprop_loop: gradients match finite differences of your loss (with and without penalty)"""
    for reg in ((0, 0, 0, 0), (0.01, 0.02, 0.03, 0.04)):
        check_grads(m, "bprop_loop", reg)


@check("mlp", "bprop_loop", "bprop")
def bprop_loop_equals_bprop(m):
    """bprop_loop: equals bprop (with and without penalty)"""
    params, X, y = mlp_problem(23)
    for reg in ((0, 0, 0, 0), (0.01, 0.02, 0.03, 0.04)):
        loop, matrix = m.bprop_loop(params, X, y, reg), m.bprop(params, X, y, reg)
        for key in ("W1", "b1", "W2", "b2", "X"):
            require(isinstance(loop, dict) and key in loop, f"bprop_loop must return a dict with key {key!r}")
            require(isinstance(matrix, dict) and key in matrix, f"bprop must return a dict with key {key!r}")
            expect_close(loop[key], matrix[key], f"bprop_loop(..., reg={reg})[{key!r}] vs bprop(...)[{key!r}]",
                         rtol=1e-6, atol=1e-9, hint="the two must agree; the finite-difference checks above "
                         "tell which one is wrong")


@check("mlp", "finite_difference")
def finite_difference_of_a_known_function(m):
    """finite_difference: the gradient of a known function, and params left exactly as they were"""
    # Tiny entries such as 1e-7 do not survive (x - eps) + eps in floating point.
    params = {"a": np.array([[0.1, 1e-7], [-0.7, 1.23456e-6]]), "b": np.array([1 / 7, -0.3, 0.9])}
    before = copies(params=params)

    def f(p):
        return float(np.sum(p["a"] ** 2) + 3 * np.sum(p["b"]) + np.prod(p["b"]))
    g = m.finite_difference(f, params)
    require(isinstance(g, dict) and set(g) == {"a", "b"},
            f"finite_difference must return a dict with the keys of params; got {g if not isinstance(g, dict) else sorted(g)}")
    for key in params:
        changed = np.argwhere(params[key] != before["params"][key])
        if len(changed):
            index = tuple(int(i) for i in changed[0])
            raise CheckFailed(f"finite_difference left params[{key!r}]{list(index)} = {float(params[key][index])!r} "
                              f"instead of {float(before['params'][key][index])!r}. Save each entry before perturbing "
                              "it and put the saved value back ((x - eps) + eps is not always x in floating point)")
    b = params["b"]
    # As in the grader: with eps = 1e-5, central (error ~1e-10) and one-sided (error ~1e-5) differences pass.
    expect_close(g["a"], 2 * params["a"], "finite_difference(f, params)['a'] for f = sum(a^2) + ...",
                 rtol=1e-6, atol=1e-4)
    expect_close(g["b"], 3 + np.prod(b) / b, "finite_difference(f, params)['b']", rtol=1e-6, atol=1e-4)


@check("mlp", "finite_difference")
def finite_difference_uses_its_eps(m):
    """finite_difference: uses the eps it is given (central or one-sided differences)"""
    eps = 0.1
    params = {"a": np.array([[0.5, -1.2], [2.0, 0.3]]), "b": np.array([0.7, -0.4, 1.5])}

    def curved(x):
        return x ** 3 + np.sin(x)

    def f(p):
        return float(np.sum(curved(p["a"])) + np.sum(curved(p["b"])))
    g = m.finite_difference(f, copies(params=params)["params"], eps)
    require(isinstance(g, dict) and set(g) == {"a", "b"},
            f"finite_difference must return a dict with the keys of params; got {g if not isinstance(g, dict) else sorted(g)}")
    for key, x in params.items():
        got = as_floats(g[key], f"finite_difference(f, params, eps={eps})[{key!r}]")
        # With eps = 0.1 the three usual schemes differ visibly from each other and from f'.
        schemes = {"central": (curved(x + eps) - curved(x - eps)) / (2 * eps),
                   "forward": (curved(x + eps) - curved(x)) / eps,
                   "backward": (curved(x) - curved(x - eps)) / eps}
        if got.shape == x.shape and any(np.allclose(got, s, rtol=1e-6, atol=1e-6) for s in schemes.values()):
            continue
        exact = 3 * x ** 2 + np.cos(x)
        ignored = got.shape == x.shape and np.allclose(got, exact, rtol=1e-3, atol=1e-3)
        expect_close(got, schemes["central"], f"finite_difference(f, params, eps={eps})[{key!r}] for "
                     "f = sum(x^3 + sin(x)) (one-sided differences with this eps are accepted too)",
                     rtol=1e-6, atol=1e-6,
                     hint="these are the exact derivatives, not finite differences with eps = 0.1: the eps "
                     "argument is ignored (a fixed eps is used); perturb each entry by the eps you are given"
                     if ignored else "perturb each entry by +eps and -eps and divide by 2 eps (or by +eps "
                     "alone and divide by eps)")


@check("mlp", "predict", "fprop")
def predict_is_the_argmax_of_fprop(m):
    """predict: shape (n,), the argmax of your fprop's os"""
    rng = np.random.default_rng(24)
    params, X = small_params(rng), rng.normal(size=(8, 4))
    pred = expect_shape(m.predict(params, X), (8,), "predict(params, X) for X (8, 4)")
    want = np.asarray(m.fprop(params, X)["os"], dtype=float).argmax(axis=1)
    require(np.array_equal(pred, want), f"predict must be the argmax of os; got {fmt(pred)}, expected {fmt(want)}")


@check("mlp", "train_mlp", "loss", "predict")
def train_mlp_history_on_two_circles(m):
    """train_mlp: history per epoch, train_loss decreases and equals your loss, on two circles"""
    X, y = two_circles(200, noise=0.08, rng=np.random.default_rng(25))
    Xv, yv = two_circles(60, noise=0.08, rng=np.random.default_rng(26))
    params, history = m.train_mlp(X, y, dh=16, lr=0.2, epochs=15, batch_size=10, reg=(0, 0, 0, 1e-4),
                                  rng=np.random.default_rng(0), X_valid=Xv, y_valid=yv)
    for key, shape in [("W1", (16, 2)), ("b1", (16,)), ("W2", (2, 16)), ("b2", (2,))]:
        expect_shape(params[key], shape, f"params[{key!r}] returned by train_mlp (d=2, dh=16, 2 classes)")
    require(isinstance(history, dict), f"history must be a dict; got {type(history).__name__}")
    for key in ("train_loss", "train_error", "valid_loss", "valid_error"):
        require(key in history, f"history has no {key!r} (keys: {sorted(history)})")
        expect_shape(history[key], (15,), f"history[{key!r}] (one entry per epoch, 15 epochs)")
    losses = np.asarray(history["train_loss"], dtype=float)
    expect_close(losses[-1], m.loss(params, X, y, (0, 0, 0, 1e-4)),
                 "history['train_loss'][-1] vs your loss on the whole training set (penalty included)", rtol=1e-5)
    expect_close(history["train_error"][-1], np.mean(np.asarray(m.predict(params, X)) != y),
                 "history['train_error'][-1] vs the fraction your predict gets wrong")
    require(losses[-1] < losses[0], f"train_loss should decrease on this easy problem; got {fmt(losses)}")
    require(history["train_error"][-1] < 0.2, f"after 15 epochs on two circles the training error should be "
            f"below 20%; got {history['train_error'][-1]}")
    _, plain = m.train_mlp(X, y, dh=8, lr=0.1, epochs=2, batch_size=32)
    require("valid_loss" not in plain or not len(plain["valid_loss"]),
            "without validation data, history should not report valid_loss")


def sgd_replay(bprop, params, X, y, batches, lr):
    """Plain SGD steps with your bprop, one per mini-batch (a tuple of example indices)."""
    for batch in batches:
        rows = list(batch)
        step = bprop(params, X[rows], y[rows])
        params = {key: value - lr * np.asarray(step[key], dtype=float) for key, value in params.items()}
    return params


def same_weights(a, b):
    return all(np.allclose(np.asarray(a[key], dtype=float), np.asarray(b[key], dtype=float), rtol=1e-6, atol=1e-9)
               for key in ("W1", "b1", "W2", "b2"))


def batch_splits(n, batch_size, keep_partial):
    """Every epoch's sequence of mini-batches that cutting some permutation of range(n) gives."""
    splits = set()
    for order in itertools.permutations(range(n)):
        cut = [tuple(sorted(order[i:i + batch_size])) for i in range(0, n, batch_size)]
        if not keep_partial and len(cut[-1]) < batch_size:
            cut.pop()
        splits.add(tuple(cut))
    return sorted(splits)


def replayed_epochs(m, start, end, X, y, lr, batch_size):
    """Every pair of epochs of mini-batches that leads from start to end (several when steps happen to
    coincide), and whether the partial mini-batch was used; None when none does."""
    for keep_partial in (True, False):
        splits = batch_splits(len(X), batch_size, keep_partial)
        pairs = []
        for first in splits:
            halfway = sgd_replay(m.bprop, start, X, y, first, lr)
            pairs += [(first, second) for second in splits
                      if same_weights(sgd_replay(m.bprop, halfway, X, y, second, lr), end)]
        if pairs:
            return pairs, keep_partial
    return None


@check("mlp", "train_mlp", "bprop")
def train_mlp_reshuffles_and_uses_every_batch(m):
    """train_mlp: a fresh permutation each epoch, every mini-batch used (the partial one too)"""
    n, batch_size, lr = 5, 2, 0.5
    what = (f"train_mlp(X, y, dh=3, lr={lr}, epochs=2, batch_size={batch_size}, rng) on {n} points "
            "(3 mini-batches per epoch, the last of 1 example)")
    rng = np.random.default_rng(27)
    epochs = []
    for seed in (1, 2, 3):
        X = np.round(rng.normal(size=(n, 2)), 3)
        y = rng.permutation(np.array([0, 1, 0, 1, 1]))
        start, end = (m.train_mlp(X, y, dh=3, lr=rate, epochs=2, batch_size=batch_size,
                                  rng=np.random.default_rng(seed))[0] for rate in (0.0, lr))
        found = replayed_epochs(m, start, end, X, y, lr, batch_size)
        require(found is not None,
                f"{what}: the parameters are not those of SGD with your bprop from the initial parameters "
                "(those train_mlp returns with lr = 0), over 2 epochs of mini-batches of any permutation of the "
                f"examples.\nX = {fmt(X)}, y = {fmt(y)}\nHint: each step is params - lr * bprop(params, "
                "X_batch, y_batch, reg), with X and y shuffled by the same permutation (if a bprop check above "
                "fails, fix it first)")
        pairs, partial_used = found
        require(partial_used, f"{what}: the last, partial mini-batch of each epoch is dropped (2 steps per epoch "
                "instead of 3). Hint: use every example: for start in range(0, n, batch_size) makes the 1 "
                "leftover example the last mini-batch")
        epochs.append(pairs)
    reshuffled = [all(first != second for first, second in pairs) for pairs in epochs]
    require(any(reshuffled),
            f"{what}, with 3 seeds: each time the second epoch visited the mini-batches in exactly the same "
            f"order as the first (e.g. {epochs[0][0][0]}). Hint: draw a new permutation at the start of every "
            "epoch, not once before the loop")


@check("mlp", "HYPERPARAMS", "train_mlp")
def hyperparams_complete_and_fast_enough(m):
    """HYPERPARAMS: complete, and an estimate of your Fashion-MNIST training time"""
    hp = getattr(m, "HYPERPARAMS", None)
    problems = hyperparams_problems(hp, TRAIN_SUBSET)
    require(not problems, "\n".join(problems))
    rng = np.random.default_rng(0)
    n = 2000
    X = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    options = dict(hp, epochs=1)
    started = time.process_time()
    m.train_mlp(X, y, rng=np.random.default_rng(0), **options)
    seconds = (time.process_time() - started) * TRAIN_SUBSET / n * int(hp["epochs"])
    budget = TRAIN_CPU_SECONDS["numpy_mlp"]
    require(seconds < 0.8 * budget, f"training with HYPERPARAMS on {TRAIN_SUBSET:,} images would take about "
            f"{seconds:.0f} CPU seconds here; the grader allows {budget} s (on a similar machine): use fewer "
            "epochs, a smaller dh or a larger batch_size")
    return f"estimated training time on {TRAIN_SUBSET:,} images: about {seconds:.0f} CPU s of {budget} s allowed"
