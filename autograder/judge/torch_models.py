"""What the graded tests of torch_models.py call: expected values, classic mistakes, replays and checks."""
import numpy as np

from autograder import config
from autograder.errors import CheckFailed, OutOfMemory, StudentError
from autograder.judge import answers
from autograder.judge.compare import (as_array, assert_close, assert_sequence, assert_shape, assert_true,
                                      matches)
from autograder.judge.expect import expect
from autograder.judge.hyperparams import torch_hyperparams_problems
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
    return expect(calls.call_returning_inputs(torch_models, "autograd_descent", x, target, lr, n_steps,
                                              timeout=TORCH_TIMEOUT), answers.returning_inputs(4), "autograd_descent")


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


def linear_layers(state, name, d_in=784, d_out=10):
    """The ``(W, b)`` (W of shape (out, in)) of a model's linear layers in the order data flows.

    ``state`` is the model's state_dict as ``[name, array]`` pairs. The contract fixes
    LogisticRegression and MLP as linear layers with ReLU between them; each 2-D entry is
    a weight matrix, its bias the ``<prefix>bias`` of an nn.Linear's ``<prefix>weight`` or
    else the 1-D entry registered right after it (zeros when there is none). Layers are
    chained from ``d_in`` to ``d_out``: first in registration order, else by their shapes
    (a matrix stored as (in, out) is used transposed). Fails with a message naming
    ``name`` when the state cannot be read so.
    """
    entries = [(str(key), np.asarray(value, dtype=np.float64)) for key, value in (state or [])
               if isinstance(value, np.ndarray) and value.dtype.kind in "fiu"]
    shown = ", ".join(f"{key} {tuple(value.shape)}" for key, value in entries)[:600] or "nothing"
    arrays = dict(entries)
    layers, used = [], set()
    for i, (key, value) in enumerate(entries):
        if value.ndim != 2:
            continue
        bias_key = key[:-len("weight")] + "bias" if key.endswith("weight") else None
        if bias_key not in arrays and i + 1 < len(entries) and entries[i + 1][1].ndim == 1:
            bias_key = entries[i + 1][0]
        layers.append((value, arrays.get(bias_key)))
        used |= {key, bias_key}
    extra = [key for key, value in entries if key not in used and not key.endswith("num_batches_tracked")]
    chain = None if extra else _chained(layers, d_in, d_out)
    if chain is None:
        problem = (f" (it also holds {extra[:5]}, which are not the weights or biases of linear layers)"
                   if extra else "")
        raise CheckFailed(
            f"{name}: the grader computes this model's outputs itself from its parameters, reading it as "
            f"linear layers from {d_in} inputs to {d_out} outputs with ReLU between them (the architecture the "
            f"assignment fixes), but its state_dict cannot be read that way{problem}. Its state_dict holds: "
            f"{shown}.")
    return chain


def _oriented(layer, size):
    """``(W, b)`` of ``layer`` with W of shape (out, size), or None if it does not take ``size`` inputs."""
    W, bias = layer
    for matrix in (W, W.T):
        if matrix.shape[1] == size and (bias is None or bias.shape == (matrix.shape[0],)):
            return matrix, (np.zeros(matrix.shape[0]) if bias is None else bias)
    return None


def _chained(layers, d_in, d_out):
    def follow(order):
        chain, size = [], d_in
        for layer in order:
            oriented = _oriented(layer, size)
            if oriented is None:
                return None
            chain.append(oriented)
            size = oriented[0].shape[0]
        return chain if chain and size == d_out else None
    in_order = follow(layers)
    if in_order is not None:
        return in_order
    remaining, order, size = list(layers), [], d_in
    while remaining:
        following = [layer for layer in remaining if _oriented(layer, size) is not None]
        if not following:
            return None
        order.append(following[0])
        remaining = [layer for layer in remaining if layer is not following[0]]
        size = _oriented(following[0], size)[0].shape[0]
    return follow(order)


def linear_forward(layers, X, relu=True, final=None):
    """x W1^T + b1, ReLU, ..., x Wk^T + bk (float64), as nn.Linear computes it."""
    h = np.asarray(X, dtype=np.float64)
    for i, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if i < len(layers) - 1 and relu:
            h = np.maximum(h, 0)
    return final(h) if final is not None else h


def log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


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
    return expect(found, answers.model_outputs(kind, config_, len(inputs)), f"{key} (built by the grader)")


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


def cross_entropy(W, b, X, y):
    Z = X @ W.T + b
    Z = Z - Z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(len(y)), y]))


def full_batch_losses(W, b, X, y, lr, epochs, momentum=0.0, *, accumulate=False, scale=1.0, grad_scale=1.0,
                      adam=False, with_params=False, ema=None):
    """Losses (times ``scale``) before each step and after the last of full-batch gradient descent on
    the mean cross-entropy of X W^T + b (gradient times ``grad_scale``), with torch.optim.SGD's momentum
    rule (buffer = momentum * buffer + g), or with torch.optim.Adam's defaults when ``adam``.
    ``with_params`` also returns W and b after ``epochs`` steps. ``ema`` models momentum written as an
    exponential average, buffer = momentum * buffer + (1 - momentum) * g, starting from the first
    gradient ('first', as torch's dampening=momentum does) or from zero ('zero')."""
    W, b = W.astype(float), b.astype(float)
    X = X.astype(float)
    n, m = len(X), len(b)
    onehot = np.eye(m)[y]
    losses, buffers, grads = [], None, None
    moments = [[np.zeros_like(W), np.zeros_like(b)], [np.zeros_like(W), np.zeros_like(b)]]
    for step in range(1, epochs + 2):
        losses.append(scale * cross_entropy(W, b, X, y))
        trained = (W, b)
        Z = X @ W.T + b
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        dZ = grad_scale * (P - onehot) / n
        g = [dZ.T @ X, dZ.sum(axis=0)]
        if accumulate:  # optimizer.zero_grad() missing: .grad keeps the sum of all gradients
            grads = g if grads is None else [a + c for a, c in zip(grads, g)]
            g = grads
        if adam:  # betas (0.9, 0.999), eps 1e-8
            moments[0] = [0.9 * v + 0.1 * c for v, c in zip(moments[0], g)]
            moments[1] = [0.999 * v + 0.001 * c ** 2 for v, c in zip(moments[1], g)]
            g = [(v / (1 - 0.9 ** step)) / (np.sqrt(s / (1 - 0.999 ** step)) + 1e-8)
                 for v, s in zip(*moments)]
        elif momentum:
            weight = 1 - momentum if ema else 1.0
            if buffers is None:
                buffers = [(weight if ema == "zero" else 1.0) * c for c in g]
            else:
                buffers = [momentum * v + weight * c for v, c in zip(buffers, g)]
            g = buffers
        W, b = W - lr * g[0], b - lr * g[1]
    return (np.array(losses), trained) if with_params else np.array(losses)


def classes(rng, n, d, m, spread):
    """n points in R^d, m balanced classes around the vectors spread * e_k."""
    y = rng.permutation(np.arange(n) % m)
    X = rng.normal(0, 1, (n, d))
    X[np.arange(n), y] += spread
    return X.astype(np.float32), y.astype(np.int64)


def probe(torch_models, kind, X, y, m, epochs, lr, batch_size, seed, options=None):
    result = calls.train_torch_probe(torch_models, kind, X, y, m, epochs, lr, batch_size, seed, options,
                                     timeout=TORCH_TIMEOUT)
    return expect(result, answers.torch_probe(kind, *X.shape, m), f"train_torch on a model of the grader's "
                  f"(X of shape {X.shape}, {m} classes)")


def check_full_batch(torch_models, rng, momentum):
    """One batch of all examples: each epoch is one gradient step, which NumPy can replay."""
    n, d, m, epochs, lr = 60, 4, 3, 6, 0.5
    X, y = classes(rng, n, d, m, 1.5)
    options = {"momentum": momentum} if momentum else {}
    call = (f"train_torch(nn.Linear({d}, {m}), X, y, epochs={epochs}, lr={lr}, batch_size={n}, seed"
            + "".join(f", {k}={v}" for k, v in options.items()) + f") with X of shape {X.shape}")
    what = f"{call}: the losses"
    result = probe(torch_models, "linear", X, y, m, epochs, lr, n, int(rng.integers(2 ** 31)), options)
    losses = assert_sequence(result["losses"], what, length=epochs)
    W, b = result["initial"]["weight"], result["initial"]["bias"]
    exact, (W_end, b_end) = full_batch_losses(W, b, X, y, lr, epochs, momentum, with_params=True)
    before, after = exact[:-1], exact[1:]
    if matches(losses, before, FLOAT32_RTOL, 1e-6) or matches(losses, after, FLOAT32_RTOL, 1e-6):
        # The losses are what train_torch says; the parameters are what it did to the model.
        check_trained_parameters(result, W_end, b_end, call)
        return
    mistakes = {}
    variants = {"optimizer.zero_grad() missing (gradients accumulate over the steps)":
                full_batch_losses(W, b, X, y, lr, epochs, momentum, accumulate=True),
                "sum of the per-example losses instead of their mean (reduction='sum')":
                full_batch_losses(W, b, X, y, lr, epochs, momentum, scale=n, grad_scale=n),
                "the loss that is minimised is the sum over the batch (reduction='sum'), not the mean":
                full_batch_losses(W, b, X, y, lr, epochs, momentum, grad_scale=n),
                "Adam instead of SGD (SGD is the default unless the options ask for another optimizer)":
                full_batch_losses(W, b, X, y, lr, epochs, adam=True)}
    if momentum:
        variants["the momentum option is ignored (plain SGD)"] = full_batch_losses(W, b, X, y, lr, epochs)
        for start in ("first", "zero"):
            variants["momentum written as an exponential average, buffer = momentum * buffer + (1 - momentum) * "
                     f"grad (from the {'first gradient' if start == 'first' else 'zero vector'}); SGD's momentum "
                     "adds the whole gradient: buffer = momentum * buffer + grad"] = full_batch_losses(
                W, b, X, y, lr, epochs, momentum, ema=start)
    else:
        variants["momentum used although none was asked for"] = full_batch_losses(W, b, X, y, lr, epochs, 0.9)
    for name, values in variants.items():
        mistakes[name] = values[:-1]
        mistakes[name + " (loss measured after each epoch)"] = values[1:]
    try:
        assert_close(losses, before, what + " (with batch_size = n every epoch is one step of gradient descent "
                     "on the mean cross-entropy)", rtol=FLOAT32_RTOL, atol=1e-6, mistakes=mistakes)
    except CheckFailed as err:
        raise CheckFailed(f"{err}\nThe expected values are the loss before each epoch's update; the loss after "
                          f"each epoch is accepted too: {np.array2string(after, precision=6)}.") from None


def check_trained_parameters(result, W_end, b_end, call):
    """The model's parameters after train_torch are those of the SGD the grader replays."""
    for key, expected in (("weight", W_end), ("bias", b_end)):
        assert_close(result["final"][key], expected,
                     f"{call}: the model's {key} after training (the grader replays the gradient steps from the "
                     "model's initial parameters; does train_torch call optimizer.step() on this model's "
                     "parameters?)", rtol=FLOAT32_RTOL, atol=1e-5,
                     mistakes={"the model was not trained (its parameters did not change)":
                               result["initial"][key]})


def linear_predictions(result, X):
    """Classes predicted by the trained nn.Linear of a probe, computed here from its parameters."""
    W, b = result["final"]["weight"], result["final"]["bias"]   # of the shapes asked for (answers.torch_probe)
    return np.argmax(np.asarray(X, dtype=float) @ W.T.astype(float) + b.astype(float), axis=1)


def check_mean_loss(torch_models, rng):
    """With a vanishing learning rate every epoch's mean loss is the initial model's mean loss."""
    n, d, m, epochs, batch = 96, 6, 4, 3, 32
    X, y = classes(rng, n, d, m, 1.0)
    lr = 1e-12
    what = (f"train_torch(nn.Linear({d}, {m}), X, y, epochs={epochs}, lr={lr}, batch_size={batch}, seed) "
            f"with X of shape {X.shape} (so {n // batch} batches per epoch and a model that does not change)")
    result = probe(torch_models, "linear", X, y, m, epochs, lr, batch, int(rng.integers(2 ** 31)))
    losses = assert_sequence(result["losses"], what + ": the losses", length=epochs)
    Z = X.astype(float) @ result["initial"]["weight"].T.astype(float) + result["initial"]["bias"].astype(float)
    Z = Z - Z.max(axis=1, keepdims=True)
    expected = float(np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(n), y]))
    assert_close(losses, np.full(epochs, expected),
                 what + ": each entry should be the mean cross-entropy over the epoch's examples",
                 rtol=FLOAT32_RTOL, atol=1e-6,
                 mistakes={"the sum of the batch losses instead of their mean": np.full(epochs, expected * n / batch),
                           "the sum over the examples instead of the mean": np.full(epochs, expected * n)})


def check_learns(torch_models, rng):
    n, d, m, epochs, lr, batch = 150, 5, 3, 15, 0.1, 10
    X, y = classes(rng, n, d, m, 5.0)
    what = (f"train_torch(nn.Linear({d}, {m}), X, y, epochs={epochs}, lr={lr}, batch_size={batch}, seed) on "
            f"{n} points of {m} well-separated classes")
    result = probe(torch_models, "linear", X, y, m, epochs, lr, batch, int(rng.integers(2 ** 31)))
    losses = assert_sequence(result["losses"], what + ": the losses", length=epochs)
    assert_true(np.all(np.isfinite(losses)), f"{what} returned losses with nan or inf: {losses}.")
    assert_true(losses[-1] < 0.5 * losses[0],
                f"{what}: the loss should fall below half its first value (a correct implementation ends "
                f"below a quarter of it), but the losses are {np.array2string(losses, precision=4)}. Is "
                "optimizer.step() called after loss.backward(), with the gradient subtracted?")
    accuracy = float(np.mean(linear_predictions(result, X) == y))
    assert_true(accuracy >= 0.95,
                f"{what}: the trained model classifies {accuracy:.0%} of the training points correctly; at "
                "least 95% is expected (a correct implementation reaches 100%). Is every batch used?")


def check_deterministic(torch_models, rng):
    n, d, m, epochs, lr, batch = 64, 5, 3, 3, 0.1, 16
    X, y = classes(rng, n, d, m, 2.0)
    seed = int(rng.integers(2 ** 31))
    what = (f"train_torch(model, X, y, epochs={epochs}, lr={lr}, batch_size={batch}, seed={seed}) with a model "
            "that has an nn.Dropout(0.5) layer")
    runs = [probe(torch_models, "dropout_mlp", X, y, m, epochs, lr, batch, seed) for _ in range(2)]
    first, second = (assert_sequence(run["losses"], what + ": the losses", length=epochs) for run in runs)
    finals = [run["final"] for run in runs]
    same_model = sorted(finals[0]) == sorted(finals[1]) and all(
        matches(finals[1][k], finals[0][k], rtol=0, atol=0) for k in finals[0])
    assert_true(matches(second, first, rtol=1e-6, atol=0) and same_model,
                f"{what}, run twice from the same starting model, returned different losses "
                f"({np.array2string(first, precision=6)} and {np.array2string(second, precision=6)}) or left "
                "different parameters. The seed "
                "must decide all the randomness: shuffle with torch.randperm(n, generator=torch.Generator()"
                ".manual_seed(seed)) or np.random.default_rng(seed), and call torch.manual_seed(seed) for the "
                "dropout masks; do not use np.random.* or random.* directly.")


def check_torch_hyperparams(hp):
    """TORCH_HYPERPARAMS holds what the grader passes on (the rules of autograder/hyperparams.py,
    shared with the self-check); returns it."""
    problems = torch_hyperparams_problems(hp, config.TRAIN_SUBSET)
    assert_true(not problems, " ".join(problems))
    return hp


def check_entry(hp, kind):
    """TORCH_HYPERPARAMS[kind], once the whole dict is usable. Any ``options`` value (a class such
    as torch.optim.Adam too) is fine: options never leave the sandbox, and train_torch itself says
    whether it accepts them."""
    problems = [p for p in torch_hyperparams_problems(hp, config.TRAIN_SUBSET)
                if not isinstance(hp, dict) or p.startswith(f"TORCH_HYPERPARAMS['{kind}']")
                or f"for {kind!r}" in p]
    assert_true(not problems, " ".join(problems))
    return hp[kind]


MODELS = {
    "logreg": ("LogisticRegression", "LogisticRegression(784, 10)"),
    "mlp": ("MLP", "MLP(784, hidden, 10, dropout)"),
    "convnet": ("ConvNetDropout", "ConvNetDropout(p)"),
}


def model_size_note(torch_models, kind, sent, entry, grading):
    """What a student needs to shrink a model that ran out of memory: its parameter count and batch size."""
    name = MODELS[kind][0]
    try:
        shapes = weight_shapes(torch_models, kind, sent, grading.hidden_seed, f"{name}(...) parameters")
    except StudentError:
        return f"{name} could not even be built again to count its parameters: it is far too large."
    count = int(sum(np.prod(shape) for shape in shapes))
    return (f"{name} has {count:,} parameters ({count * 4 / 2 ** 20:.1f} MB as float32; training adds as much "
            f"again for the gradients and up to twice that for the optimizer's state), and each batch of "
            f"batch_size = {entry.get('batch_size')} images keeps every layer's activations for the backward "
            "pass. Use fewer channels or units, or a smaller batch_size.")


def train_on_fashion_mnist(torch_models, grading, kind):
    entry = check_entry(torch_models.get("TORCH_HYPERPARAMS"), kind)
    X_test, y_test = grading.fashion_mnist()
    name, constructor = MODELS[kind]
    budget = config.TRAIN_CPU_SECONDS[kind]
    threshold = config.TORCH_MIN_TEST_ACCURACY[kind]
    shape = "(n, 1, 28, 28)" if kind == "convnet" else "(n, 784)"
    shown = {k: v for k, v in entry.items() if not isinstance(v, dict)}
    setting = (f"{constructor} trained by train_torch with TORCH_HYPERPARAMS['{kind}'] ({shown}, and its options) "
               f"on the first {config.TRAIN_SUBSET:,} Fashion-MNIST training images (float32 tensors of shape "
               f"{shape}, values in [0, 1]) within {budget} s of CPU time, then switched to eval()")
    # The options stay in the sandbox (the task reads them from TORCH_HYPERPARAMS itself), so
    # any value the student's train_torch accepts, a class such as torch.optim.Adam too, works.
    sent = {k: v for k, v in entry.items() if k != "options"}
    try:
        result = calls.train_torch_model(torch_models, kind, sent, data_dir=grading.sandbox.data_dir,
                                         seed=grading.hidden_seed,
                                         what=f"train_torch on {name} with TORCH_HYPERPARAMS['{kind}']",
                                         timeout=config.train_wall_timeout(kind), cpu_budget=budget)
    except OutOfMemory as err:
        raise err.extended(model_size_note(torch_models, kind, sent, entry, grading)) from None
    batches = -(-config.TRAIN_SUBSET // int(sent["batch_size"]))
    result = expect(result, answers.trained_torch_model(kind, sent, batches), f"{name} trained by train_torch")
    if result["losses"] is not None:
        grading.record("losses", np.asarray(result["losses"], dtype=float))  # at most one per batch; thinned
    if kind == "convnet":
        # ConvNetDropout's architecture is the student's own: its predictions come from the
        # sandbox. The labels it trained on were relabelled, so a lookup of the public test
        # labels still scores nothing once they are mapped back.
        predictions = result["predictions"]
        assert_true(predictions.min() >= 0 and predictions.max() <= 9,
                    f"{setting}: its predicted classes (argmax of the logits) go from {predictions.min()} to "
                    f"{predictions.max()}; expected classes 0 to 9. Does the model output 10 logits?")
    else:
        # The grader computes the predictions from the trained parameters (linear layers, ReLU).
        layers = linear_layers(result["state"], f"{constructor} after training")
        predictions = np.concatenate([
            np.argmax(linear_forward(layers, X_test[s:s + PREDICT_CHUNK].reshape(-1, 784).astype(np.float32)
                                     / np.float32(255)), axis=1)
            for s in range(0, len(X_test), PREDICT_CHUNK)])
    accuracy = float(np.mean(grading.original_classes(predictions) == y_test))
    grading.record("test_accuracy", accuracy)
    grading.record("cpu_seconds", float(result["cpu_seconds"]))
    assert_true(accuracy >= threshold,
                f"Test accuracy {accuracy:.2%} on the {len(y_test):,} Fashion-MNIST test images; at least "
                f"{threshold:.0%} is needed. Model: {setting}.")


PREDICT_CHUNK = 1000
