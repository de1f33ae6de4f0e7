"""reference/calculus.py checked against torch (float64) and by hand."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from .helpers import SETTINGS, check_template_matches, load, strict, t

calc = load("calculus")
RNG = np.random.default_rng(0)
BIG = 1e4
EXTREMES = np.array([-BIG, -1e3, -50.0, -1.0, -1e-300, 0.0, 1e-300, 1.0, 50.0, 1e3, BIG])

FUNCTIONS = ["sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "sign",
             "abs_prime", "relu", "relu_prime", "l2_squared_grad", "l1_grad", "onehot",
             "softmax", "log_softmax", "softmax_jacobian", "binary_logistic_loss",
             "binary_logistic_loss_grad", "binary_logistic_loss_hess", "cross_entropy",
             "cross_entropy_grad", "cross_entropy_hessian"]

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


def elementwise_derivative(torch_fn, x):
    """d torch_fn(x_i) / d x_i for every entry, by autograd."""
    xt = t(x, requires_grad=True)
    torch_fn(xt).sum().backward()
    return xt.grad.numpy()


def test_template_matches_reference():
    check_template_matches("calculus", FUNCTIONS)


# ---------------------------------------------------------------- elementwise functions

@pytest.mark.parametrize("name, torch_fn", [
    ("sigmoid", torch.sigmoid),
    ("softplus", lambda x: torch.logaddexp(torch.zeros_like(x), x)),
    ("relu", torch.relu),
    ("sign", torch.sign),
])
def test_elementwise_values_match_torch(name, torch_fn):
    x = np.concatenate([RNG.normal(scale=5, size=200), EXTREMES])
    out = getattr(calc, name)(x)
    assert out.dtype == np.float64 and out.shape == x.shape
    np.testing.assert_allclose(out, torch_fn(t(x)).numpy(), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("name, torch_fn", [
    ("sigmoid_prime", torch.sigmoid),
    ("tanh_prime", torch.tanh),
    ("softplus_prime", F.softplus),
    ("relu_prime", torch.relu),
    ("abs_prime", torch.abs),
    ("l1_grad", lambda x: torch.abs(x)),
    ("l2_squared_grad", lambda x: x ** 2),
])
def test_derivatives_match_autograd(name, torch_fn):
    x = RNG.normal(scale=3, size=(7, 5))
    np.testing.assert_allclose(getattr(calc, name)(x), elementwise_derivative(torch_fn, x),
                               rtol=1e-12, atol=1e-15)


def test_values_at_zero_and_float_results():
    for name in ["relu_prime", "abs_prime", "sign", "l1_grad"]:
        out = getattr(calc, name)(np.array([-2.0, 0.0, 3.0]))
        assert out.dtype == np.float64
        assert out[1] == 0.0, name
    np.testing.assert_array_equal(calc.sign(np.array([-5, 0, 7])), [-1.0, 0.0, 1.0])
    assert calc.sign(np.array([-5, 0, 7])).dtype == np.float64
    np.testing.assert_array_equal(calc.relu_prime([-1.0, 0.0, 1e-300, 2.0]), [0, 0, 1, 1])
    np.testing.assert_array_equal(calc.relu([-1, 0, 2]), [0.0, 0.0, 2.0])
    assert calc.sigmoid(0.0) == 0.5 and calc.sigmoid_prime(0.0) == 0.25
    assert calc.tanh_prime(0.0) == 1.0 and calc.softplus(0.0) == np.log(2.0)


@SETTINGS
@given(arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=finite))
def test_sigmoid_identities(x):
    s = calc.sigmoid(x)
    np.testing.assert_allclose(s + calc.sigmoid(-x), 1.0, rtol=1e-15)
    e = np.exp(-np.abs(x))  # sigma'(x) = e^-|x| / (1 + e^-|x|)^2, even in x
    np.testing.assert_allclose(calc.sigmoid_prime(x), e / (1 + e) ** 2, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(calc.softplus(x) - calc.softplus(-x), x, atol=1e-12)
    assert calc.softplus_prime(x).shape == x.shape


def test_onehot():
    Y = calc.onehot(np.array([2, 0, 1, 2]), 4)
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(Y, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    np.testing.assert_array_equal(Y, F.one_hot(torch.tensor([2, 0, 1, 2]), 4).numpy())


# ---------------------------------------------------------------- softmax

@SETTINGS
@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=4, max_side=6), elements=finite),
       st.floats(-1e3, 1e3))
def test_softmax_any_shape_matches_torch_and_is_shift_invariant(z, c):
    s = calc.softmax(z)
    assert s.shape == z.shape
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(s, torch.softmax(t(z), dim=-1).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(calc.softmax(z + c), s, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(calc.log_softmax(z), torch.log_softmax(t(z), dim=-1).numpy(),
                               rtol=1e-12, atol=1e-12)


def test_softmax_jacobian_matches_autograd():
    z = RNG.normal(size=5)
    J = calc.softmax_jacobian(z)
    assert J.shape == (5, 5)
    expected = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, -1), t(z)).numpy()
    np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-15)

    Z = RNG.normal(scale=2, size=(4, 3))
    Jn = calc.softmax_jacobian(Z)
    assert Jn.shape == (4, 3, 3)
    for i in range(4):
        expected = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, -1), t(Z[i]))
        np.testing.assert_allclose(Jn[i], expected.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- losses

def test_binary_logistic_loss_matches_torch():
    z = np.concatenate([RNG.normal(scale=4, size=50), [-30.0, 0.0, 30.0]])
    y = (RNG.random(z.shape) < 0.5).astype(float)
    np.testing.assert_allclose(calc.binary_logistic_loss(z, y),
                               F.binary_cross_entropy_with_logits(t(z), t(y), reduction="none").numpy(),
                               rtol=1e-12, atol=1e-14)
    zt = t(z, requires_grad=True)
    F.binary_cross_entropy_with_logits(zt, t(y), reduction="sum").backward()
    np.testing.assert_allclose(calc.binary_logistic_loss_grad(z, y), zt.grad.numpy(), rtol=1e-12, atol=1e-15)
    for i in [0, 7, 50, 51, 52]:  # second derivative, one scalar at a time
        hess = torch.autograd.functional.hessian(
            lambda v: F.binary_cross_entropy_with_logits(v, t(y[i])), t(z[i]))
        np.testing.assert_allclose(calc.binary_logistic_loss_hess(z[i]), hess.numpy(), rtol=1e-10, atol=1e-15)


def test_cross_entropy_grad_and_hessian_match_autograd():
    n, K = 6, 4
    z = RNG.normal(scale=2, size=(n, K))
    y = RNG.integers(0, K, size=n)
    np.testing.assert_allclose(calc.cross_entropy(z, y),
                               F.cross_entropy(t(z), torch.tensor(y), reduction="none").numpy(),
                               rtol=1e-12)
    zt = t(z, requires_grad=True)
    # each row of z only affects its own loss, so the gradient of the sum holds
    # every per-example gradient
    F.cross_entropy(zt, torch.tensor(y), reduction="sum").backward()
    np.testing.assert_allclose(calc.cross_entropy_grad(z, y), zt.grad.numpy(), rtol=1e-12, atol=1e-15)

    H = calc.cross_entropy_hessian(z)
    assert H.shape == (n, K, K)
    for i in range(n):
        expected = torch.autograd.functional.hessian(
            lambda v: F.cross_entropy(v[None], torch.tensor([y[i]])), t(z[i]))
        np.testing.assert_allclose(H[i], expected.numpy(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(calc.cross_entropy_hessian(z[0]), H[0], rtol=1e-15)
    np.testing.assert_array_equal(H, calc.softmax_jacobian(z))


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1), st.floats(0.1, 1e3))
def test_cross_entropy_is_minus_log_softmax_gathered(n, K, seed, scale):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=scale, size=(n, K))
    y = rng.integers(0, K, size=n)
    ce = calc.cross_entropy(z, y)
    assert ce.shape == (n,)
    np.testing.assert_allclose(ce, -np.take_along_axis(calc.log_softmax(z), y[:, None], 1)[:, 0],
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ce, F.cross_entropy(t(z), torch.tensor(y), reduction="none").numpy(),
                               rtol=1e-10, atol=1e-12)
    assert np.all(ce >= 0)


# ---------------------------------------------------------------- stability

def test_stable_at_1e4():
    x = EXTREMES
    z = np.array([[BIG, -BIG, 0.0], [-BIG, -BIG, -BIG], [BIG, BIG, -BIG], [0.0, 1.0, 2.0]])
    y = np.array([1, 0, 2, 2])
    yb = np.array([0.0, 1.0] * 5 + [1.0])
    with strict():
        results = {name: getattr(calc, name)(x) for name in
                   ["sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "relu"]}
        results["softmax"] = calc.softmax(z)
        results["softmax1d"] = calc.softmax(x)
        results["log_softmax"] = calc.log_softmax(z)
        results["softmax_jacobian"] = calc.softmax_jacobian(z)
        results["bll"] = calc.binary_logistic_loss(x, yb)
        results["bll_grad"] = calc.binary_logistic_loss_grad(x, yb)
        results["bll_hess"] = calc.binary_logistic_loss_hess(x)
        results["ce"] = calc.cross_entropy(z, y)
        results["ce_grad"] = calc.cross_entropy_grad(z, y)
        results["ce_hess"] = calc.cross_entropy_hessian(z)
    for name, value in results.items():
        assert np.all(np.isfinite(value)), name
    assert calc.softplus(BIG) == BIG and calc.softplus(-BIG) == 0.0
    assert calc.sigmoid(BIG) == 1.0 and calc.sigmoid(-BIG) == 0.0
    np.testing.assert_array_equal(calc.binary_logistic_loss([BIG, BIG, -BIG, -BIG], [1, 0, 1, 0]),
                                  [0.0, BIG, BIG, 0.0])
    np.testing.assert_allclose(results["ce"], [2 * BIG, np.log(3), np.log(2) + 2 * BIG,
                                               -np.log(calc.softmax([0.0, 1.0, 2.0])[2])], rtol=1e-15)
    np.testing.assert_allclose(results["softmax"][1], 1 / 3, rtol=1e-15)
    np.testing.assert_allclose(results["softmax1d"].sum(), 1.0, rtol=1e-15)


def test_inputs_not_modified():
    z = RNG.normal(size=(3, 4))
    y = np.array([0, 3, 1])
    z0, y0 = z.copy(), y.copy()
    for name in FUNCTIONS:
        fn = getattr(calc, name)
        if name in ("cross_entropy", "cross_entropy_grad"):
            fn(z, y)
        elif name == "binary_logistic_loss" or name == "binary_logistic_loss_grad":
            fn(z, (z > 0).astype(float))
        elif name == "onehot":
            fn(y, 4)
        else:
            fn(z)
        np.testing.assert_array_equal(z, z0)
        np.testing.assert_array_equal(y, y0)


def test_accepts_lists():
    np.testing.assert_allclose(calc.softmax([1.0, 1.0]), [0.5, 0.5])
    np.testing.assert_allclose(calc.cross_entropy([[0.0, 0.0]], [1]), [np.log(2)])
    np.testing.assert_allclose(calc.sigmoid([0, 0]), [0.5, 0.5])
