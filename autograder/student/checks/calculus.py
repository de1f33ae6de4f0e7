"""The checks of calculus.py."""
import numpy as np

from autograder.judge.numerics import EXTREMES, numerical_derivative, numerical_gradient, numerical_jacobian
from autograder.student.checks.expect import (copies, expect_close, expect_finite, expect_shape, fmt, require,
                                              strict, unchanged)
from autograder.student.checks.inputs import away_from_zero
from autograder.student.checks.registry import check


@check("calculus", "sigmoid")
def sigmoid_values_and_symmetry(m):
    """sigmoid: shape, values in [0, 1], sigmoid(0) = 0.5, sigmoid(-x) = 1 - sigmoid(x)"""
    x = np.linspace(-6, 6, 13).reshape(13)
    s = expect_shape(m.sigmoid(x), x.shape, "sigmoid(x)")
    require(np.all((s > 0) & (s < 1)), f"sigmoid(x) must lie in (0, 1) for moderate x; got {fmt(s)}")
    expect_close(m.sigmoid(np.array([0.0])), [0.5], "sigmoid(0)")
    expect_close(s[::-1], 1 - s, "sigmoid(-x)", hint="sigmoid(-x) must equal 1 - sigmoid(x): "
                 "is the sign inside exp() right?")
    require(np.all(np.diff(s) > 0), "sigmoid must be increasing: check the sign inside exp()")
    expect_shape(m.sigmoid(np.zeros((2, 3))), (2, 3), "sigmoid(x) for x of shape (2, 3)")


@check("calculus", "sigmoid")
def sigmoid_is_stable(m):
    """sigmoid: stable for |x| up to 1e4"""
    with strict("sigmoid"):
        s = expect_finite(m.sigmoid(EXTREMES), "sigmoid(x) at large |x|")
    expect_close(s[[0, -1]], [0.0, 1.0], "sigmoid(-1e4), sigmoid(1e4)", atol=1e-12)


@check("calculus", "sigmoid_prime", "sigmoid")
def sigmoid_prime_matches_finite_differences(m):
    """sigmoid_prime: matches a finite difference of your sigmoid; 0.25 at 0"""
    x = np.linspace(-5, 5, 11)
    expect_close(m.sigmoid_prime(x), numerical_derivative(m.sigmoid, x), "sigmoid_prime(x)", rtol=1e-5, atol=1e-7)
    with strict("sigmoid_prime"):
        expect_finite(m.sigmoid_prime(EXTREMES), "sigmoid_prime(x) at large |x|")


@check("calculus", "tanh_prime")
def tanh_prime_matches_finite_differences(m):
    """tanh_prime: matches a finite difference of np.tanh"""
    x = np.linspace(-3, 3, 13)
    expect_close(m.tanh_prime(x), numerical_derivative(np.tanh, x), "tanh_prime(x)", rtol=1e-5, atol=1e-7)
    with strict("tanh_prime"):
        expect_finite(m.tanh_prime(EXTREMES), "tanh_prime(x) at large |x|")


@check("calculus", "softplus")
def softplus_values_symmetry_and_stability(m):
    """softplus: positive, softplus(x) - softplus(-x) = x, stable (softplus(1e4) == 1e4)"""
    x = np.linspace(-5, 5, 11)
    s = expect_shape(m.softplus(x), x.shape, "softplus(x)")
    require(np.all(s > 0), f"softplus(x) must be > 0; got {fmt(s)}")
    expect_close(s - np.asarray(m.softplus(-x), dtype=float), x, "softplus(x) - softplus(-x)")
    with strict("softplus"):
        big = expect_finite(m.softplus(EXTREMES), "softplus(x) at large |x|")
    expect_close(big[[0, -1]], [0.0, 1e4], "softplus(-1e4), softplus(1e4)", atol=1e-10,
                 hint="for large x, ln(1 + e^x) = x + ln(1 + e^-x)")


@check("calculus", "softplus_prime", "softplus")
def softplus_prime_matches_finite_differences(m):
    """softplus_prime: matches a finite difference of your softplus"""
    x = np.linspace(-5, 5, 11)
    expect_close(m.softplus_prime(x), numerical_derivative(m.softplus, x), "softplus_prime(x)", rtol=1e-5, atol=1e-7)
    with strict("softplus_prime"):
        expect_finite(m.softplus_prime(EXTREMES), "softplus_prime(x) at large |x|")


@check("calculus", "sign")
def sign_values(m):
    """sign: -1, 0 or +1 as float, 0 at 0"""
    x = np.array([-3.0, -1e-9, 0.0, 2e-9, 5.0])
    s = expect_close(m.sign(x), [-1, -1, 0, 1, 1], "sign(x)")
    require(np.asarray(m.sign(x)).dtype.kind == "f", "sign must return floats (e.g. 1.0, not True)")
    expect_shape(s, x.shape, "sign(x)")


@check("calculus", "abs_prime")
def abs_prime_matches_finite_differences(m):
    """abs_prime: matches a finite difference of |x| away from 0; 0 at 0"""
    x = away_from_zero(np.random.default_rng(1), (9,))
    expect_close(m.abs_prime(x), numerical_derivative(np.abs, x), "abs_prime(x)", rtol=1e-5, atol=1e-7)
    expect_close(m.abs_prime(np.zeros(3)), np.zeros(3), "abs_prime(0)")


@check("calculus", "relu")
def relu_values(m):
    """relu: relu(x) >= 0 and relu(x) - relu(-x) = x"""
    x = np.linspace(-3, 3, 13)
    r = expect_shape(m.relu(x), x.shape, "relu(x)")
    require(np.all(r >= 0), f"relu(x) must be >= 0; got {fmt(r)}")
    expect_close(r - np.asarray(m.relu(-x), dtype=float), x, "relu(x) - relu(-x)")


@check("calculus", "relu_prime")
def relu_prime_matches_finite_differences(m):
    """relu_prime: matches a finite difference of relu away from 0; 0 at 0"""
    x = away_from_zero(np.random.default_rng(2), (9,))
    expect_close(m.relu_prime(x), numerical_derivative(lambda t: np.maximum(t, 0), x), "relu_prime(x)",
                 rtol=1e-5, atol=1e-7)
    expect_close(m.relu_prime(np.zeros(2)), np.zeros(2), "relu_prime(0)", hint="the derivative at 0 is 0 here")


@check("calculus", "l2_squared_grad")
def l2_squared_grad_matches_finite_differences(m):
    """l2_squared_grad: matches finite differences of ||x||^2"""
    x = np.random.default_rng(3).normal(size=(3, 2))
    expect_close(m.l2_squared_grad(x), numerical_gradient(lambda t: np.sum(t ** 2), x), "l2_squared_grad(x)",
                 rtol=1e-5, atol=1e-7)


@check("calculus", "l1_grad")
def l1_grad_matches_finite_differences(m):
    """l1_grad: matches finite differences of ||x||_1 away from 0"""
    x = away_from_zero(np.random.default_rng(4), (3, 2))
    expect_close(m.l1_grad(x), numerical_gradient(lambda t: np.sum(np.abs(t)), x), "l1_grad(x)", rtol=1e-5, atol=1e-7)


@check("calculus", "onehot")
def onehot_rows(m):
    """onehot: shape (n, m), one 1 per row, at column y"""
    y = np.array([2, 0, 1, 2])
    h = expect_shape(m.onehot(y, 4), (4, 4), "onehot(y, 4) with 4 labels")
    require(set(np.unique(h)) <= {0.0, 1.0}, f"onehot must hold only 0 and 1; got {fmt(h)}")
    expect_close(h.sum(axis=1), np.ones(4), "row sums of onehot(y, 4)")
    require(np.array_equal(h.argmax(axis=1), y), f"the 1 of row i must be in column y[i]; got {fmt(h)}")


@check("calculus", "softmax")
def softmax_sums_to_one_on_any_shape(m):
    """softmax: positive, rows sum to 1, invariant to adding a constant, any shape"""
    z = np.random.default_rng(5).normal(0, 2, size=(4, 5))
    before = copies(z=z)
    s = expect_shape(m.softmax(z), z.shape, "softmax(z)")
    unchanged(before, {"z": z}, "softmax")
    require(np.all(s > 0), f"softmax(z) must be positive; got {fmt(s)}")
    expect_close(s.sum(axis=1), np.ones(4), "row sums of softmax(z)",
                 hint="normalise over the last axis (axis=-1, keepdims=True), not over everything")
    expect_close(m.softmax(z + 100.0), s, "softmax(z + 100)")
    s3 = expect_shape(m.softmax(np.stack([z, 2 * z])), (2, 4, 5), "softmax of a (2, 4, 5) array")
    expect_close(s3.sum(axis=-1), np.ones((2, 4)), "sums over the last axis of softmax(z) for z (2, 4, 5)")
    s1 = expect_shape(m.softmax(z[0]), (5,), "softmax of a vector (5,)")
    expect_close(s1, s[0], "softmax(z[0]) vs row 0 of softmax(z)")


@check("calculus", "softmax")
def softmax_is_stable(m):
    """softmax: stable for entries up to 1e4"""
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [800.0, 799.0, 0.0]])
    with strict("softmax"):
        s = expect_finite(m.softmax(z), "softmax(z) with entries of size 1e4")
    expect_close(s[:2], [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], "softmax(z) with entries of size 1e4",
                 atol=1e-12, hint="subtract the row maximum before exp()")


@check("calculus", "log_softmax", "softmax")
def log_softmax_matches_softmax_and_is_stable(m):
    """log_softmax: exp(log_softmax) = softmax, and stable (finite at 1e4)"""
    z = np.random.default_rng(6).normal(0, 2, size=(3, 4))
    ls = expect_shape(m.log_softmax(z), z.shape, "log_softmax(z)")
    expect_close(np.exp(ls), m.softmax(z), "exp(log_softmax(z))")
    zz = np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]])
    with strict("log_softmax"):
        big = expect_finite(m.log_softmax(zz), "log_softmax(z) with entries of size 1e4")
    expect_close(big[0], [0.0, -1e4, -2e4], "log_softmax([1e4, 0, -1e4])", rtol=1e-9,
                 hint="log(softmax(z)) gives log(0) = -inf: use z - max - log(sum(exp(z - max)))")


@check("calculus", "softmax_jacobian", "softmax")
def softmax_jacobian_matches_finite_differences(m):
    """softmax_jacobian: matches finite differences of your softmax, for (K,) and (n, K)"""
    rng = np.random.default_rng(7)
    z = rng.normal(size=4)
    expect_close(m.softmax_jacobian(z), numerical_jacobian(m.softmax, z), "softmax_jacobian(z) for z of shape (4,)",
                 rtol=1e-5, atol=1e-7, hint="J[j, k] = s_j (delta_jk - s_k)")
    Z = rng.normal(size=(3, 4))
    J = expect_shape(m.softmax_jacobian(Z), (3, 4, 4), "softmax_jacobian(z) for z of shape (3, 4)")
    for i in range(3):
        expect_close(J[i], numerical_jacobian(m.softmax, Z[i]), f"softmax_jacobian(z)[{i}]", rtol=1e-5, atol=1e-7)


@check("calculus", "binary_logistic_loss")
def binary_logistic_loss_values_and_stability(m):
    """binary_logistic_loss: >= 0, ln 2 at z = 0, and stable at |z| = 1e4"""
    z = np.linspace(-4, 4, 9)
    for label in (0, 1):
        y = np.full(z.shape, label)
        loss = expect_shape(m.binary_logistic_loss(z, y), z.shape, f"binary_logistic_loss(z, y={label})")
        require(np.all(loss >= 0), f"binary_logistic_loss must be >= 0; got {fmt(loss)}")
    expect_close(m.binary_logistic_loss(np.zeros(2), np.array([0, 1])), [np.log(2)] * 2,
                 "binary_logistic_loss(0, y)")
    high = np.asarray(m.binary_logistic_loss(np.array([5.0]), np.array([1])), dtype=float)
    low = np.asarray(m.binary_logistic_loss(np.array([5.0]), np.array([0])), dtype=float)
    require(high.item() < low.item(), "with z = 5 the loss must be smaller for y = 1 than for y = 0: "
            "check which of y and 1 - y goes with ln sigma(z)")
    z = np.array([-1e4, 1e4, -1e4, 1e4])
    y = np.array([1, 0, 0, 1])
    with strict("binary_logistic_loss"):
        big = expect_finite(m.binary_logistic_loss(z, y), "binary_logistic_loss at |z| = 1e4")
    expect_close(big, [1e4, 1e4, 0, 0], "binary_logistic_loss(z, y) at |z| = 1e4", atol=1e-10,
                 hint="write it with softplus: -ln sigma(z) = softplus(-z)")


@check("calculus", "binary_logistic_loss_grad", "binary_logistic_loss")
def binary_logistic_loss_grad_matches_finite_differences(m):
    """binary_logistic_loss_grad: matches finite differences of your loss"""
    z = np.linspace(-3, 3, 7)
    for label in (0, 1):
        y = np.full(z.shape, label)
        expect_close(m.binary_logistic_loss_grad(z, y), numerical_derivative(lambda t: m.binary_logistic_loss(t, y), z),
                     f"binary_logistic_loss_grad(z, y={label})", rtol=1e-5, atol=1e-7)


@check("calculus", "binary_logistic_loss_hess", "binary_logistic_loss_grad")
def binary_logistic_loss_hess_matches_finite_differences(m):
    """binary_logistic_loss_hess: matches finite differences of your gradient"""
    z = np.linspace(-3, 3, 7)
    y = np.ones_like(z)
    expect_close(m.binary_logistic_loss_hess(z), numerical_derivative(lambda t: m.binary_logistic_loss_grad(t, y), z),
                 "binary_logistic_loss_hess(z)", rtol=1e-5, atol=1e-7)


@check("calculus", "cross_entropy", "log_softmax")
def cross_entropy_values_and_stability(m):
    """cross_entropy: shape (n,), >= 0, equals -log_softmax(z)[i, y_i], stable at 1e4"""
    rng = np.random.default_rng(8)
    z, y = rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])
    ce = expect_shape(m.cross_entropy(z, y), (5,), "cross_entropy(z, y) for z (5, 3)")
    require(np.all(ce >= 0), f"cross_entropy must be >= 0; got {fmt(ce)}")
    expect_close(ce, -np.asarray(m.log_softmax(z), dtype=float)[np.arange(5), y], "cross_entropy(z, y)",
                 hint="per example -log softmax(z)[i, y_i]; not averaged, not summed")
    zz = np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4]])
    with strict("cross_entropy"):
        big = expect_finite(m.cross_entropy(zz, np.array([0, 2])), "cross_entropy with logits of size 1e4")
    expect_close(big, [0.0, 2e4], "cross_entropy([[1e4, 0, -1e4]] * 2, [0, 2])", rtol=1e-9)


@check("calculus", "cross_entropy_grad", "cross_entropy")
def cross_entropy_grad_matches_finite_differences(m):
    """cross_entropy_grad: matches finite differences of your cross_entropy, rows sum to 0"""
    rng = np.random.default_rng(9)
    z, y = rng.normal(size=(3, 4)), np.array([3, 0, 1])
    g = expect_shape(m.cross_entropy_grad(z, y), (3, 4), "cross_entropy_grad(z, y)")
    for i in range(3):
        numeric = numerical_gradient(lambda t: np.asarray(m.cross_entropy(t[None, :], y[i:i + 1])).sum(), z[i])
        expect_close(g[i], numeric, f"cross_entropy_grad(z, y)[{i}]", rtol=1e-5, atol=1e-7,
                     hint="per example softmax(z) - onehot(y), not divided by n")
    expect_close(g.sum(axis=1), np.zeros(3), "row sums of cross_entropy_grad", atol=1e-9)


@check("calculus", "cross_entropy_hessian", "softmax_jacobian")
def cross_entropy_hessian_matches_finite_differences(m):
    """cross_entropy_hessian: matches finite differences of your cross_entropy_grad"""
    rng = np.random.default_rng(10)
    z = rng.normal(size=(2, 3))
    H = expect_shape(m.cross_entropy_hessian(z), (2, 3, 3), "cross_entropy_hessian(z) for z (2, 3)")
    for i in range(2):
        numeric = numerical_jacobian(lambda t: np.asarray(m.cross_entropy_grad(t[None, :], np.array([0])))[0], z[i])
        expect_close(H[i], numeric, f"cross_entropy_hessian(z)[{i}]", rtol=1e-5, atol=1e-7)
    expect_shape(m.cross_entropy_hessian(z[0]), (3, 3), "cross_entropy_hessian(z) for z (3,)")
