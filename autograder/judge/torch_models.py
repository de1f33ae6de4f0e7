"""What the graded tests of torch_models.py call: expected values, classic mistakes, replays and checks."""
import numpy as np

from autograder.errors import CheckFailed
from autograder.judge import answers
from autograder.judge.compare import as_array, assert_close, assert_shape, assert_true, matches
from autograder.judge.expect import expect
from autograder.judge.layers import linear_forward, linear_layers, log_softmax
from autograder.judge.properties import call_returning_inputs
from autograder.sandbox import calls

KINDS = ("logreg", "mlp", "convnet")
TORCH_TIMEOUT = 60.0     # a small model or training problem; generous for a slow, shared CPU


# float32 training compared with float64 NumPy formulas: float32 rounding (~1e-7
# relative per operation) over a few steps stays far below 1e-4; every bug we know
# of changes the losses by 1e-2 or more.
FLOAT32_RTOL = 1e-4


# Statistical checks of dropout use 5.5 standard deviations: a correct
# implementation fails one with probability below 1e-7.
SIGMAS = 5.5


def gradient_descent(x, target, lr, n_steps, *, accumulate=False, ascent=False, loss_power=2):
    """w after n_steps of GD from zeros on (target - x.w)**loss_power (NumPy, closed-form gradient)."""
    w = np.zeros_like(x)
    accumulated = np.zeros_like(x)
    for _ in range(n_steps):
        residual = target - x @ w
        gradient = -2 * residual * x if loss_power == 2 else -x
        if accumulate:  # .backward() adds to w.grad: without zeroing it, the gradients pile up
            accumulated = accumulated + gradient
            gradient = accumulated
        w = w + lr * gradient if ascent else w - lr * gradient
    return w


def descent_mistakes(x, target, lr, n_steps):
    return {
        "w.grad is not reset to zero after each step (.backward() accumulates gradients)":
            gradient_descent(x, target, lr, n_steps, accumulate=True),
        "gradient ascent: w + lr * grad instead of w - lr * grad":
            gradient_descent(x, target, lr, n_steps, ascent=True),
        f"{n_steps - 1} steps instead of {n_steps} (off by one)": gradient_descent(x, target, lr, n_steps - 1),
        f"{n_steps + 1} steps instead of {n_steps} (off by one)": gradient_descent(x, target, lr, n_steps + 1),
        "the loss is not squared (use (target - x @ w) ** 2)":
            gradient_descent(x, target, lr, n_steps, loss_power=1),
        "half the gradient: the loss is 1/2 (target - x @ w)^2 instead of (target - x @ w)^2":
            gradient_descent(x, target, lr / 2, n_steps),
    }


def call_descent(torch_models, x, target, lr, n_steps):
    return call_returning_inputs(torch_models, "autograd_descent", x, target, lr, n_steps, what="autograd_descent",
                                 timeout=TORCH_TIMEOUT)


def call_dropout(torch_models, x, p, training, seed):
    return expect(calls.call_with_rng_returning_inputs(torch_models, "dropout", x, p, training, seed=seed,
                                                       timeout=TORCH_TIMEOUT), answers.returning_inputs(3), "dropout")


def check_dropout_training(torch_models, x, p, seed):
    """dropout(x, p, True, rng) on a large x without zeros: statistics and exact survivors."""
    what = f"dropout(x, p={p}, training=True, rng) with x of shape {x.shape}"
    out = as_array(call_dropout(torch_models, x, p, True, seed)["value"], what, inputs={"x": x})
    assert_shape(out, x.shape, what)
    n = x.size
    dropped = out == 0
    fraction = float(dropped.mean())
    tolerance = SIGMAS * np.sqrt(p * (1 - p) / n)
    if abs(fraction - p) > tolerance:
        hint = ""
        if abs(fraction - (1 - p)) <= tolerance:
            hint = (" This looks like a classic mistake: p used as the probability of KEEPING an entry "
                    "(p is the probability of dropping it).")
        elif fraction == 0:
            hint = " No entry was zeroed: is the mask applied when training=True?"
        raise CheckFailed(f"{what} zeroed {fraction:.2%} of the {n:,} entries of x (none of which is 0); "
                          f"each entry should be zeroed with probability p = {p}, so about {p:.0%} "
                          f"(± {tolerance:.2%}) of them.{hint}")
    kept = ~dropped
    assert_close(out[kept], x[kept] / (1 - p), f"{what}: the entries that were kept (should be x / (1 − p))",
                 mistakes={"dropout not rescaled: kept entries must be divided by 1 − p (inverted dropout)":
                           x[kept],
                           "kept entries divided by p instead of 1 − p": x[kept] / p,
                           "kept entries multiplied by 1 − p instead of divided by it": x[kept] * (1 - p)})
    spread = SIGMAS * np.sqrt(np.sum(x ** 2) * p / (1 - p)) / n
    mean, expected = float(out.mean()), float(x.mean())
    assert_true(abs(mean - expected) <= spread,
                f"{what}: the mean of the output is {mean:.4f}; inverted dropout keeps the expected value, "
                f"so it should be close to the mean of x, {expected:.4f} (± {spread:.4f}).")


def check_dropout_draws(torch_models, x, p, seed):
    """Each call draws a fresh mask from ``rng``: two calls with one generator differ, the same seed repeats."""
    what = f"dropout(x, p={p}, training=True, rng) with x of shape {x.shape} (no zeros in x)"
    out = expect(calls.call_with_rng_twice(torch_models, "dropout", x, p, True, seed=seed, timeout=TORCH_TIMEOUT),
                 answers.CALLED_TWICE, what)
    masks = {}
    for key in ("first", "second", "again"):
        value = as_array(out[key], what, inputs={"x": x})
        assert_shape(value, x.shape, what)
        masks[key] = value == 0
    assert_true(not np.array_equal(masks["first"], masks["second"]),
                f"{what}, called twice with the same generator rng, zeroed exactly the same entries both times: "
                "each call must draw a fresh mask from rng (e.g. rng.random(x.shape) >= p). A generator made "
                "inside dropout, such as np.random.default_rng(0), repeats the same mask on every call.")
    assert_true(np.array_equal(masks["first"], masks["again"]),
                f"{what}, called with two generators made from the same seed, zeroed different entries: every "
                "random number must come from the rng argument, not from np.random.* or a generator of your own.")


def check_outputs_from_parameters(out, layers, rows, what):
    """The model's outputs are the function of its parameters that the contract fixes.

    Compared after log-softmax, so logits and log-probabilities (logits minus a constant
    per row: softmax and argmax unchanged) are both right.
    """
    expected = linear_forward(layers, rows)
    mistakes = {"no ReLU between the linear layers": log_softmax(linear_forward(layers, rows, relu=False)),
                "a softmax after the last layer (forward must return logits or log-probabilities)":
                log_softmax(np.exp(log_softmax(expected))),
                "a ReLU after the last layer (the logits must be able to be negative)":
                log_softmax(np.maximum(expected, 0))}
    # float32 forward passes compared with float64 formulas: rounding stays near 1e-6.
    assert_close(log_softmax(out), log_softmax(expected),
                 f"{what}: the log-softmax of its outputs, compared with the one the grader computes from the "
                 "model's own parameters (nn.Linear layers, ReLU between them). forward must use its layers and "
                 "return their logits (log-probabilities are accepted too)",
                 rtol=1e-4, atol=1e-4, mistakes=mistakes)


def forward(torch_models, kind, config_, inputs, seed, key):
    """Outputs of the student's untrained model in train() and eval() mode (two passes each)."""
    found = calls.model_forward(torch_models, kind, config_, inputs, seed, what=key, timeout=TORCH_TIMEOUT)
    return expect(found, answers.model_outputs(kind, config_, len(inputs)), f"{key} as the grader built it")


def logits(value, what, n, m=10):
    """The returned (n, m) logits as a float array, with checks of shape, dtype and finiteness."""
    out = as_array(value, what)
    assert_shape(out, (n, m), what)
    assert_true(out.dtype.kind == "f", f"{what} returned logits of dtype {out.dtype}; expected floats.")
    assert_true(np.all(np.isfinite(out)), f"{what} returned logits with nan or inf.")
    return out.astype(float)


def affine_inputs(rng, n_extra, d=784):
    """Rows a, b, (a + b) / 2 and n_extra more, float32."""
    a, b = rng.normal(0, 1, d), rng.normal(0, 1, d)
    rows = [a, b, (a + b) / 2] + [rng.uniform(0, 1, d) for _ in range(n_extra)]
    return np.asarray(rows, dtype=np.float32)


def affine_gap(out):
    """How far f((a+b)/2) is from (f(a) + f(b))/2, relative to the size of the outputs."""
    gap = np.abs(out[2] - (out[0] + out[1]) / 2).max()
    return float(gap / (np.abs(out[:3]).max() + 1e-12))


def weight_shapes(torch_models, kind, config_, seed, key):
    shapes = calls.model_parameter_shapes(torch_models, kind, config_, seed, what=key, timeout=TORCH_TIMEOUT)
    return [tuple(shape) for _name, shape in expect(shapes, answers.PARAMETER_SHAPES, key)]


def check_dropout_modes(torch_models, kind, config_, inputs, name, active):
    """Two train() passes differ iff dropout is active; eval() passes are the function of the parameters.

    For the MLP the grader recomputes the eval() output from the returned parameters;
    ConvNetDropout's architecture is the student's, so its two eval() passes are only
    compared with each other (values computed in the sandbox).
    """
    found = forward(torch_models, kind, config_, inputs, 1, name.split("(")[0])
    n = len(inputs)
    train = [logits(v, f"{name} in train() mode", n) for v in found["train"]]
    evaluated = [logits(v, f"{name} in eval() mode", n) for v in found["eval"]]
    # Two passes without dropout repeat the same float32 computation: equal to rounding.
    same_train = matches(train[0], train[1], rtol=1e-5, atol=1e-6)
    if active:
        assert_true(not same_train,
                    f"{name} in train() mode gave the same outputs on two passes over the same batch: "
                    "dropout is not active during training. Add nn.Dropout(p) layers (and pass p on).")
    else:
        assert_true(same_train,
                    f"{name} in train() mode gave different outputs on two passes over the same batch, "
                    "although its dropout probability is 0: is the dropout argument used?")
    assert_true(matches(evaluated[0], evaluated[1], rtol=1e-5, atol=1e-6),
                f"{name} in eval() mode gave different outputs on two passes over the same batch: "
                "dropout active in eval. Use nn.Dropout modules (model.eval() switches them off), or "
                "F.dropout(x, p, training=self.training): F.dropout's training argument defaults to True.")
    if kind == "mlp":
        layers = linear_layers(found["state"], name)
        check_outputs_from_parameters(evaluated[0], layers, inputs, f"{name} in eval() mode")
        if not active:
            check_outputs_from_parameters(train[0], layers, inputs, f"{name} in train() mode")


