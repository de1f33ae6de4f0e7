"""What the graded tests of mlp.py call: expected values, classic mistakes, replays and checks."""
import numpy as np

from autograder import config
from autograder.errors import CheckFailed
from autograder.judge import answers, replays, rounding, training
from autograder.judge.compare import assert_close, assert_keys, assert_true, describe
from autograder.judge.expect import Sequence, expect, fits
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


def probe_finite_difference(mlp, params, eps, what):
    """``finite_difference`` on a function whose gradient the grader knows (``calls.finite_difference_probe``)."""
    return expect(calls.finite_difference_probe(mlp, params, eps), answers.FINITE_DIFFERENCE, what)


def recorded_curves(history, epochs):
    """What is recorded of a history: its curves of one number per epoch (the others left out)."""
    return {key: curve for key, curve in history.items() if fits(curve, Sequence(epochs))} \
        if isinstance(history, dict) else {}


def fashion_result(result, hp, setting):
    """``calls.train_numpy_mlp``'s answer: the params of the shapes asked for (as floats), the
    history's curves to record, and the CPU time."""
    result = expect(result, answers.TRAINED_NUMPY_MLP, setting)
    params = get_params(result["params"], 784, int(hp["dh"]), 10, f"{setting}: params")
    return params, recorded_curves(result["history"], int(hp["epochs"])), float(result["cpu_seconds"])


def get_params(value, d, dh, m, what):
    """A returned params dict of the shapes asked for (refused otherwise), as float arrays (float32 ones
    stay float32, so that comparisons allow their rounding: judge/rounding.py)."""
    params = {}
    for key, array in expect(value, answers.mlp_params(d, dh, m), what).items():
        problem = rounding.dtype_problem(array, f"{what}['{key}']")
        assert_true(problem is None, problem)
        params[key] = array if array.dtype.kind == "f" else array.astype(float)
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


def error_rates(params, X, y):
    """The error rate of ``params`` on (X, y), and, for float32 parameters, also the rate that a float32
    forward pass gets (a point on the decision boundary to float32 rounding may go either way)."""
    rates = [error_rate(params, X, y)]
    if rounding.coarsest(*params.values()) == np.float32:
        p = {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}
        hidden = np.maximum(np.asarray(X, dtype=np.float32) @ p["W1"].T + p["b1"], 0)
        rates.append(float(np.mean(np.argmax(hidden @ p["W2"].T + p["b2"], axis=1) != y)))
    return rates


def check_history_errors(params, curves, train, valid, reg, what):
    """history's last train_error, valid_error and valid_loss are those of the returned params (float32
    parameters are allowed their rounding)."""
    for key, (X, y) in (("train_error", train), ("valid_error", valid)):
        rates = error_rates(params, X, y)
        got = curves[key][-1]
        assert_true(any(abs(got - rate) < 1e-9 or abs(got - 100 * rate) < 1e-7 for rate in rates),
                    f"{what}: history['{key}'][-1] is {float(got)!r}, but the returned params misclassify "
                    f"a fraction {rates[0]!r} of those points (it should be the error rate after the last epoch).")
    expected_ce = ref.loss(params, *valid)
    expected_pen = ref.loss(params, *valid, reg)
    got = curves["valid_loss"][-1]
    tolerance = rounding.tolerances(expected_ce, *params.values())
    # The contract does not say whether the validation loss includes the penalty: both are accepted.
    assert_true(any(abs(got - value) <= tolerance["rtol"] * abs(value) + tolerance["atol"]
                    for value in (expected_ce, expected_pen)),
                f"{what}: history['valid_loss'][-1] is {float(got)!r}, but the loss of the returned params on "
                f"the validation set is {expected_ce!r} ({expected_pen!r} with the penalty).")


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
    assert_true(not all(np.array_equal(results[0][k], results[1][k]) for k in PARAM_KEYS),
                f"{what} returned the same parameters as with lr = 0: it took no gradient step.")
    return training.Run(X, y, *results)


REPLAY_WORDS = training.Words(step="params - lr * bprop(params, X_batch, y_batch, reg)",
                              initial="the ones train_mlp returns with lr = 0", fresh_order=training.NUMPY_ORDER,
                              together=training.NUMPY_TOGETHER)


def replay_gradient(reg=(0, 0, 0, 0)):
    return lambda params, X, y: ref.bprop(params, X, y, reg)


def float32_points(rng, n):
    """The tiny training sets are float32, as Fashion-MNIST is (the contract's float32 rule)."""
    return rng.normal(size=(n, 2)).astype(np.float32)


def call_text(hp, n, data):
    return f"train_mlp(X, y, {', '.join(f'{k}={v}' for k, v in hp.items())}, rng) on {n} float32 points {data}"


def check_epochs(mlp, rng):
    """Two epochs on 5 examples with batch_size 2, from 3 seeds, replayed here for every way of forming
    the mini-batches (judge/replays.py): every batch used, the partial one too, a fresh order each epoch."""
    n, batch_size = 5, 2
    hp = dict(dh=3, lr=0.5, epochs=2, batch_size=batch_size)
    what = call_text(hp, n, "in 2-D (so 3 mini-batches per epoch, the last of 1 example)")
    runs = []
    for _ in range(3):
        X = float32_points(rng, n)
        y = rng.permutation(np.array([0, 1, 0, 1, 1]))
        runs.append(train_twice(mlp, X, y, hp, int(rng.integers(2 ** 31)), what))
    training.check_epochs(runs, replay_gradient(), replays.SGD(hp["lr"]), batch_size, hp["epochs"], what,
                          REPLAY_WORDS)


def check_shuffled_together(mlp, rng):
    """One full batch of 6 examples of 4 classes: a step on mismatched (x, label) pairs is recognised."""
    n = 6
    hp = dict(dh=3, lr=0.5, epochs=1, batch_size=n)
    what = call_text(hp, n, "of 4 classes (one step on the whole set)")
    for _ in range(2):   # a mismatch that happens to keep every label in place goes unseen once, not twice
        X = float32_points(rng, n)
        y = rng.permutation(np.array([0, 0, 1, 1, 2, 3]))   # unbalanced: the gradient at zero weights is not 0
        training.check_together(train_twice(mlp, X, y, hp, int(rng.integers(2 ** 31)), what), replay_gradient(),
                                hp["lr"], what, REPLAY_WORDS)


def check_penalty_trained(mlp, rng):
    """One full-batch step with every penalty coefficient nonzero: the penalty is part of the step."""
    n, reg = 6, (0.02, 0.03, 0.04, 0.05)
    hp = dict(dh=3, lr=0.5, epochs=1, batch_size=n, reg=reg)
    what = call_text(hp, n, "(one step on the whole set)")
    X = float32_points(rng, n)
    y = rng.permutation(np.array([0, 0, 1, 1, 2, 2]))
    run = train_twice(mlp, X, y, hp, int(rng.integers(2 ** 31)), what)

    def step(gradient):
        grads = gradient(run.start, X, y)
        return {k: np.asarray(v, dtype=float) - hp["lr"] * grads[k] for k, v in run.start.items()}
    training.check_replayed(
        run, step(replay_gradient(reg)),
        {"the penalty is not trained on: each step is params - lr * bprop(params, X_batch, y_batch) without reg "
         "(the penalty is only reported in history['train_loss']). Pass reg on: bprop(params, X_batch, y_batch, "
         "reg)": step(replay_gradient())},
        what, f"one step params - lr * bprop(params, X, y, reg={reg}) from the initial parameters (the ones "
              "train_mlp returns with lr = 0)")


COUNT_KEYS = ("dh", "epochs", "batch_size")   # whole numbers, passed on to train_mlp as ints


def check_hyperparams(hp):
    """HYPERPARAMS is a dict of sensible keyword arguments for train_mlp (the rules of
    autograder/hyperparams.py, shared with the self-check); returns it with whole-number
    floats (``8.0``) passed on as ints."""
    problems = hyperparams_problems(hp, config.TRAIN_SUBSET)
    assert_true(not problems, " ".join(problems))
    return {key: int(value) if key in COUNT_KEYS else value for key, value in hp.items()}


