"""Part 3: mlp.py — a one-hidden-layer MLP with ReLU, softmax and elastic net, by hand (28 points)."""
import itertools

import numpy as np
import pytest

from autograder import config
from autograder.compare import (CheckFailed, as_array, assert_close, assert_keys, assert_number, assert_sequence,
                                assert_shape, assert_true, describe, format_inputs, matches, score_cases)
from autograder.graded.helpers import graded, lazy, numerical_gradient
from autograder.hyperparams import hyperparams_problems
from autograder.sandbox import StudentError
from reference import mlp as ref
from coursedata.toy import two_circles

PARAM_KEYS = ("W1", "b1", "W2", "b2")
GRAD_KEYS = PARAM_KEYS + ("X",)
REG_ALL = (0.05, 0.03, 0.07, 0.02)
REG_CASES = [(0.05, 0, 0, 0), (0, 0.03, 0, 0), (0, 0, 0.07, 0), (0, 0, 0, 0.02), REG_ALL]
TRAIN_TIMEOUT = 30.0   # a few hundred SGD steps on a 2-D toy problem


# ---------------------------------------------------------------------------
# Inputs and independent formulas (grader side)
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# init_params
# ---------------------------------------------------------------------------

def call_init(mlp, d, dh, m, seed):
    value = mlp.task("call_function_with_rng", key="init_params", timeout=config.CALL_TIMEOUT,
                     function="init_params", seed=seed, args=[d, dh, m])
    return get_params(value, d, dh, m, f"init_params({d}, {dh}, {m}, rng)")


@graded("3.1", 1, tags=("mlp", "init_params"))
def test_init_params_shapes(mlp):
    """init_params: shapes, zero biases, randomness drawn from rng, no draws shared between W1 and W2"""
    d, dh, m = 5, 4, 3
    what = f"init_params({d}, {dh}, {m}, rng)"
    first = call_init(mlp, d, dh, m, seed=1)
    for key in ("b1", "b2"):
        assert_true(not np.any(first[key]),
                    f"{what}['{key}'] should be all zeros (biases start at zero), got {first[key]}.")
    again = call_init(mlp, d, dh, m, seed=1)
    other = call_init(mlp, d, dh, m, seed=2)
    assert_true(all(np.array_equal(first[k], again[k]) for k in ("W1", "W2")),
                f"{what} returned different weights for two generators with the same seed: draw every "
                "random number from the rng argument (rng.uniform), not from np.random.")
    assert_true(not np.array_equal(first["W1"], other["W1"]) and not np.array_equal(first["W2"], other["W2"]),
                f"{what} returned the same weights for generators with different seeds: the weights "
                "must be drawn from rng.")
    shared = shared_draws(first["W1"] * np.sqrt(d), first["W2"] * np.sqrt(dh))
    assert_true(shared < first["W2"].size / 2,
                f"{what}: {shared} of the {first['W2'].size} entries of W2 / (1/sqrt(dh)) are also entries of "
                "W1 / (1/sqrt(d)): the two matrices share their random draws. Draw each matrix with its own call "
                "of rng.uniform, so that W2's numbers come after W1's in rng's stream.")


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
        raise AssertionError(f"{what} has entries outside [-b, b].{hint}{summary}")
    # Statistical checks: the tolerances are many standard errors wide
    # (relative standard error of the sample std of a uniform: 0.45/sqrt(n)).
    if largest < (0.98 if not loose else 0.95) * bound:
        hint = (" It looks like 1/sqrt(the number of outputs) was used instead of 1/sqrt(fan-in)."
                if abs(largest - other_bound) < 0.05 * other_bound else "")
        raise AssertionError(f"{what} does not fill the interval [-b, b].{hint}{summary}")
    if abs(mean) > 6 * expected_std / np.sqrt(n):
        raise AssertionError(f"{what} is not centred on 0 (uniform in [0, b] instead of [-b, b]?).{summary}")
    if abs(std / expected_std - 1) > (0.05 if not loose else 0.1):
        raise AssertionError(f"{what} does not have the spread of a uniform distribution on [-b, b] "
                             f"(a normal distribution, or a different range?).{summary}")


@graded("3.2", 1, tags=("mlp", "init_params"))
def test_init_params_distribution(mlp):
    """init_params: weights uniform in [-1/sqrt(fan-in), 1/sqrt(fan-in)]"""
    d, dh, m = 400, 60, 40
    params = call_init(mlp, d, dh, m, seed=3)
    what = f"init_params({d}, {dh}, {m}, rng)"
    check_uniform(params["W1"], 1 / np.sqrt(d), 1 / np.sqrt(dh), f"{what}['W1'] (shape ({dh}, {d}))",
                  f"1/sqrt(d) = 1/sqrt({d})", loose=False)
    check_uniform(params["W2"], 1 / np.sqrt(dh), 1 / np.sqrt(m), f"{what}['W2'] (shape ({m}, {dh}))",
                  f"1/sqrt(dh) = 1/sqrt({dh})", loose=True)


# ---------------------------------------------------------------------------
# fprop, loss
# ---------------------------------------------------------------------------

@graded("3.3", 1, tags=("mlp", "fprop"))
def test_fprop(mlp, rng):
    """fprop: ha, hs, oa and os"""
    for n, d, dh, m in [(7, 5, 6, 3), (4, 3, 8, 5)]:
        params, X, _ = make_problem(rng, n, d, dh, m)
        got = mlp.fprop(params, X)
        assert_keys(got, ("ha", "hs", "oa", "os"), "fprop(params, X)")
        expected = ref.fprop(params, X)
        ha = expected["ha"]
        oa_no_relu = ha @ params["W2"].T + params["b2"]
        exp_oa = np.exp(expected["oa"] - expected["oa"].max(axis=0))
        mistakes = {
            "ha": {"b1 is missing": X @ params["W1"].T},
            "hs": {"hs = ha (the ReLU is missing)": ha, "hs = relu'(ha) instead of relu(ha)": (ha > 0) * 1.0},
            "oa": {"oa computed from ha instead of hs = relu(ha)": oa_no_relu,
                   "b2 is missing": expected["oa"] - params["b2"]},
            "os": {"softmax over the wrong axis (columns instead of rows)": exp_oa / exp_oa.sum(axis=0),
                   "os = exp(oa) without normalising": np.exp(expected["oa"])},
        }
        for key in ("ha", "hs", "oa", "os"):
            assert_close(got[key], expected[key], f"fprop(params, X)['{key}']", inputs=shown(params, X),
                         mistakes=mistakes[key])


@graded("3.4", 1, tags=("mlp", "loss"))
def test_loss(mlp, rng):
    """loss: mean cross-entropy without regularisation"""
    for n, d, dh, m in [(7, 5, 6, 3), (12, 4, 3, 5)]:
        params, X, y = make_problem(rng, n, d, dh, m)
        expected = ref.loss(params, X, y)
        os_ = ref.fprop(params, X)["os"]
        mistakes = {"sum over the examples instead of the mean": expected * n,
                    "mean of log os over all entries instead of the correct class only":
                        -np.mean(np.log(os_)),
                    "the probability of class 0 is used instead of class y_i":
                        -np.mean(np.log(os_[:, 0]))}
        for args, kwargs, what in [((params, X, y), {}, "loss(params, X, y)"),
                                   ((params, X, y), {"reg": (0, 0, 0, 0)}, "loss(params, X, y, reg=(0, 0, 0, 0))")]:
            value = assert_number(mlp.loss(*args, **kwargs), what, inputs=shown(params, X, y))
            assert_close(value, expected, what, inputs=shown(params, X, y), mistakes=mistakes)


@graded("3.5", 2, tags=("mlp", "loss"), partial=True)
def test_loss_regularised(mlp, rng, set_score=None):
    """loss: with the elastic-net penalty (each coefficient alone, then all four)"""
    params, X, y = make_problem(rng, 8, 5, 6, 3)

    def case(reg):
        def check():
            what = f"loss(params, X, y, reg={reg})"
            value = assert_number(mlp.loss(params, X, y, reg=reg), what, inputs=shown(params, X, y, reg))
            assert_close(value, ref.loss(params, X, y, reg), what, inputs=shown(params, X, y, reg),
                         mistakes=loss_mistakes(params, X, y, reg))
        return f"reg = {reg}", check

    score_cases([case(reg) for reg in REG_CASES], 2, set_score)


# ---------------------------------------------------------------------------
# bprop, bprop_loop, finite_difference
# ---------------------------------------------------------------------------

@graded("3.6", 2, tags=("mlp", "bprop"))
def test_bprop(mlp, rng):
    """bprop: gradients of the mean cross-entropy (W1, b1, W2, b2 and X)"""
    for n, d, dh, m in [(7, 5, 6, 3), (10, 3, 4, 5)]:
        params, X, y = make_problem(rng, n, d, dh, m)
        check_gradients(mlp.bprop(params, X, y), params, X, y, (0, 0, 0, 0), "bprop(params, X, y)")


@graded("3.7", 2, tags=("mlp", "bprop"), partial=True)
def test_bprop_regularised(mlp, rng, set_score=None):
    """bprop: gradients with the elastic-net penalty"""
    params, X, y = make_problem(rng, 8, 5, 6, 3)

    def case(reg):
        def check():
            what = f"bprop(params, X, y, reg={reg})"
            check_gradients(mlp.bprop(params, X, y, reg=reg), params, X, y, reg, what)
        return f"reg = {reg}", check

    score_cases([case(reg) for reg in REG_CASES], 2, set_score)


@graded("3.8", 1, tags=("mlp", "bprop"))
def test_bprop_finite_differences(mlp, rng):
    """bprop: agrees with finite differences of the loss, and leaves its inputs unchanged"""
    params, X, y = make_problem(rng, 6, 4, 5, 3)
    reg = REG_ALL
    what = f"bprop(params, X, y, reg={reg})"
    sent = {k: v.copy() for k, v in params.items()}, X.copy(), y.copy()
    result = mlp.task("call_function_and_return_inputs", key="bprop", timeout=config.CALL_TIMEOUT, function="bprop",
                      args=[params, X, y], kwargs={"reg": reg})
    got = result["value"]
    assert_keys(got, GRAD_KEYS, what)
    numeric = numerical_gradients(params, X, y, reg)
    mistakes = grad_mistakes(params, X, y, reg)
    for key in GRAD_KEYS:
        # Central differences with eps = 1e-6 are accurate to about 1e-9 here; the
        # tolerance leaves room for that and rejects every mistake (errors >= 1e-4).
        assert_close(got[key], numeric[key], f"{what}['{key}'] (compared with finite differences of the loss)",
                     inputs=shown(params, X, y, reg), rtol=1e-5, atol=1e-7, mistakes=mistakes[key])
    for name, before, after in zip(("params", "X", "y"), sent, result["args_after"]):
        check_unchanged(before, after, what, name)


@graded("3.9", 2, tags=("mlp", "bprop_loop"), partial=True)
def test_bprop_loop(mlp, rng, set_score=None):
    """bprop_loop: the same gradients, one example at a time"""
    params, X, y = make_problem(rng, 7, 5, 6, 3)

    def case(reg):
        def check():
            what = f"bprop_loop(params, X, y, reg={reg})"
            check_gradients(mlp.bprop_loop(params, X, y, reg=reg), params, X, y, reg, what)
        return "no regularisation" if not any(reg) else f"reg = {reg}", check

    score_cases([case((0, 0, 0, 0)), case(REG_ALL)], 2, set_score)


@graded("3.10", 2, tags=("mlp", "finite_difference"), partial=True)
def test_finite_difference(mlp, rng, set_score=None):
    """finite_difference: numerical gradient, parameters left unchanged"""
    shapes = {"W1": (3, 4), "b1": (3,), "W2": (2, 3), "b2": (2,)}
    params = {k: rng.uniform(0.1, 2.0, s) * rng.choice([-1.0, 1.0], s) for k, s in shapes.items()}
    eps = 1e-5
    what = f"finite_difference(f, params, eps={eps})"
    # The probe's f: sum over keys k (sorted, index i) of sum(sin(p_k) + (i+1)/2 p_k^2).
    keys = sorted(params)
    expected = {k: np.cos(params[k]) + (i + 1) * params[k] for i, k in enumerate(keys)}
    description = ("f(params) = sum over the keys k (index i in sorted order) of "
                   "sum(sin(params[k]) + (i+1)/2 * params[k]**2)")
    result = mlp.task("finite_difference_probe", key="finite_difference", timeout=config.CALL_TIMEOUT,
                      params=params, eps=eps)

    def gradient():
        got = assert_keys(result["gradient"], keys, what)
        for key in keys:
            # Any finite-difference scheme with eps = 1e-5 (central: error ~1e-10; forward:
            # error <= eps/2 * max|f''| ~ 3e-5) is accepted; mistakes are off by >= 1e-2.
            assert_close(got[key], expected[key], f"{what}['{key}'] with {description}",
                         inputs={key: params[key]}, rtol=1e-6, atol=1e-4,
                         mistakes={"divided by eps instead of 2 eps (central differences)": 2 * expected[key],
                                   "divided by 2 eps instead of eps (forward differences)": expected[key] / 2})

    def unchanged():
        after = result["params_after"]
        assert_true(isinstance(after, dict) and set(after) == set(params),
                    f"{what} changed the keys of params.")
        for key in keys:
            got = np.asarray(after[key], dtype=float)
            assert_true(got.shape == params[key].shape, f"{what} changed the shape of params['{key}'].")
            # p + eps - eps may differ from p in the last bits: allowed up to 1e-12 relative.
            change = np.abs(got - params[key])
            bad = change > 1e-12 * np.abs(params[key])
            if bad.any():
                j = tuple(int(i) for i in np.argwhere(bad)[0])
                index = ", ".join(map(str, j))
                raise AssertionError(
                    f"{what}: finite differences leave the parameters changed: params['{key}'][{index}] was "
                    f"{float(params[key][j])!r} before the call and {float(got[j])!r} after it "
                    f"(changed by {change[j]:.3g}; {int(bad.sum())} entries of params['{key}'] changed). "
                    "Save each entry before perturbing it and put the saved value back afterwards.")

    def large_eps():
        big = 0.1
        call = f"finite_difference(f, params, eps={big})"
        probe = mlp.task("finite_difference_probe", key="finite_difference", timeout=config.CALL_TIMEOUT,
                         params=params, eps=big)
        got = assert_keys(probe["gradient"], keys, call)
        for i, key in enumerate(keys):
            p, c = params[key], i + 1

            def f(v):
                return np.sin(v) + 0.5 * c * v ** 2
            schemes = {"central": (f(p + big) - f(p - big)) / (2 * big), "forward": (f(p + big) - f(p)) / big,
                       "backward": (f(p) - f(p - big)) / big}
            # The contract only says "perturbing one entry at a time": any of the three is right,
            # with the eps asked for.
            if any(matches(got[key], value) for value in schemes.values()):
                continue
            assert_close(got[key], schemes["central"],
                         f"{call}['{key}'] with {description} (with eps = {big} the schemes differ visibly from the "
                         "derivative: (f(p + eps) - f(p - eps)) / (2 eps) is expected; one-sided differences with "
                         "this eps are accepted too)",
                         inputs={key: p},
                         mistakes={"the eps argument is ignored (a fixed eps is used)": expected[key],
                                   "divided by eps instead of 2 eps (central differences)": 2 * schemes["central"],
                                   "divided by 2 eps instead of eps (forward differences)": schemes["forward"] / 2})

    # "Params unchanged" is a property (a function that computes nothing has it): it counts
    # once the gradient is right.
    score_cases([("numerical gradient", gradient), ("uses the eps it is given", large_eps)], 2, set_score,
                properties=[("params unchanged", unchanged)])


# ---------------------------------------------------------------------------
# predict, train_mlp, HYPERPARAMS
# ---------------------------------------------------------------------------

@graded("3.11", 1, tags=("mlp", "predict"))
def test_predict(mlp, rng):
    """predict: the most probable class of each row"""
    params, X, _ = make_problem(rng, 20, 4, 6, 5)
    expected = np.argmax(ref.fprop(params, X)["oa"], axis=1)
    got = as_array(mlp.predict(params, X), "predict(params, X)", inputs=shown(params, X))
    assert_true(got.shape != (5,), "predict(params, X) returned shape (5,) for 20 rows of X and 5 classes; "
                "expected (20,): one class per row. Is the argmax taken over axis 0 (the examples) "
                "instead of axis 1 (the classes)?")
    assert_true(got.shape != (20, 5), "predict(params, X) returned shape (20, 5); expected (20,): the "
                "index of the largest score of each row (np.argmax(..., axis=1)), not the probabilities.")
    assert_close(got, expected, "predict(params, X)", inputs=shown(params, X))


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


@graded("3.12", 2, tags=("mlp", "train_mlp", "init_params", "bprop", "loss"), partial=True)
def test_train_mlp_history(mlp, set_score=None):
    """train_mlp: returned params and the history of losses and errors after each epoch"""
    X, y = two_circles(120, rng=np.random.default_rng(10))
    X_valid, y_valid = two_circles(60, rng=np.random.default_rng(11))
    hp = dict(dh=8, lr=0.3, epochs=4, batch_size=16, reg=(1e-3, 2e-3, 1e-3, 2e-3))
    what = (f"train_mlp(X, y, dh={hp['dh']}, lr={hp['lr']}, epochs={hp['epochs']}, "
            f"batch_size={hp['batch_size']}, reg={hp['reg']}, rng, X_valid, y_valid) on two circles "
            f"({len(X)} training and {len(X_valid)} validation points, 2 classes)")
    def train():
        value = mlp.task("call_function_with_rng", key="train_mlp", timeout=TRAIN_TIMEOUT, function="train_mlp",
                         seed=5, args=[X, y], kwargs={**hp, "X_valid": X_valid, "y_valid": y_valid})
        assert_true(isinstance(value, (tuple, list)) and len(value) == 2,
                    f"{what} should return a pair (params, history), but returned {describe(value)}.")
        params = get_params(value[0], 2, hp["dh"], 2, f"{what}: params")
        history = assert_keys(value[1], ("train_loss", "train_error", "valid_loss", "valid_error"),
                              f"{what}: history")
        curves = {k: assert_sequence(history[k], f"{what}: history['{k}']", length=hp["epochs"])
                  for k in ("train_loss", "train_error", "valid_loss", "valid_error")}
        return params, curves

    trained = lazy(train)

    def shapes_and_lengths():
        trained()

    def train_loss():
        params, curves = trained()
        expected = ref.loss(params, X, y, hp["reg"])
        without_penalty = ref.loss(params, X, y)
        assert_close(curves["train_loss"][-1], expected,
                     f"{what}: history['train_loss'][-1] (the loss, penalty included, of the returned params "
                     "on the whole training set)",
                     mistakes={"the penalty is not included in the training loss": without_penalty})

    def errors():
        params, curves = trained()
        for key, (X_, y_) in [("train_error", (X, y)), ("valid_error", (X_valid, y_valid))]:
            expected = error_rate(params, X_, y_)
            got = curves[key][-1]
            assert_true(abs(got - expected) < 1e-9 or abs(got - 100 * expected) < 1e-7,
                        f"{what}: history['{key}'][-1] is {float(got)!r}, but the returned params misclassify "
                        f"a fraction {expected!r} of those points (it should be the error rate after the last epoch).")
        expected_ce = ref.loss(params, X_valid, y_valid)
        expected_pen = ref.loss(params, X_valid, y_valid, hp["reg"])
        got = curves["valid_loss"][-1]
        # The contract does not say whether the validation loss includes the penalty: both are accepted.
        assert_true(abs(got - expected_ce) <= 1e-6 * abs(expected_ce) + 1e-9
                    or abs(got - expected_pen) <= 1e-6 * abs(expected_pen) + 1e-9,
                    f"{what}: history['valid_loss'][-1] is {float(got)!r}, but the loss of the returned params on "
                    f"the validation set is {expected_ce!r} ({expected_pen!r} with the penalty).")

    def without_validation():
        # rng omitted: train_mlp must then use a fresh default_rng(); inputs must not be modified.
        kwargs = {k: hp[k] for k in ("dh", "lr", "epochs", "batch_size")}
        short = f"train_mlp(X, y, **{kwargs}) (no validation data, rng=None)"
        result = mlp.task("call_function_and_return_inputs", key="train_mlp", timeout=TRAIN_TIMEOUT,
                          function="train_mlp", args=[X, y], kwargs=kwargs)
        value = result["value"]
        assert_true(isinstance(value, (tuple, list)) and len(value) == 2,
                    f"{short} should return a pair (params, history), but returned {describe(value)}.")
        get_params(value[0], 2, hp["dh"], 2, f"{short}: params")
        history = assert_keys(value[1], ("train_loss", "train_error"), f"{short}: history")
        for key in ("train_loss", "train_error"):
            assert_sequence(history[key], f"{short}: history['{key}']", length=hp["epochs"])
        for name, before, after in zip(("X", "y"), (X, y), result["args_after"]):
            check_unchanged(before, after, short, name)

    # Shapes, keys, lengths and "runs without validation data" are properties (constants of
    # the right shapes have them): they count once a value of the history is right.
    score_cases([("train_loss after the last epoch", train_loss),
                 ("train_error, valid_error and valid_loss after the last epoch", errors)], 2, set_score,
                properties=[("params shapes, history keys and lengths", shapes_and_lengths),
                            ("without validation data and with rng=None", without_validation)])


def train_twice(mlp, X, y, hp, seed, what):
    """train_mlp with lr = 0 (its initial parameters) and with ``hp``, both from default_rng(seed)."""
    results = []
    for lr in (0.0, hp["lr"]):
        value = mlp.task("call_function_with_rng", key="train_mlp", timeout=TRAIN_TIMEOUT, function="train_mlp",
                         seed=seed, args=[X, y], kwargs={**hp, "lr": lr})
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


@graded("3.13", 2, tags=("mlp", "train_mlp"), partial=True)
def test_train_mlp_learns(mlp, grading, rng, set_score=None):
    """train_mlp: one epoch is n / batch_size steps of -lr * gradient, reshuffled each epoch; learns two circles"""

    def steps():
        # With a tiny learning rate the parameters barely move, so after one epoch
        # b2 (which starts at 0) is -lr * (sum over the batches of the batch-mean
        # gradient) = -lr * (n / batch_size) * (full-batch gradient), to within 1%.
        rng = np.random.default_rng(30)
        n, batch_size, lr = 1000, 50, 1e-3
        X = rng.normal(size=(n, 2))
        y = rng.permutation((np.arange(n) >= 750).astype(np.int64))   # 3:1, so the b2 gradient is not ~0
        hp = dict(dh=8, lr=lr, epochs=1, batch_size=batch_size)
        what = (f"train_mlp(X, y, {', '.join(f'{k}={v}' for k, v in hp.items())}, rng) on {n} random points "
                "in 2-D (3/4 of class 0)")
        value = mlp.task("call_function_with_rng", key="train_mlp", timeout=TRAIN_TIMEOUT, function="train_mlp",
                         seed=8, args=[X, y], kwargs=hp)
        assert_true(isinstance(value, (tuple, list)) and len(value) == 2,
                    f"{what} should return a pair (params, history), but returned {describe(value)}.")
        params = get_params(value[0], 2, hp["dh"], 2, f"{what}: params")
        gradient = ref.bprop(params, X, y)["b2"]
        taken = -float(params["b2"] @ gradient) / (lr * float(gradient @ gradient))
        expected = n // batch_size
        # Any way of forming the batches passes (even sampling with replacement: ~6% noise).
        assert_true(0.5 * expected <= taken <= 1.5 * expected,
                    f"{what}: after one epoch the bias b2 (which starts at 0) is {params['b2']}, that is "
                    f"{taken:.3g} steps of -lr * (full-batch gradient of b2); expected about {expected} "
                    f"(one step per mini-batch of {batch_size} of the {n} examples, each with the mean "
                    "gradient over its batch). Is every mini-batch used, is the update params - lr * gradient, "
                    "and is the gradient a mean over the batch?")

    def learns():
        X, y = two_circles(300, rng=np.random.default_rng(20))
        X_test, y_test = two_circles(1000, rng=np.random.default_rng(21))
        hp = dict(dh=16, lr=0.5, epochs=60, batch_size=20)
        what = f"train_mlp(X, y, {', '.join(f'{k}={v}' for k, v in hp.items())}, rng) on two circles (300 points)"
        value = mlp.task("call_function_with_rng", key="train_mlp", timeout=TRAIN_TIMEOUT, function="train_mlp",
                         seed=7, args=[X, y], kwargs=hp)
        assert_true(isinstance(value, (tuple, list)) and len(value) == 2,
                    f"{what} should return a pair (params, history), but returned {describe(value)}.")
        params = get_params(value[0], 2, hp["dh"], 2, f"{what}: params")
        if np.all(np.isfinite([np.sum(v) for v in params.values()])):
            grading.record("decision_grid", decision_grid(params, X, y))
        accuracy = 1 - error_rate(params, X_test, y_test)
        # A correct implementation reaches 98-99% with any seed (calibrated over 200 seeds: minimum 98.1%).
        assert_true(accuracy >= 0.95,
                    f"{what}: the returned params classify {accuracy:.1%} of 1000 new test points correctly; "
                    "at least 95% is expected (a correct implementation reaches about 99%). Check the sign of "
                    "the update (params - lr * gradient), the shuffling, and that every batch is used.")

    score_cases([("one epoch = n / batch_size SGD steps", steps), ("learns two circles", learns),
                 ("a fresh permutation each epoch; every mini-batch used, the partial one too",
                  lambda: check_epochs(mlp, rng)),
                 ("X and y shuffled together", lambda: check_shuffled_together(mlp, rng))], 2, set_score)


COUNT_KEYS = ("dh", "epochs", "batch_size")   # whole numbers, passed on to train_mlp as ints


def check_hyperparams(hp):
    """HYPERPARAMS is a dict of sensible keyword arguments for train_mlp (the rules of
    autograder/hyperparams.py, shared with the self-check); returns it with whole-number
    floats (``8.0``) passed on as ints."""
    problems = hyperparams_problems(hp, config.TRAIN_SUBSET)
    assert_true(not problems, " ".join(problems))
    return {key: int(value) if key in COUNT_KEYS else value for key, value in hp.items()}


@graded("3.14", 1, tags=("mlp", "HYPERPARAMS"))
def test_hyperparams(mlp):
    """HYPERPARAMS: the keyword arguments for train_mlp on Fashion-MNIST"""
    check_hyperparams(mlp.get("HYPERPARAMS"))


@graded("3.15", 1, tags=("mlp", "loss", "bprop"), visibility="after_due_date")
def test_loss_bprop_hidden(mlp, hidden_rng):
    """loss and bprop: values on inputs drawn from a hidden seed"""
    n, d, dh, m = (int(hidden_rng.integers(4, 12)), int(hidden_rng.integers(2, 7)),
                   int(hidden_rng.integers(3, 9)), int(hidden_rng.integers(2, 6)))
    params, X, y = make_problem(hidden_rng, n, d, dh, m)
    reg = tuple(float(v) for v in np.round(hidden_rng.uniform(0.001, 0.1, 4), 4))
    what = f"loss(params, X, y, reg={reg})"
    value = assert_number(mlp.loss(params, X, y, reg=reg), what, inputs=shown(params, X, y, reg))
    assert_close(value, ref.loss(params, X, y, reg), what, inputs=shown(params, X, y, reg),
                 mistakes=loss_mistakes(params, X, y, reg))
    check_gradients(mlp.bprop(params, X, y, reg=reg), params, X, y, reg, f"bprop(params, X, y, reg={reg})")


# ---------------------------------------------------------------------------
# Fashion-MNIST
# ---------------------------------------------------------------------------

PREDICT_CHUNK = 1000


@pytest.mark.training
@graded("3.16", 6, tags=("mlp", "train_mlp", "HYPERPARAMS"))
def test_fashion_mnist(mlp, grading):
    """train_mlp on Fashion-MNIST with HYPERPARAMS: test error below 20%"""
    hp = check_hyperparams(mlp.get("HYPERPARAMS"))
    X_test, y_test = grading.fashion_mnist()
    budget = config.TRAIN_CPU_SECONDS["numpy_mlp"]
    setting = (f"train_mlp(X_train, y_train, **HYPERPARAMS, rng) with HYPERPARAMS = {hp}, on the first "
               f"{config.TRAIN_SUBSET:,} Fashion-MNIST training images (float32 rows of 784 values in [0, 1]), "
               f"within {budget} s of CPU time")
    try:
        result = mlp.task("train_numpy_mlp", key="train_mlp", timeout=config.train_wall_timeout("numpy_mlp"),
                          cpu_budget=budget, data_dir=grading.sandbox.data_dir, seed=grading.hidden_seed,
                          hyperparams=hp)
    except StudentError as err:   # say what was being run (same exception type, longer message)
        raise type(err)(f"{err}\nWhile running {setting}. The test error must be below "
                        f"{config.MLP_MAX_TEST_ERROR:.0%}.") from None
    value_ok = isinstance(result, dict) and "params" in result
    assert_true(value_ok, f"{setting} did not return (params, history).")
    dh = int(hp["dh"])
    params = get_params(result["params"], 784, dh, 10, f"{setting}: params")
    for key, array in params.items():
        assert_true(np.all(np.isfinite(array)),
                    f"{setting}: the returned params['{key}'] holds nan or inf (training diverged: "
                    "lower the learning rate?).")
    history = result.get("history")
    if isinstance(history, dict):
        grading.record("history", {k: v for k, v in history.items() if isinstance(v, (list, np.ndarray))})
    # Predictions are computed here, by the grader, from the returned params.
    predictions = np.concatenate([
        np.argmax(ref.fprop(params, X_test[s:s + PREDICT_CHUNK].reshape(-1, 784).astype(np.float32)
                            / np.float32(255))["oa"], axis=1)
        for s in range(0, len(X_test), PREDICT_CHUNK)])
    # The labels train_mlp saw were relabelled (context.fashion_mnist): map the classes back.
    error = float(np.mean(grading.original_classes(predictions) != y_test))
    grading.record("test_error", error)
    grading.record("cpu_seconds", float(result.get("cpu_seconds") or 0.0))
    threshold = config.MLP_MAX_TEST_ERROR
    assert_true(error < threshold,
                f"Test error {error:.2%} on the {len(y_test):,} Fashion-MNIST test images; it must be below "
                f"{threshold:.0%}. Trained by {setting}.")
