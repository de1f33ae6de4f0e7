"""Part 3: mlp.py — a one-hidden-layer MLP with ReLU, softmax and elastic net, by hand (28 points)."""
import numpy as np
import pytest

from autograder.errors import CheckFailed
from autograder.judge import rounding
from autograder.judge.compare import (as_array, assert_close, assert_keys, assert_number, assert_sequence,
                                      assert_true, describe, matches, score_cases)
from autograder.judge.fashion import train_numpy_mlp
from autograder.judge.mlp import (GRAD_KEYS, REG_ALL, REG_CASES, TRAIN_TIMEOUT, call_init,
                                  check_epochs, check_gradients, check_history_errors, check_hyperparams,
                                  check_penalty_trained, check_shuffled_together, check_unchanged, check_uniform,
                                  decision_grid, error_rate, get_params, grad_mistakes,
                                  loss_mistakes, make_problem, numerical_gradients, probe_finite_difference,
                                  shared_draws, shown)
from autograder.judge.properties import call_returning_inputs
from autograder.results.marks import graded, lazy
from autograder.sandbox import calls
from coursedata.toy import two_circles
from reference import mlp as ref


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
    result = call_returning_inputs(mlp, "bprop", params, X, y, reg=reg, what=what)
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
    result = probe_finite_difference(mlp, params, eps, what)

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
            got = as_array(after[key], f"{what}: params['{key}'] after the call")
            assert_true(got.shape == params[key].shape, f"{what} changed the shape of params['{key}'].")
            got = got.astype(float)
            # p + eps - eps may differ from p in the last bits: allowed up to 1e-12 relative.
            change = np.abs(got - params[key])
            bad = change > 1e-12 * np.abs(params[key])
            if bad.any():
                j = tuple(int(i) for i in np.argwhere(bad)[0])
                index = ", ".join(map(str, j))
                raise CheckFailed(
                    f"{what}: finite differences leave the parameters changed: params['{key}'][{index}] was "
                    f"{float(params[key][j])!r} before the call and {float(got[j])!r} after it "
                    f"(changed by {change[j]:.3g}; {int(bad.sum())} entries of params['{key}'] changed). "
                    "Save each entry before perturbing it and put the saved value back afterwards.")

    def large_eps():
        big = 0.1
        call = f"finite_difference(f, params, eps={big})"
        probe = probe_finite_difference(mlp, params, big, call)
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
        value = calls.call_with_rng(mlp, "train_mlp", X, y, seed=5, timeout=TRAIN_TIMEOUT, **hp,
                                   X_valid=X_valid, y_valid=y_valid)
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
                     mistakes={"the penalty is not included in the training loss": without_penalty},
                     **rounding.tolerances(expected, *params.values()))

    def errors():
        params, curves = trained()
        check_history_errors(params, curves, (X, y), (X_valid, y_valid), hp["reg"], what)

    def without_validation():
        # rng omitted: train_mlp must then use a fresh default_rng(); inputs must not be modified.
        kwargs = {k: hp[k] for k in ("dh", "lr", "epochs", "batch_size")}
        short = f"train_mlp(X, y, **{kwargs}) (no validation data, rng=None)"
        result = call_returning_inputs(mlp, "train_mlp", X, y, timeout=TRAIN_TIMEOUT, what=short, **kwargs)
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


@graded("3.13", 2, tags=("mlp", "train_mlp"), partial=True)
def test_train_mlp_learns(mlp, grading, rng, set_score=None):
    """train_mlp: n / batch_size steps of -lr * gradient per epoch (penalty included), reshuffled; learns"""

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
        value = calls.call_with_rng(mlp, "train_mlp", X, y, seed=8, timeout=TRAIN_TIMEOUT, **hp)
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
        value = calls.call_with_rng(mlp, "train_mlp", X, y, seed=7, timeout=TRAIN_TIMEOUT, **hp)
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
                 ("X and y shuffled together", lambda: check_shuffled_together(mlp, rng)),
                 ("the penalty reg is trained on", lambda: check_penalty_trained(mlp, rng))], 2, set_score)


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


@pytest.mark.training
@graded("3.16", 6, tags=("mlp", "train_mlp", "HYPERPARAMS"))
def test_fashion_mnist(mlp, grading):
    """train_mlp on Fashion-MNIST with HYPERPARAMS: test error below 20%"""
    train_numpy_mlp(mlp, grading, check_hyperparams(mlp.get("HYPERPARAMS")))
