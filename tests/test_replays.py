"""The grader's replays of mini-batch SGD (autograder/judge/replays.py, rounding.py, training.py).

Synthetic training functions written here in several correct styles (float64, float32 throughout,
float32 data only; rng.permutation, rng.shuffle, rng.choice) pass on many seeds; one-bug versions
(one order for every epoch, the partial batch dropped, X and y shuffled apart, the penalty not
trained on) fail with the message that names the bug; rounding is told apart from a wrong algorithm.
"""
import numpy as np
import pytest

from autograder.errors import CheckFailed
from autograder.judge import replays, rounding, training
from reference import linear_models as ref_linear
from reference import mlp as ref_mlp

WORDS = training.Words(step="params - lr * gradient", initial="the initial ones", fresh_order=training.NUMPY_ORDER,
                       together=training.NUMPY_TOGETHER)


def draw_order(rng, n, style):
    if style == "shuffle":
        order = np.arange(n)
        rng.shuffle(order)
        return order
    return rng.choice(n, n, replace=False) if style == "choice" else rng.permutation(n)


def mlp_gradients(params, X, y, reg, dtype):
    """bprop written out in ``dtype`` (a float32 student's own arithmetic)."""
    m = params["W2"].shape[0]
    ha = X @ params["W1"].T + params["b1"]
    hs = np.maximum(ha, 0)
    oa = hs @ params["W2"].T + params["b2"]
    e = np.exp(oa - oa.max(axis=1, keepdims=True))
    d_oa = (e / e.sum(axis=1, keepdims=True) - np.eye(m, dtype=dtype)[y]) / dtype(len(X))
    d_ha = (d_oa @ params["W2"]) * (ha > 0)
    l11, l12, l21, l22 = (dtype(v) for v in reg)
    W1, W2 = params["W1"], params["W2"]
    return {"W1": d_ha.T @ X + l11 * np.sign(W1) + 2 * l12 * W1, "b1": d_ha.sum(axis=0),
            "W2": d_oa.T @ hs + l21 * np.sign(W2) + 2 * l22 * W2, "b2": d_oa.sum(axis=0)}


def train_mlp(X, y, dh, lr, epochs, batch_size, reg=(0, 0, 0, 0), rng=None, *, dtype=np.float64, x_dtype=None,
              style="permutation", bug=""):
    n, d = X.shape
    params = {k: v.astype(dtype) for k, v in ref_mlp.init_params(d, dh, int(y.max()) + 1, rng).items()}
    X = X.astype(x_dtype or dtype)
    order = draw_order(rng, n, style)
    for _ in range(epochs):
        order = order if bug == "one order" else draw_order(rng, n, style)
        labels = rng.permutation(n) if bug == "apart" else order
        stop = n - n % batch_size if bug == "partial dropped" else n
        for start in range(0, stop, batch_size):
            rows, label_rows = order[start:start + batch_size], labels[start:start + batch_size]
            grads = mlp_gradients(params, X[rows], y[label_rows], (0,) * 4 if bug == "no penalty" else reg, dtype)
            params = {k: v - dtype(lr) * grads[k] for k, v in params.items()}
    return params


def mlp_runs(seed, hp, n, labels, **student):
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(3):
        X = rng.normal(size=(n, 2)).astype(np.float32)
        y = rng.permutation(np.array(labels))
        s = int(rng.integers(2 ** 31))
        start, end = (train_mlp(X, y, **{**hp, "lr": lr}, rng=np.random.default_rng(s), **student)
                      for lr in (0.0, hp["lr"]))
        runs.append(training.Run(X, y, start, end))
    return runs


def mlp_gradient(reg=(0, 0, 0, 0)):
    return lambda params, X, y: ref_mlp.bprop(params, X, y, reg)


EPOCHS = dict(dh=3, lr=0.5, epochs=2, batch_size=2)


def check_mlp_epochs(seed, **student):
    training.check_epochs(mlp_runs(seed, EPOCHS, 5, [0, 1, 0, 1, 1], **student), mlp_gradient(),
                          replays.SGD(0.5), 2, 2, "train_mlp(...)", WORDS)


CORRECT = {"float64": {}, "float32 throughout": {"dtype": np.float32}, "float32 data": {"x_dtype": np.float32},
           "rng.shuffle": {"style": "shuffle"}, "rng.choice without replacement": {"style": "choice"}}


@pytest.mark.parametrize("seed", range(1))
@pytest.mark.parametrize("style", sorted(CORRECT))
def test_every_correct_style_of_train_mlp_passes(style, seed):
    check_mlp_epochs(seed, **CORRECT[style])


@pytest.mark.parametrize("seed", range(1))
@pytest.mark.parametrize("bug, message", [
    ("one order", "visit the mini-batches in the same order"),
    ("partial dropped", "partial mini-batch of each epoch is dropped"),
    ("apart", "not those of SGD .* not a rounding difference but a different algorithm")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_each_epoch_bug_is_named(bug, message, dtype, seed):
    with pytest.raises(CheckFailed, match=message):
        check_mlp_epochs(seed, bug=bug, dtype=dtype)


@pytest.mark.parametrize("seed", range(2))
def test_x_and_y_shuffled_apart_is_named_on_one_full_batch(seed):
    hp = dict(dh=3, lr=0.5, epochs=1, batch_size=6)
    for bug, verdict in (("", None), ("apart", "shuffled with different permutations")):
        run = mlp_runs(seed, hp, 6, [0, 0, 1, 1, 2, 3], bug=bug)[0]
        if verdict is None:
            training.check_together(run, mlp_gradient(), 0.5, "train_mlp(...)", WORDS)
        else:
            with pytest.raises(CheckFailed, match=verdict):
                training.check_together(run, mlp_gradient(), 0.5, "train_mlp(...)", WORDS)


@pytest.mark.parametrize("bug", ["", "no penalty"])
def test_the_penalty_not_trained_on_is_named(bug):
    reg = (0.02, 0.03, 0.04, 0.05)
    hp = dict(dh=3, lr=0.5, epochs=1, batch_size=6, reg=reg)
    run = mlp_runs(0, hp, 6, [0, 0, 1, 1, 2, 2], bug=bug, dtype=np.float32)[0]

    def step(gradient):
        return {k: v - 0.5 * gradient(run.start, run.X, run.y)[k] for k, v in run.start.items()}
    mistakes = {"the penalty is not trained on": step(mlp_gradient())}
    if not bug:
        training.check_replayed(run, step(mlp_gradient(reg)), mistakes, "train_mlp(...)", "one step")
    else:
        with pytest.raises(CheckFailed, match="classic mistake: the penalty is not trained on"):
            training.check_replayed(run, step(mlp_gradient(reg)), mistakes, "train_mlp(...)", "one step")


def test_a_float32_computation_returned_as_float64_is_called_rounding_not_a_wrong_algorithm():
    runs = [training.Run(r.X.astype(np.float64), r.y, {k: v.astype(np.float64) for k, v in r.start.items()},
                         {k: v.astype(np.float64) for k, v in r.end.items()})
            for r in mlp_runs(0, EPOCHS, 5, [0, 1, 0, 1, 1], dtype=np.float32)]
    with pytest.raises(CheckFailed, match="only rounding, but more than rounding in float64"):
        training.check_epochs(runs, mlp_gradient(), replays.SGD(0.5), 2, 2, "train_mlp(...)", WORDS)


def test_float16_parameters_are_refused_by_their_dtype():
    runs = mlp_runs(1, EPOCHS, 5, [0, 1, 0, 1, 1])
    runs[0].end = {k: v.astype(np.float16) for k, v in runs[0].end.items()}
    with pytest.raises(CheckFailed, match="float16"):
        training.check_epochs(runs, mlp_gradient(), replays.SGD(0.5), 2, 2, "train_mlp(...)", WORDS)


def test_tolerances_follow_the_coarsest_dtype():
    assert rounding.rounding_rtol(rounding.coarsest(np.zeros(2), [1.0])) == rounding.FLOAT64_FLOOR
    assert rounding.rounding_rtol(rounding.coarsest(np.zeros(2), np.zeros(2, np.float32))) == pytest.approx(
        128 * np.finfo(np.float32).eps)
    # far below the smallest gap a wrong order makes (~1e-3), far above float32 rounding (~1e-7)
    assert 1e-6 < rounding.rounding_rtol(np.dtype(np.float32)) < 1e-4 < rounding.ROUNDING_CEILING < 1e-3


def softmax_gradient(params, X, y):
    dW, db = ref_linear.softmax_regression_grad(X, y, params["W"], params["b"])
    return {"W": dW, "b": db}


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("bug", ["", "one order"])
def test_the_same_search_serves_softmax_regression(bug, seed):
    """train_softmax_regression's reference, and the reference with one order for every epoch."""
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(3):
        X = rng.normal(size=(5, 2)).astype(np.float32)
        y = rng.permutation(np.array([0, 1, 2, 1, 1]))
        generator = np.random.default_rng(int(rng.integers(2 ** 31)))
        if bug:
            order = generator.permutation(5)
            generator = type("Same", (), {"permutation": lambda self, n: order})()
        W, b, _ = ref_linear.train_softmax_regression(X, y, 3, 0.5, 2, 2, generator)
        runs.append(training.Run(X, y, {"W": np.zeros((3, 2)), "b": np.zeros(3)}, {"W": W, "b": b}))
    check = lambda: training.check_epochs(runs, softmax_gradient, replays.SGD(0.5), 2, 2, "t(...)", WORDS)
    if not bug:
        check()
    else:
        with pytest.raises(CheckFailed, match="same order"):
            check()


def test_the_update_rules_of_momentum_and_its_mistakes_differ():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(4, 2)), np.array([0, 1, 1, 0])
    start = {"W": rng.normal(size=(2, 2)), "b": np.zeros(2)}
    cuts = [((0, 1), (2, 3))] * 3
    ends = {}
    for name, rule in {"right": replays.SGD(0.5, 0.9), **training.momentum_mistakes(0.5, 0.9)}.items():
        state = rule.start(start)
        for cut in cuts:
            state = rule.begin_epoch(state)
            for batch in cut:
                state = rule.step(state, softmax_gradient(state["params"], X[list(batch)], y[list(batch)]))
        ends[name] = np.concatenate([state["params"]["W"].ravel(), state["params"]["b"]])
    values = list(ends.values())
    assert all(np.abs(a - b).max() > 1e-3 for i, a in enumerate(values) for b in values[i + 1:])


def test_epoch_cuts_count_and_bound():
    assert len(replays.epoch_cuts(5, 2)) == 30            # 5! / (2! 2! 1!)
    assert len(replays.epoch_cuts(5, 2, keep_partial=False)) == 30
    assert len(replays.epoch_cuts(4, 2)) == 6
    with pytest.raises(replays.ReplayTooLarge):
        replays.epoch_cuts(12, 3)
