"""Part 1: calculus.py — elementwise functions, softmax and logistic losses (20 points)."""
import numpy as np

from autograder.judge.calculus import (IN_PLACE, STABLE, WITH_ZEROS, check_dtype_float, softmax_axis,
                                       softmax_mistakes)
from autograder.judge.compare import as_array, assert_close, assert_true, format_inputs, score_cases
from autograder.judge.numerics import EXTREMES
from autograder.judge.properties import assert_no_warnings, call_stable, call_unmodified
from autograder.results.marks import graded, lazy
from reference import calculus as ref


@graded("1.1", 1, tags=("calculus", "sigmoid"))
def test_sigmoid_values(calculus, rng):
    """sigmoid: values on fixed and random inputs"""
    for x in (np.linspace(-6, 6, 13), rng.normal(0, 3, size=(4, 5))):
        assert_close(calculus.sigmoid(x), ref.sigmoid(x), "sigmoid(x)", inputs={"x": x},
                     mistakes={"exp(x) instead of exp(-x) (that is sigmoid(-x))": ref.sigmoid(-x),
                               "1 + exp(-x) without the reciprocal": 1 + np.exp(-x)})


@graded("1.2", 1, tags=("calculus", "sigmoid"), partial=True)
def test_sigmoid_stable(calculus, set_score=None):
    """sigmoid: stable for |x| up to 1e4 (no overflow warning, no nan)"""
    inputs = {"x": EXTREMES}
    result = lazy(lambda: call_stable(calculus, "sigmoid", [EXTREMES]))
    # "No warning" is a property (constants raise none): it counts once the values are right.
    score_cases([
        ("values at |x| up to 1e4",
         lambda: assert_close(result()[0], ref.sigmoid(EXTREMES), "sigmoid(x)", inputs=inputs)),
    ], 1, set_score, properties=[
        ("no overflow warning", lambda: assert_no_warnings(result()[1], "sigmoid(x)", inputs, **STABLE)),
    ])


@graded("1.3", 1.5, tags=("calculus", "sigmoid_prime", "tanh_prime", "softplus_prime"), partial=True)
def test_derivatives_smooth(calculus, rng, set_score=None):
    """sigmoid_prime, tanh_prime, softplus_prime: values on fixed and random inputs"""
    x = np.concatenate([np.linspace(-8, 8, 17), rng.normal(0, 3, size=7)])
    inputs = {"x": x}
    s, t = ref.sigmoid(x), np.tanh(x)

    def check(name, expected, mistakes):
        return lambda: assert_close(calculus.call(name, x), expected, f"{name}(x)",
                                    inputs=inputs, mistakes=mistakes)

    score_cases([
        ("sigmoid_prime", check("sigmoid_prime", ref.sigmoid_prime(x), {
            "sigmoid(x) instead of sigmoid(x)(1 - sigmoid(x))": s,
            "sigmoid(x)(1 + sigmoid(x)) (sign inside the bracket)": s * (1 + s),
            "1 - sigmoid(x)^2 (that is the tanh formula)": 1 - s ** 2})),
        ("tanh_prime", check("tanh_prime", ref.tanh_prime(x), {
            "1 - tanh(x) (the square is missing)": 1 - t,
            "tanh(x)^2 instead of 1 - tanh(x)^2": t ** 2,
            "1 + tanh(x)^2 (sign)": 1 + t ** 2})),
        ("softplus_prime", check("softplus_prime", ref.softplus_prime(x), {
            "sigmoid(-x) instead of sigmoid(x)": ref.sigmoid(-x),
            "softplus(x) itself instead of its derivative": ref.softplus(x),
            "sigmoid(x)(1 - sigmoid(x)) (the second derivative)": ref.sigmoid_prime(x)})),
    ], 1.5, set_score)


@graded("1.4", 1, tags=("calculus", "softplus"), partial=True)
def test_softplus(calculus, rng, set_score=None):
    """softplus: values, and stable for |x| up to 1e4 with softplus(1e4) == 1e4"""
    x = np.concatenate([np.linspace(-6, 6, 13), rng.normal(0, 3, size=5)])

    def values():
        assert_close(calculus.softplus(x), ref.softplus(x), "softplus(x)", inputs={"x": x},
                     mistakes={"ln(1 + e^-x) instead of ln(1 + e^x)": ref.softplus(-x),
                               "e^x / (1 + e^x) (that is the derivative, sigmoid)": ref.sigmoid(x),
                               "ln(e^x) = x": x})

    def stable():
        got, warnings = call_stable(calculus, "softplus", [EXTREMES])
        got_array = assert_close(got, ref.softplus(EXTREMES), "softplus(x)", inputs={"x": EXTREMES})
        big = got_array[EXTREMES == 1e4][0]
        assert_true(big == 1e4, f"softplus(1e4) should be exactly 1e4 (ln(1 + e^x) = x + ln(1 + e^-x)), "
                                f"got {big!r}.")
        assert_no_warnings(warnings, "softplus(x)", {"x": EXTREMES}, **STABLE)

    score_cases([("values", values), ("stable at |x| up to 1e4", stable)], 1, set_score)


@graded("1.5", 1, tags=("calculus", "sign", "abs_prime"), partial=True)
def test_sign_abs_prime(calculus, rng, set_score=None):
    """sign and abs_prime: -1, 0 or +1 as float, 0 at exactly 0"""
    x = np.concatenate([WITH_ZEROS, rng.normal(0, 2, size=5)])
    inputs = {"x": x}
    mistakes = {"1 at x = 0 (x >= 0 instead of x > 0); the value at 0 must be 0":
                np.where(x >= 0, 1.0, -1.0),
                "-1 at x = 0 (x > 0 ? 1 : -1); the value at 0 must be 0": np.where(x > 0, 1.0, -1.0),
                "x itself instead of its sign": x,
                "|x| instead of sign(x)": np.abs(x)}

    def sign():
        got = calculus.sign(x)
        assert_close(got, ref.sign(x), "sign(x)", inputs=inputs, mistakes=mistakes)
        check_dtype_float(as_array(got, "sign(x)"), "sign(x)")

    def abs_prime():
        assert_close(calculus.abs_prime(x), ref.abs_prime(x), "abs_prime(x)", inputs=inputs,
                     mistakes=mistakes)

    score_cases([("sign", sign), ("abs_prime", abs_prime)], 1, set_score)


@graded("1.6", 1, tags=("calculus", "relu", "relu_prime"), partial=True)
def test_relu(calculus, rng, set_score=None):
    """relu and relu_prime: values, 0 derivative at 0, input not modified"""
    x = np.concatenate([WITH_ZEROS, rng.normal(0, 2, size=5)]).reshape(2, 7)
    inputs = {"x": x}

    def relu():
        got = call_unmodified(calculus, "relu", [x], ["x"], "relu(x)", **IN_PLACE)
        assert_close(got, ref.relu(x), "relu(x)", inputs=inputs,
                     mistakes={"min(0, x) instead of max(0, x)": np.minimum(0, x),
                               "|x| instead of max(0, x)": np.abs(x)})

    def relu_prime():
        assert_close(calculus.relu_prime(x), ref.relu_prime(x), "relu_prime(x)", inputs=inputs,
                     mistakes={"1 at x = 0 (x >= 0 instead of x > 0); relu_prime(0) must be 0":
                               (x >= 0).astype(float),
                               "relu(x) instead of its derivative": ref.relu(x),
                               "1 where x < 0 (comparison the wrong way round)": (x < 0).astype(float)})

    score_cases([("relu", relu), ("relu_prime", relu_prime)], 1, set_score)


@graded("1.7", 1, tags=("calculus", "l2_squared_grad", "l1_grad"), partial=True)
def test_norm_gradients(calculus, rng, set_score=None):
    """l2_squared_grad (2x) and l1_grad (sign(x), 0 at 0) on vectors and matrices"""
    x = np.concatenate([WITH_ZEROS, rng.normal(0, 2, size=5)]).reshape(2, 7)
    inputs = {"x": x}

    def l2():
        assert_close(calculus.l2_squared_grad(x), ref.l2_squared_grad(x), "l2_squared_grad(x)",
                     inputs=inputs, mistakes={"x instead of 2x (the factor 2 is missing)": x,
                                              "x^2 (the norm's terms, not their gradient)": x ** 2})

    def l1():
        assert_close(calculus.l1_grad(x), ref.l1_grad(x), "l1_grad(x)", inputs=inputs,
                     mistakes={"1 at x = 0 (x >= 0 instead of x > 0); the subgradient at 0 is 0":
                               np.where(x >= 0, 1.0, -1.0),
                               "|x| instead of sign(x)": np.abs(x),
                               "x instead of sign(x)": x})

    score_cases([("l2_squared_grad", l2), ("l1_grad", l1)], 1, set_score)


@graded("1.8", 1, tags=("calculus", "onehot"))
def test_onehot(calculus, rng):
    """onehot: (n, m) float array with a single 1 per row, m larger than the largest label"""
    y = np.array([2, 0, 1, 1, 4, 0, 2])
    m = 6  # one class (5) never appears: the width must come from m, not from y
    inputs = {"y": y, "m": m}
    got = call_unmodified(calculus, "onehot", [y, m], ["y", "m"], "onehot(y, m)", **IN_PLACE)
    assert_close(got, ref.onehot(y, m), "onehot(y, m)", inputs=inputs)
    check_dtype_float(as_array(got, "onehot(y, m)"), "onehot(y, m)")
    y2 = rng.integers(0, 3, size=12)
    assert_close(calculus.onehot(y2, 3), ref.onehot(y2, 3), "onehot(y, m)", inputs={"y": y2, "m": 3})


@graded("1.9", 1.5, tags=("calculus", "softmax"), partial=True)
def test_softmax_values(calculus, rng, set_score=None):
    """softmax: over the last axis of 1-D, 2-D and 3-D inputs; shift invariance"""
    cases = []
    for label, shape in [("1-D (5,)", (5,)), ("2-D (4, 3)", (4, 3)), ("2-D (4, 4)", (4, 4)),
                         ("3-D (2, 3, 4)", (2, 3, 4))]:
        z = rng.normal(0, 2, size=shape)

        def check(z=z):
            got = assert_close(calculus.softmax(z), ref.softmax(z), "softmax(z)", inputs={"z": z},
                               mistakes=softmax_mistakes(z))
            return got
        cases.append((label, check))
    z = rng.normal(0, 2, size=(3, 5))

    def shift():
        c = np.array([[100.0], [-50.0], [3.0]])
        assert_close(calculus.softmax(z + c), ref.softmax(z), "softmax(z + c)",
                     inputs={"z + c": z + c, "c (per row)": c.ravel()})
    cases.append(("adding a constant to each row changes nothing", shift))
    score_cases(cases, 1.5, set_score)


@graded("1.10", 1, tags=("calculus", "softmax"), partial=True)
def test_softmax_stable(calculus, set_score=None):
    """softmax: stable for logits up to 1e4, input not modified"""
    z = np.array([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4, -1e4 + 2.0], [800.0, -800.0, 0.0],
                  [0.0, 0.0, 0.0]])
    inputs = {"z": z}
    def stable():
        got, warnings = call_stable(calculus, "softmax", [z])
        assert_close(got, ref.softmax(z), "softmax(z)", inputs=inputs)
        assert_no_warnings(warnings, "softmax(z)", inputs, **STABLE)

    def unmodified():
        call_unmodified(calculus, "softmax", [z], ["z"], "softmax(z)", **IN_PLACE)

    # "Input not modified" is a property (a function that computes nothing has it): it
    # counts once the values are right.
    score_cases([("stable at |z| up to 1e4", stable)], 1, set_score,
                properties=[("input not modified", unmodified)])


@graded("1.11", 1.5, tags=("calculus", "log_softmax"), partial=True)
def test_log_softmax(calculus, rng, set_score=None):
    """log_softmax: over the last axis of 1-D, 2-D and 3-D inputs, stable for |z| up to 1e4"""
    cases = []
    for label, shape in [("1-D (6,)", (6,)), ("2-D (5, 3)", (5, 3)), ("3-D (2, 3, 4)", (2, 3, 4))]:
        z = rng.normal(0, 2, size=shape)

        def check(z=z):
            mistakes = softmax_mistakes(z, ref.log_softmax)
            mistakes["softmax itself, without the log"] = ref.softmax(z)
            mistakes["z - max(z) only (the - log sum exp term is missing)"] = (
                z - z.max(axis=-1, keepdims=True))
            got = (call_unmodified(calculus, "log_softmax", [z], ["z"], "log_softmax(z)", **IN_PLACE)
                   if z.ndim == 2 else calculus.log_softmax(z))
            assert_close(got, ref.log_softmax(z), "log_softmax(z)", inputs={"z": z}, mistakes=mistakes)
        cases.append((label, check))
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [800.0, -800.0, 0.0]])

    def stable():
        got, warnings = call_stable(calculus, "log_softmax", [z])
        assert_close(got, ref.log_softmax(z), "log_softmax(z)", inputs={"z": z})
        assert_no_warnings(warnings, "log_softmax(z)", {"z": z}, **STABLE)

    cases.append(("stable at |z| up to 1e4 (log of an underflowed softmax is -inf)", stable))
    score_cases(cases, 1.5, set_score)


@graded("1.12", 1, tags=("calculus", "softmax_jacobian"), partial=True)
def test_softmax_jacobian(calculus, rng, set_score=None):
    """softmax_jacobian: (K,) -> (K, K) and (n, K) -> (n, K, K), J[j, k] = s_j (delta_jk - s_k)"""
    def mistakes(z):
        s = ref.softmax(z)
        outer = s[..., :, None] * s[..., None, :]
        diag = s[..., :, None] * np.eye(s.shape[-1])
        return {"- s_j s_k only (the delta_jk s_j term is missing)": -outer,
                "diag(s) only (the - s_j s_k term is missing)": diag,
                "s_j (1 - s_k) for every j, k (delta_jk taken as 1)": s[..., :, None] * (1 - s[..., None, :])}

    z1 = rng.normal(0, 1.5, size=4)
    z2 = rng.normal(0, 1.5, size=(3, 5))
    score_cases([
        ("1-D z of shape (4,)", lambda: assert_close(
            calculus.softmax_jacobian(z1), ref.softmax_jacobian(z1), "softmax_jacobian(z)",
            inputs={"z": z1}, mistakes=mistakes(z1))),
        ("2-D z of shape (3, 5): one (5, 5) Jacobian per row", lambda: assert_close(
            calculus.softmax_jacobian(z2), ref.softmax_jacobian(z2), "softmax_jacobian(z)",
            inputs={"z": z2}, mistakes=mistakes(z2))),
    ], 1, set_score)


@graded("1.13", 1, tags=("calculus", "binary_logistic_loss"))
def test_binary_logistic_loss_values(calculus, rng):
    """binary_logistic_loss: elementwise values for y in {0, 1}"""
    z = rng.normal(0, 3, size=(3, 4))
    y = rng.integers(0, 2, size=(3, 4))
    y[0, :2] = [0, 1]
    inputs = {"z": z, "y": y}
    assert_close(calculus.binary_logistic_loss(z, y), ref.binary_logistic_loss(z, y),
                 "binary_logistic_loss(z, y)", inputs=inputs,
                 mistakes={"labels swapped (the loss of 1 - y)": ref.binary_logistic_loss(z, 1 - y),
                           "ln instead of -ln (flipped sign)": -ref.binary_logistic_loss(z, y)})


@graded("1.14", 1, tags=("calculus", "binary_logistic_loss"), partial=True)
def test_binary_logistic_loss_stable(calculus, set_score=None):
    """binary_logistic_loss: stable for |z| up to 1e4, for both labels"""
    z = np.tile(EXTREMES, (2, 1))
    y = np.array([[0] * len(EXTREMES), [1] * len(EXTREMES)])
    inputs = {"z": z, "y": y}
    result = lazy(lambda: call_stable(calculus, "binary_logistic_loss", [z, y]))
    # "No warning" is a property (constants raise none): it counts once the values are right.
    score_cases([
        ("values at |z| up to 1e4",
         lambda: assert_close(result()[0], ref.binary_logistic_loss(z, y), "binary_logistic_loss(z, y)",
                              inputs=inputs)),
    ], 1, set_score, properties=[
        ("no overflow, divide-by-zero or invalid-value warning",
         lambda: assert_no_warnings(result()[1], "binary_logistic_loss(z, y)", inputs, **STABLE)),
    ])


@graded("1.15", 1, tags=("calculus", "binary_logistic_loss_grad", "binary_logistic_loss_hess"), partial=True)
def test_binary_logistic_loss_derivatives(calculus, rng, set_score=None):
    """binary_logistic_loss_grad and _hess: sigma(z) - y and sigma(z)(1 - sigma(z))"""
    z = np.concatenate([np.linspace(-6, 6, 7), rng.normal(0, 3, size=5)])
    y = rng.integers(0, 2, size=z.shape)
    y[:2] = [0, 1]
    s = ref.sigmoid(z)
    score_cases([
        ("binary_logistic_loss_grad", lambda: assert_close(
            calculus.binary_logistic_loss_grad(z, y), ref.binary_logistic_loss_grad(z, y),
            "binary_logistic_loss_grad(z, y)", inputs={"z": z, "y": y},
            mistakes={"y - sigma(z) (flipped sign)": y - s,
                      "sigma(z) without - y": s,
                      "sigma(z) - (1 - y) (labels swapped)": s - (1 - y)})),
        ("binary_logistic_loss_hess", lambda: assert_close(
            calculus.binary_logistic_loss_hess(z), ref.binary_logistic_loss_hess(z),
            "binary_logistic_loss_hess(z)", inputs={"z": z},
            mistakes={"sigma(z) instead of sigma(z)(1 - sigma(z))": s,
                      "sigma(z)(1 + sigma(z)) (sign inside the bracket)": s * (1 + s)})),
    ], 1, set_score)


@graded("1.16", 1, tags=("calculus", "cross_entropy"), partial=True)
def test_cross_entropy(calculus, rng, set_score=None):
    """cross_entropy: one loss per example, stable for logits up to 1e4"""
    z = rng.normal(0, 2, size=(6, 4))
    y = np.array([0, 3, 1, 2, 3, 0])
    inputs = {"z": z, "y": y}

    def values():
        got = call_unmodified(calculus, "cross_entropy", [z, y], ["z", "y"], "cross_entropy(z, y)", **IN_PLACE)
        got = as_array(got, "cross_entropy(z, y)", inputs=inputs)
        assert_true(got.size != 1, f"cross_entropy(z, y) returned a single number {got!r}; it should "
                                   "return one loss per example, shape (n,) = (6,) (no mean over "
                                   "the batch here)." + format_inputs(inputs))
        ls = ref.log_softmax(z)
        assert_close(got, ref.cross_entropy(z, y), "cross_entropy(z, y)", inputs=inputs,
                     mistakes={"log softmax(z)[i, y_i] without the minus sign": ls[np.arange(6), y],
                               "- sum over all classes of log softmax(z)": -ls.sum(axis=1),
                               "-log softmax over the batch axis (axis 0) instead of the classes":
                               -np.log(softmax_axis(z, 0))[np.arange(6), y]})

    zs = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0], [0.0, 0.0, 0.0], [800.0, -800.0, 0.0]])
    ys = np.array([2, 1, 0, 1])

    def stable():
        got, warnings = call_stable(calculus, "cross_entropy", [zs, ys])
        assert_close(got, ref.cross_entropy(zs, ys), "cross_entropy(z, y)", inputs={"z": zs, "y": ys})
        assert_no_warnings(warnings, "cross_entropy(z, y)", {"z": zs, "y": ys}, **STABLE)

    score_cases([("values and shape", values), ("stable at |z| up to 1e4", stable)], 1, set_score)


@graded("1.17", 1, tags=("calculus", "cross_entropy_grad"))
def test_cross_entropy_grad(calculus, rng):
    """cross_entropy_grad: softmax(z) - onehot(y), one row per example (not averaged)"""
    n, K = 5, 4
    z = rng.normal(0, 2, size=(n, K))
    y = np.array([1, 0, 3, 3, 2])
    inputs = {"z": z, "y": y}
    expected = ref.cross_entropy_grad(z, y)
    s, Y = ref.softmax(z), ref.onehot(y, K)
    assert_close(calculus.cross_entropy_grad(z, y), expected, "cross_entropy_grad(z, y)",
                 inputs=inputs,
                 mistakes={"divided by n: the contract asks for per-example gradients, not their mean":
                           expected / n,
                           "onehot(y) - softmax(z) (flipped sign)": Y - s,
                           "softmax(z) without - onehot(y)": s,
                           "softmax over the batch axis (axis 0) instead of the classes":
                           softmax_axis(z, 0) - Y})


@graded("1.18", 0.5, tags=("calculus", "cross_entropy_hessian"))
def test_cross_entropy_hessian(calculus, rng):
    """cross_entropy_hessian: equals softmax_jacobian for (K,) and (n, K) logits"""
    for z in (rng.normal(0, 1.5, size=3), rng.normal(0, 1.5, size=(4, 3))):
        s = ref.softmax(z)
        assert_close(calculus.cross_entropy_hessian(z), ref.softmax_jacobian(z),
                     "cross_entropy_hessian(z)", inputs={"z": z},
                     mistakes={"diag(s) only (the - s s^T term is missing)":
                               s[..., :, None] * np.eye(s.shape[-1]),
                               "- s s^T only (the diag(s) term is missing)":
                               -s[..., :, None] * s[..., None, :]})


@graded("1.19", 1, tags=("calculus", "sigmoid", "softplus", "softmax", "log_softmax", "binary_logistic_loss",
                         "cross_entropy", "cross_entropy_grad"), partial=True, visibility="after_due_date")
def test_hidden_inputs(calculus, hidden_rng, set_score=None):
    """sigmoid, softplus, softmax, log_softmax and the losses on inputs from a hidden seed"""
    x = hidden_rng.normal(0, 5, size=(7, 3))
    y = hidden_rng.integers(0, 3, size=7)
    yb = hidden_rng.integers(0, 2, size=(7, 3))

    def check(name, args, expected, what):
        return lambda: assert_close(calculus.call(name, *args), expected, what,
                                    inputs=dict(zip(("x", "y"), args)))

    score_cases([
        ("sigmoid", check("sigmoid", [x], ref.sigmoid(x), "sigmoid(x)")),
        ("softplus", check("softplus", [x], ref.softplus(x), "softplus(x)")),
        ("softmax", check("softmax", [x], ref.softmax(x), "softmax(z)")),
        ("log_softmax", check("log_softmax", [x], ref.log_softmax(x), "log_softmax(z)")),
        ("binary_logistic_loss", check("binary_logistic_loss", [x, yb],
                                       ref.binary_logistic_loss(x, yb), "binary_logistic_loss(z, y)")),
        ("cross_entropy", check("cross_entropy", [x, y], ref.cross_entropy(x, y), "cross_entropy(z, y)")),
        ("cross_entropy_grad", check("cross_entropy_grad", [x, y], ref.cross_entropy_grad(x, y),
                                     "cross_entropy_grad(z, y)")),
    ], 1, set_score)

