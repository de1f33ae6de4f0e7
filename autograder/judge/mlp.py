"""What the graded tests of mlp.py call: expected values, classic mistakes, replays and checks."""
import itertools

import numpy as np

from autograder import config
from autograder.errors import CheckFailed
from autograder.judge.compare import (as_array, assert_close, assert_keys, assert_shape, assert_true,
                                      describe, format_inputs)
from autograder.judge.hyperparams import hyperparams_problems
from autograder.judge.numerics import numerical_gradient
from autograder.sandbox import calls
from reference import mlp as ref

PARAM_KEYS = ("W1", "b1", "W2", "b2")
GRAD_KEYS = PARAM_KEYS + ("X",)
REG_ALL = (0.05, 0.03, 0.07, 0.02)
REG_CASES = [(0.05, 0, 0, 0), (0, 0.03, 0, 0), (0, 0, 0.07, 0), (0, 0, 0, 0.02), REG_ALL]
TRAIN_TIMEOUT = 30.0   # a few hundred SGD steps on a 2-D toy problem


def make_problem(rng, n=7, d=5, dh=6, m=3, margin=1e-3):
    """Random params, X (n, d), y (n,), with every class present, no hidden
    pre-activation within ``margin`` of ReLU's kink and no weight within
    ``margin`` of the L1 kink (so finite differences are trustworthy)."""
    while True:
        params = {"W1": rng.normal(0, 1 / np.sqrt(d), (dh, d)), "b1": rng.normal(0, 0.2, dh),
                  "W2": rng.normal(0, 1 / np.sqrt(dh), (m, dh)), "b2": rng.normal(0, 0.2, m)}
        X = rng.normal(size=(n, d))
        y = rng.permutation(np.arange(n) % m).astype(np.int64)
        ha = X @ params["W1"].T + params["b1"]
        weights = np.concatenate([params["W1"].ravel(), params["W2"].ravel()])
        if np.abs(ha).min() > margin and np.abs(weights).min() > margin:
            return params, X, y


def shown(params, X, y=None, reg=None):
    """The inputs as shown in messages."""
    inputs = {k: params[k] for k in PARAM_KEYS}
    inputs["X"] = X
    if y is not None:
        inputs["y"] = y
    if reg is not None:
        inputs["reg"] = tuple(reg)
    return inputs


def penalty_terms(params, reg):
    l11, l12, l21, l22 = reg
    W1, W2 = params["W1"], params["W2"]
    return {"l11 ||W1||_1": l11 * np.abs(W1).sum(), "l12 ||W1||_2^2": l12 * (W1 ** 2).sum(),
            "l21 ||W2||_1": l21 * np.abs(W2).sum(), "l22 ||W2||_2^2": l22 * (W2 ** 2).sum()}


def loss_mistakes(params, X, y, reg):
    """What classic mistakes in `loss` would return."""
    ce = ref.loss(params, X, y)
    terms = penalty_terms(params, reg)
    pen = sum(terms.values())
    l11, l12, l21, l22 = reg
    W1, W2, b1, b2 = params["W1"], params["W2"], params["b1"], params["b2"]
    mistakes = {}
    for name, value in terms.items():
        if value:
            mistakes[f"the penalty term {name} is missing (regularisation not added)"] = ce + pen - value
    mistakes["the L2 terms use the norm ||W||_2 instead of its square ||W||_2^2"] = (
        ce + terms["l11 ||W1||_1"] + terms["l21 ||W2||_1"]
        + l12 * np.sqrt((W1 ** 2).sum()) + l22 * np.sqrt((W2 ** 2).sum()))
    mistakes["the biases are penalised too (they must not be)"] = (
        ce + pen + l11 * np.abs(b1).sum() + l12 * (b1 ** 2).sum()
        + l21 * np.abs(b2).sum() + l22 * (b2 ** 2).sum())
    mistakes["the L1 and L2 coefficients are swapped"] = (
        ce + l12 * np.abs(W1).sum() + l11 * (W1 ** 2).sum() + l22 * np.abs(W2).sum() + l21 * (W2 ** 2).sum())
    mistakes["the penalty is divided by n (it is added once, not averaged over examples)"] = ce + pen / len(X)
    mistakes["sum over the examples instead of the mean"] = ce * len(X) + pen
    return mistakes


def manual_grads(params, X, y, reg=(0, 0, 0, 0), *, relu_mask=True, l1_grad=None,
                 l2_factor=2.0, penalty_scale=1.0, bias_penalty=False, mean=True):
    """The gradients of `loss` written out (and variants of them for classic mistakes)."""
    n, m = X.shape[0], params["W2"].shape[0]
    f = ref.fprop(params, X)
    d_oa = (f["os"] - np.eye(m)[y]) / (n if mean else 1)
    d_ha = d_oa @ params["W2"]
    if relu_mask:
        d_ha = d_ha * (f["ha"] > 0)
    l11, l12, l21, l22 = reg
    sign = np.sign if l1_grad is None else l1_grad
    pen = {"W1": l11 * sign(params["W1"]) + l2_factor * l12 * params["W1"],
           "W2": l21 * sign(params["W2"]) + l2_factor * l22 * params["W2"],
           "b1": 0.0, "b2": 0.0}
    if bias_penalty:
        pen["b1"] = l11 * np.sign(params["b1"]) + l2_factor * l12 * params["b1"]
        pen["b2"] = l21 * np.sign(params["b2"]) + l2_factor * l22 * params["b2"]
    return {"W1": d_ha.T @ X + penalty_scale * pen["W1"], "b1": d_ha.sum(axis=0) + penalty_scale * pen["b1"],
            "W2": d_oa.T @ f["hs"] + penalty_scale * pen["W2"], "b2": d_oa.sum(axis=0) + penalty_scale * pen["b2"],
            "X": d_ha @ params["W1"]}


def grad_mistakes(params, X, y, reg):
    """key -> {classic mistake: what it gives for that key}."""
    variants = {"the ReLU derivative is missing (d_ha should be d_hs * relu'(ha))":
                manual_grads(params, X, y, reg, relu_mask=False),
                "sum over the examples instead of the mean (d_oa should be (os - onehot(y)) / n)":
                manual_grads(params, X, y, reg, mean=False)}
    if any(reg):
        n = X.shape[0]
        variants.update({
            "missing regularisation: the penalty's gradient is not added":
                manual_grads(params, X, y, reg, penalty_scale=0.0),
            "the L2 penalty's gradient lacks the factor 2 (d/dW l ||W||^2 = 2 l W)":
                manual_grads(params, X, y, reg, l2_factor=1.0),
            "the L1 penalty's gradient uses W instead of sign(W)":
                manual_grads(params, X, y, reg, l1_grad=lambda W: W),
            "the penalty's gradient is divided by n (it is added once, not averaged)":
                manual_grads(params, X, y, reg, penalty_scale=1.0 / n),
            "the penalty's gradient is added once per example (n times) instead of once":
                manual_grads(params, X, y, reg, penalty_scale=float(n)),
            "the penalty's gradient is added once per example and once more (n + 1 times) instead of once":
                manual_grads(params, X, y, reg, penalty_scale=float(n + 1)),
            "the biases are penalised too (they must not be)":
                manual_grads(params, X, y, reg, bias_penalty=True),
        })
    mistakes = {key: {name: grads[key] for name, grads in variants.items()} for key in GRAD_KEYS}
    for key in ("b1", "b2"):
        mistakes[key][f"a bias gradient of zero: d{key} is the sum over the examples of the gradient at the "
                      "layer's pre-activation (d_ha or d_oa), not 0"] = np.zeros_like(params[key])
    return mistakes


def check_gradients(got, params, X, y, reg, what, expected=None):
    """Compare a returned gradient dict with the reference, key by key."""
    assert_keys(got, GRAD_KEYS, what)
    expected = ref.bprop(params, X, y, reg) if expected is None else expected
    mistakes = grad_mistakes(params, X, y, reg)
    for key in GRAD_KEYS:
        assert_close(got[key], expected[key], f"{what}['{key}']", inputs=shown(params, X, y, reg),
                     mistakes=mistakes[key])


def numerical_gradients(params, X, y, reg, eps=1e-6):
    """Central finite differences of the reference loss, in the grader (trusted), for every key of GRAD_KEYS."""
    def loss_at(key, value):
        if key == "X":
            return ref.loss(params, value, y, reg)
        return ref.loss({**params, key: value}, X, y, reg)
    grads = {}
    for key in GRAD_KEYS:
        grads[key] = numerical_gradient(lambda value: loss_at(key, value), X if key == "X" else params[key], eps)
    return grads


def check_unchanged(before, after, what, name):
    """Fail unless an input came back exactly as it was sent."""
    if isinstance(before, dict):
        assert_true(isinstance(after, dict) and set(after) == set(before),
                    f"{what} changed the keys of its argument {name}; functions must not modify their inputs.")
        for key in before:
            check_unchanged(before[key], after[key], what, f"{name}['{key}']")
        return
    after = np.asarray(after)
    assert_true(after.shape == np.shape(before) and np.array_equal(after, before),
                f"{what} modified its input {name} (it must return new arrays and leave its inputs "
                "unchanged; use e.g. W = W - lr * g or a copy instead of in-place updates).")


def get_params(value, d, dh, m, what):
    """Check a returned params dict: keys and shapes; returns float arrays."""
    assert_keys(value, PARAM_KEYS, what)
    shapes = {"W1": (dh, d), "b1": (dh,), "W2": (m, dh), "b2": (m,)}
    params = {}
    for key, shape in shapes.items():
        array = as_array(value[key], f"{what}['{key}']")
        assert_shape(array, shape, f"{what}['{key}']")
        params[key] = array.astype(float)
    return params


def call_init(mlp, d, dh, m, seed):
    value = calls.call_with_rng(mlp, "init_params", d, dh, m, seed=seed)
    return get_params(value, d, dh, m, f"init_params({d}, {dh}, {m}, rng)")


def shared_draws(A, B):
    """How many entries of B equal (to 1e-9) some entry of A: independent uniform draws share none."""
    a = np.sort(np.ravel(A))
    b = np.ravel(B)
    index = np.clip(np.searchsorted(a, b), 1, len(a) - 1)
    nearest = np.minimum(np.abs(a[index] - b), np.abs(a[index - 1] - b))
    return int(np.sum(nearest <= 1e-9))


def check_uniform(W, bound, other_bound, what, fan_in_text, loose):
    """W's entries look like independent draws from U[-bound, bound]."""
    n = W.size
    largest = float(np.abs(W).max())
    std, mean = float(W.std()), float(W.mean())
    expected_std = bound / np.sqrt(3)
    summary = (f"\n{what}: {n} entries, largest |entry| {largest:.4g}, mean {mean:.3g}, "
               f"standard deviation {std:.4g}. Expected uniform in [-b, b] with b = {fan_in_text} = "
               f"{bound:.4g}, standard deviation b/sqrt(3) = {expected_std:.4g}.")
    if largest > bound * (1 + 1e-9):
        hint = ""
        if largest <= other_bound * (1 + 1e-9) and largest > 0.9 * other_bound:
            hint = " It looks like 1/sqrt(the number of outputs) was used instead of 1/sqrt(fan-in)."
        elif abs(std - bound) < 0.1 * bound or abs(std - expected_std) < 0.1 * expected_std:
            hint = " A normal distribution instead of a uniform one?"
        raise CheckFailed(f"{what} has entries outside [-b, b].{hint}{summary}")
    # Statistical checks: the tolerances are many standard errors wide
    # (relative standard error of the sample std of a uniform: 0.45/sqrt(n)).
    if largest < (0.98 if not loose else 0.95) * bound:
        hint = (" It looks like 1/sqrt(the number of outputs) was used instead of 1/sqrt(fan-in)."
                if abs(largest - other_bound) < 0.05 * other_bound else "")
        raise CheckFailed(f"{what} does not fill the interval [-b, b].{hint}{summary}")
    if abs(mean) > 6 * expected_std / np.sqrt(n):
        raise CheckFailed(f"{what} is not centred on 0 (uniform in [0, b] instead of [-b, b]?).{summary}")
    if abs(std / expected_std - 1) > (0.05 if not loose else 0.1):
        raise CheckFailed(f"{what} does not have the spread of a uniform distribution on [-b, b] "
                             f"(a normal distribution, or a different range?).{summary}")


def error_rate(params, X, y):
    return float(np.mean(np.argmax(ref.fprop(params, X)["oa"], axis=1) != y))


def decision_grid(params, X, y, size=60, margin=0.25):
    """The class the returned params predict on a size x size grid around X (for the instructor's
    report, drawn there with coursedata.plots.plot_decision_regions); computed here, not by student code."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * (hi - lo)
    xs, ys = np.linspace(lo[0] - pad[0], hi[0] + pad[0], size), np.linspace(lo[1] - pad[1], hi[1] + pad[1], size)
    gx, gy = np.meshgrid(xs, ys)
    classes = np.argmax(ref.fprop(params, np.column_stack([gx.ravel(), gy.ravel()]))["oa"], axis=1)
    return {"xs": np.round(xs, 4), "ys": np.round(ys, 4), "classes": classes.reshape(size, size),
            "X": np.round(X, 4), "y": y}


def train_twice(mlp, X, y, hp, seed, what):
    """train_mlp with lr = 0 (its initial parameters) and with ``hp``, both from default_rng(seed)."""
    results = []
    for lr in (0.0, hp["lr"]):
        value = calls.call_with_rng(mlp, "train_mlp", X, y, seed=seed, timeout=TRAIN_TIMEOUT, **{**hp, "lr": lr})
        assert_true(isinstance(value, (tuple, list)) and len(value) == 2,
                    f"{what} should return a pair (params, history), but returned {describe(value)}.")
        results.append(get_params(value[0], X.shape[1], hp["dh"], int(y.max()) + 1, f"{what}: params"))
    assert_true(not same_params(*results),
                f"{what} returned the same parameters as with lr = 0: it took no gradient step.")
    return results


def sgd(params, X, y, batches, lr):
    for batch in batches:
        grads = ref.bprop(params, X[list(batch)], y[list(batch)])
        params = {k: v - lr * grads[k] for k, v in params.items()}
    return params


def same_params(a, b):
    return all(np.allclose(a[k], b[k], rtol=1e-7, atol=1e-10) for k in PARAM_KEYS)


def epoch_orders(n, batch_size, keep_partial=True):
    """Every way one epoch can cut a permutation of n examples into consecutive mini-batches
    (order inside a batch does not matter); without ``keep_partial``, the last, partial one dropped."""
    orders = set()
    for permutation in itertools.permutations(range(n)):
        chunks = [tuple(sorted(permutation[i:i + batch_size])) for i in range(0, n, batch_size)]
        if not keep_partial and len(chunks[-1]) < batch_size:
            chunks = chunks[:-1]
        orders.add(tuple(chunks))
    return sorted(orders)


def find_epochs(start, end, X, y, lr, n, batch_size):
    """The two epochs of mini-batches that lead from ``start`` to ``end``: ``(orders, partial_used)`` or None."""
    for keep_partial in (True, False):
        orders = epoch_orders(n, batch_size, keep_partial)
        for first in orders:
            middle = sgd(start, X, y, first, lr)
            for second in orders:
                if same_params(sgd(middle, X, y, second, lr), end):
                    return (first, second), keep_partial
    return None


def check_epochs(mlp, rng):
    """Two epochs on 5 examples with batch_size 2: replayed here for every way of forming the batches."""
    n, batch_size = 5, 2
    hp = dict(dh=3, lr=0.5, epochs=2, batch_size=batch_size)
    what = (f"train_mlp(X, y, {', '.join(f'{k}={v}' for k, v in hp.items())}, rng) on {n} points in 2-D "
            "(so 3 mini-batches per epoch, the last of 1 example)")
    found = []
    for _ in range(3):
        X = np.round(rng.normal(size=(n, 2)), 3)
        y = rng.permutation(np.array([0, 1, 0, 1, 1]))
        start, end = train_twice(mlp, X, y, hp, int(rng.integers(2 ** 31)), what)
        match = find_epochs(start, end, X, y, hp["lr"], n, batch_size)
        assert_true(match is not None,
                    f"{what}: the returned parameters are not those of SGD from the initial parameters (the "
                    "ones train_mlp returns with lr = 0) over 2 epochs of mini-batches of a permutation of the "
                    "examples, for any permutation. Each step is params - lr * bprop(params, X_batch, y_batch) "
                    "with the rows of X and the labels y shuffled by the same permutation."
                    + format_inputs({"X": X, "y": y}))
        (first, second), partial_used = match
        assert_true(partial_used,
                    f"{what}: the last, partial mini-batch of each epoch is dropped: the parameters are those of "
                    "2 steps per epoch instead of 3. Use every example: for start in range(0, n, batch_size) "
                    "takes the 1 leftover example as the last batch." + format_inputs({"X": X, "y": y}))
        found.append((first, second))
    assert_true(any(first != second for first, second in found),
                f"{what}, from 3 seeds: each time the second epoch visited the mini-batches in exactly the "
                f"same order as the first ({found[0][0]}): draw a fresh rng.permutation(n) at the start of "
                "every epoch, not once before the loop.")


def check_shuffled_together(mlp, rng):
    """One full batch of 6 examples of 4 classes: a step on mismatched (x, label) pairs is recognised."""
    n = 6
    hp = dict(dh=3, lr=0.5, epochs=1, batch_size=n)
    what = (f"train_mlp(X, y, {', '.join(f'{k}={v}' for k, v in hp.items())}, rng) on {n} points of 4 "
            "classes (one step on the whole set)")
    for _ in range(2):
        X = np.round(rng.normal(size=(n, 2)), 3)
        y = rng.permutation(np.array([0, 0, 1, 1, 2, 3]))   # unbalanced: the gradient at zero weights is not 0
        start, end = train_twice(mlp, X, y, hp, int(rng.integers(2 ** 31)), what)
        if same_params(sgd(start, X, y, [range(n)], hp["lr"]), end):
            continue
        mismatched = any(same_params(sgd(start, X, y[list(pairing)], [range(n)], hp["lr"]), end)
                         for pairing in itertools.permutations(range(n)))
        assert_true(not mismatched,
                    f"{what}: the step used the rows of X with the labels of other examples: X and y were "
                    "shuffled with different permutations. Draw one order = rng.permutation(n) and use "
                    "X[order] with y[order]." + format_inputs({"X": X, "y": y}))
        raise CheckFailed(f"{what}: the returned parameters are not params - lr * bprop(params, X, y) from the "
                          "initial parameters (those train_mlp returns with lr = 0)." + format_inputs({"X": X, "y": y}))


COUNT_KEYS = ("dh", "epochs", "batch_size")   # whole numbers, passed on to train_mlp as ints


def check_hyperparams(hp):
    """HYPERPARAMS is a dict of sensible keyword arguments for train_mlp (the rules of
    autograder/hyperparams.py, shared with the self-check); returns it with whole-number
    floats (``8.0``) passed on as ints."""
    problems = hyperparams_problems(hp, config.TRAIN_SUBSET)
    assert_true(not problems, " ".join(problems))
    return {key: int(value) if key in COUNT_KEYS else value for key, value in hp.items()}


