"""reference/mlp.py checked against torch autograd, finite differences and training runs."""
import shutil
import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from .helpers import (REFERENCE_DIR, check_template_matches, load, run_isolated, strict, t,
                      TEMPLATE_DIR)

mlp = load("mlp")
RNG = np.random.default_rng(2)
REG = (0.01, 0.02, 0.03, 0.04)

FUNCTIONS = ["init_params", "fprop", "loss", "bprop", "bprop_loop", "finite_difference",
             "predict", "train_mlp"]


def random_problem(n=7, d=5, dh=6, m=3, rng=RNG):
    params = {"W1": rng.normal(size=(dh, d)), "b1": rng.normal(size=dh),
              "W2": rng.normal(size=(m, dh)), "b2": rng.normal(size=m)}
    return params, rng.normal(size=(n, d)), rng.integers(0, m, size=n)


def torch_loss_and_grads(params, X, y, reg):
    """loss and gradients w.r.t. every param and X, by torch autograd."""
    p = {k: t(v, True) for k, v in params.items()}
    Xt = t(X, True)
    oa = torch.relu(Xt @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]
    l11, l12, l21, l22 = reg
    value = (F.cross_entropy(oa, torch.tensor(y))
             + l11 * p["W1"].abs().sum() + l12 * (p["W1"] ** 2).sum()
             + l21 * p["W2"].abs().sum() + l22 * (p["W2"] ** 2).sum())
    value.backward()
    grads = {k: v.grad.numpy() for k, v in p.items()}
    grads["X"] = Xt.grad.numpy()
    return value.item(), grads


def test_template_matches_reference():
    check_template_matches("mlp", FUNCTIONS)
    template = (TEMPLATE_DIR / "mlp.py").read_text()
    assert "from calculus import" in template and "HYPERPARAMS" in template


def test_hyperparams_shape():
    assert set(mlp.HYPERPARAMS) == {"dh", "lr", "epochs", "batch_size", "reg"}
    assert len(mlp.HYPERPARAMS["reg"]) == 4


def test_loose_files_import_like_a_submission(tmp_path):
    """The grader copies the files into a folder and imports `mlp` from it."""
    for name in ["calculus.py", "linear_models.py", "mlp.py", "conv.py"]:
        shutil.copy(REFERENCE_DIR / name, tmp_path / name)
    out = run_isolated(tmp_path, """
import numpy as np, mlp, linear_models, conv, calculus
assert mlp.softmax is calculus.softmax and linear_models.sigmoid is calculus.sigmoid
p = mlp.init_params(3, 4, 2, np.random.default_rng(0))
print(json.dumps([mlp.__file__, mlp.loss(p, np.ones((2, 3)), np.array([0, 1]))]))
""")
    assert out[0].startswith(str(tmp_path))
    assert np.isfinite(out[1])


# ---------------------------------------------------------------- pieces

def test_init_params():
    d, dh, m = 300, 200, 10
    p = mlp.init_params(d, dh, m, np.random.default_rng(0))
    assert {k: v.shape for k, v in p.items()} == {"W1": (dh, d), "b1": (dh,), "W2": (m, dh), "b2": (m,)}
    for key, fan_in in [("W1", d), ("W2", dh)]:
        bound = 1 / np.sqrt(fan_in)
        assert np.abs(p[key]).max() <= bound
        assert p[key].max() > 0.95 * bound and p[key].min() < -0.95 * bound
        assert abs(p[key].mean()) < 0.05 * bound
    np.testing.assert_array_equal(p["b1"], 0)
    np.testing.assert_array_equal(p["b2"], 0)
    q = mlp.init_params(d, dh, m, np.random.default_rng(0))
    np.testing.assert_array_equal(p["W1"], q["W1"])


def test_fprop_matches_torch():
    params, X, _ = random_problem()
    f = mlp.fprop(params, X)
    ha = t(X) @ t(params["W1"]).T + t(params["b1"])
    oa = torch.relu(ha) @ t(params["W2"]).T + t(params["b2"])
    np.testing.assert_allclose(f["ha"], ha.numpy(), rtol=1e-13)
    np.testing.assert_allclose(f["hs"], torch.relu(ha).numpy(), rtol=1e-13)
    np.testing.assert_allclose(f["oa"], oa.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(f["os"], torch.softmax(oa, 1).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(mlp.predict(params, X), np.argmax(oa.numpy(), axis=1))


@pytest.mark.parametrize("reg", [(0, 0, 0, 0), REG, (0.5, 0, 0, 0), (0, 0, 0, 0.5)])
def test_loss_and_bprop_match_autograd(reg):
    params, X, y = random_problem()
    value, expected = torch_loss_and_grads(params, X, y, reg)
    np.testing.assert_allclose(mlp.loss(params, X, y, reg), value, rtol=1e-12)
    grads = mlp.bprop(params, X, y, reg)
    assert set(grads) == {"W1", "b1", "W2", "b2", "X"}
    for key in expected:
        assert grads[key].shape == expected[key].shape, key
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-13, err_msg=key)


def test_default_reg_is_zero():
    params, X, y = random_problem()
    assert mlp.loss(params, X, y) == mlp.loss(params, X, y, (0, 0, 0, 0))
    value, _ = torch_loss_and_grads(params, X, y, (0, 0, 0, 0))
    np.testing.assert_allclose(mlp.loss(params, X, y), value, rtol=1e-12)


def test_l1_gradient_is_zero_at_zero_weights():
    params, X, y = random_problem()
    params["W1"][0, :] = 0.0
    params["W2"][:, 1] = 0.0
    _, expected = torch_loss_and_grads(params, X, y, (1.0, 0, 1.0, 0))  # torch: d|w|/dw = 0 at 0
    grads = mlp.bprop(params, X, y, (1.0, 0, 1.0, 0))
    for key in ["W1", "W2"]:
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("reg", [(0, 0, 0, 0), REG])
def test_bprop_loop_equals_bprop(reg):
    params, X, y = random_problem(n=11)
    matrix, loop = mlp.bprop(params, X, y, reg), mlp.bprop_loop(params, X, y, reg)
    assert set(loop) == set(matrix)
    for key in matrix:
        np.testing.assert_allclose(loop[key], matrix[key], rtol=1e-12, atol=1e-14, err_msg=key)


def test_bprop_does_not_modify_inputs():
    params, X, y = random_problem()
    saved = {k: v.copy() for k, v in params.items()}
    X0 = X.copy()
    mlp.bprop(params, X, y, REG)
    mlp.bprop_loop(params, X, y, REG)
    mlp.loss(params, X, y, REG)
    for key in params:
        np.testing.assert_array_equal(params[key], saved[key])
    np.testing.assert_array_equal(X, X0)


def test_loss_stable_for_huge_logits():
    params = {"W1": np.eye(2) * 1e4, "b1": np.zeros(2), "W2": np.array([[1.0, 0.0], [0.0, 1.0]]),
              "b2": np.zeros(2)}
    X, y = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1, 1])
    with strict():
        value = mlp.loss(params, X, y, REG)
        grads = mlp.bprop(params, X, y, REG)
    assert np.isfinite(value) and all(np.all(np.isfinite(g)) for g in grads.values())
    np.testing.assert_allclose(value - mlp.loss(params, X, y), 0.01 * 2e4 + 0.02 * 2e8 + 0.03 * 2 + 0.04 * 2,
                               rtol=1e-12)


# ---------------------------------------------------------------- finite differences

def test_finite_difference_matches_bprop():
    params, X, y = random_problem(n=5, d=4, dh=5, m=3)
    numeric = mlp.finite_difference(lambda p: mlp.loss(p, X, y, REG), params)
    analytic = mlp.bprop(params, X, y, REG)
    assert set(numeric) == set(params)
    for key in params:
        np.testing.assert_allclose(numeric[key], analytic[key], rtol=1e-5, atol=1e-7, err_msg=key)


def test_finite_difference_on_a_known_function():
    p = {"a": np.array([[0.3, -1.2], [2.0, 0.7]])}
    numeric = mlp.finite_difference(lambda q: np.sum(np.sin(q["a"])) + q["a"][0, 0] * q["a"][1, 1], p)
    assert set(numeric) == {"a"} and numeric["a"].shape == (2, 2)
    expected = np.cos(p["a"]) + np.array([[0.7, 0.0], [0.0, 0.3]])
    np.testing.assert_allclose(numeric["a"], expected, rtol=1e-8)
    numeric = mlp.finite_difference(lambda q: float(q["v"] @ q["v"]), {"v": np.array([1.0, -2.0])}, eps=1e-3)
    np.testing.assert_allclose(numeric["v"], [2.0, -4.0], rtol=1e-10)


def test_finite_difference_leaves_params_bit_for_bit_unchanged():
    params, X, y = random_problem(n=3, d=3, dh=4, m=2)
    params["W1"][0, 0] = 0.1
    # values for which ((v + eps) - 2 eps) + eps != v: undoing the perturbation
    # arithmetically does not restore them, only putting back the saved value does
    assert sum(((v + 1e-5) - 2e-5) + 1e-5 != v for v in params["W1"].ravel()) > 3
    objects = {k: v for k, v in params.items()}
    before = {k: v.tobytes() for k, v in params.items()}
    mlp.finite_difference(lambda p: mlp.loss(p, X, y, REG), params)
    assert list(params) == list(before)
    for key in params:
        assert params[key] is objects[key]
        assert params[key].tobytes() == before[key], key


def test_finite_difference_restores_even_if_f_fails():
    params = {"w": np.array([0.1, 0.2])}
    before = params["w"].tobytes()

    def f(p):
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        mlp.finite_difference(f, params)
    assert params["w"].tobytes() == before


# ---------------------------------------------------------------- training

def xor_blobs(n, rng):
    """Four blobs at (+-1, +-1); class 1 iff the coordinates have the same sign (needs a hidden layer)."""
    corners = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    which = rng.integers(0, 4, size=n)
    X = corners[which] + rng.normal(scale=0.25, size=(n, 2))
    return X, (which < 2).astype(int)


def test_train_mlp_learns_xor():
    rng = np.random.default_rng(0)
    X, y = xor_blobs(800, rng)
    Xv, yv = xor_blobs(400, rng)
    params, history = mlp.train_mlp(X, y, dh=20, lr=0.2, epochs=30, batch_size=16, rng=rng,
                                    X_valid=Xv, y_valid=yv)
    assert set(history) == {"train_loss", "train_error", "valid_loss", "valid_error"}
    assert all(len(v) == 30 for v in history.values())
    assert np.mean(mlp.predict(params, Xv) != yv) < 0.03
    assert history["valid_error"][-1] < 0.03 and history["train_error"][-1] < 0.03
    assert history["train_loss"][-1] < history["train_loss"][0]
    np.testing.assert_allclose(history["train_loss"][-1], mlp.loss(params, X, y), rtol=1e-12)
    np.testing.assert_allclose(history["valid_error"][-1], np.mean(mlp.predict(params, Xv) != yv))


def test_train_mlp_history_includes_penalty_and_follows_rng():
    X, y = xor_blobs(100, np.random.default_rng(1))
    runs = [mlp.train_mlp(X, y, 5, 0.1, 3, 10, reg=REG, rng=np.random.default_rng(7)) for _ in range(2)]
    (params, history), (params2, _) = runs
    assert set(history) == {"train_loss", "train_error"}
    assert len(history["train_loss"]) == 3 and len(history["train_error"]) == 3
    np.testing.assert_allclose(history["train_loss"][-1], mlp.loss(params, X, y, REG), rtol=1e-12)
    for key in params:
        np.testing.assert_array_equal(params[key], params2[key])
    assert params["W2"].shape == (2, 5)
    _, history = mlp.train_mlp(X, y, 5, 0.1, 1, 10)  # rng=None
    assert len(history["train_loss"]) == 1


def test_train_mlp_matches_replayed_sgd():
    X, y = xor_blobs(40, np.random.default_rng(4))
    y[:3] = 2  # three classes: m = max(y) + 1
    params, _ = mlp.train_mlp(X, y, 4, 0.3, 2, 16, reg=REG, rng=np.random.default_rng(9))
    rng = np.random.default_rng(9)
    p = mlp.init_params(2, 4, 3, rng)
    for _ in range(2):
        order = rng.permutation(40)
        for start in range(0, 40, 16):
            idx = order[start:start + 16]
            _, grads = torch_loss_and_grads(p, X[idx], y[idx], REG)
            p = {k: p[k] - 0.3 * grads[k] for k in p}
    for key in p:
        np.testing.assert_allclose(params[key], p[key], rtol=1e-10, atol=1e-13)


def test_train_mlp_never_copies_float32_training_set_to_float64():
    rng = np.random.default_rng(0)
    n, d = 10000, 784
    X = rng.random((n, d), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    X_before = X.copy()
    tracemalloc.start()
    try:
        mlp.train_mlp(X, y, dh=16, lr=0.1, epochs=1, batch_size=256, rng=rng)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.5 * n * d * 8, f"peak {peak / 1e6:.1f} MB"
    np.testing.assert_array_equal(X, X_before)
