"""What the graded tests of train_torch call: NumPy replays of SGD, probes on small problems, the
hyper-parameters (training on Fashion-MNIST: judge/fashion.py)."""
import numpy as np

from autograder import config
from autograder.errors import CheckFailed
from autograder.judge.compare import as_array, assert_close, assert_sequence, assert_true, matches
from autograder.judge.hyperparams import torch_hyperparams_problems
from autograder.judge.torch_models import FLOAT32_RTOL, TORCH_TIMEOUT
from autograder.sandbox import calls


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
    return calls.train_torch_probe(torch_models, kind, X, y, m, epochs, lr, batch_size, seed, options,
                                   timeout=TORCH_TIMEOUT)


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
    final = result.get("final") or {}
    for key, expected in (("weight", W_end), ("bias", b_end)):
        assert_close(final.get(key), expected,
                     f"{call}: the model's {key} after training (the grader replays the gradient steps from the "
                     "model's initial parameters; does train_torch call optimizer.step() on this model's "
                     "parameters?)", rtol=FLOAT32_RTOL, atol=1e-5,
                     mistakes={"the model was not trained (its parameters did not change)":
                               result["initial"][key]})


def linear_predictions(result, X):
    """Classes predicted by the trained nn.Linear of a probe, computed here from its parameters."""
    final = result.get("final") or {}
    W = as_array(final.get("weight"), "the trained model's weight")
    b = as_array(final.get("bias"), "the trained model's bias")
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
    finals = [run.get("final") or {} for run in runs]
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
