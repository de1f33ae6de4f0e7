"""What the graded tests of train_torch call: small problems on grader-built models and their
replays, the hyper-parameters, and training on Fashion-MNIST.

The train_torch test runs the student's ``train_torch`` on a model the grader builds (``nn.Linear``,
or a small MLP with dropout) in the sandbox and judges, on this side, the parameters that model ends
with (and the losses returned): losses computed on a copy of the model earn nothing. The rules are
those of every training function (judge/training.py): one step per mini-batch of the mean loss,
every example once per epoch, the partial batch used, a fresh order each epoch, X and y together,
float32 rounding allowed; and train_torch's own: the options reach one optimizer made once, and
every step runs in train() mode.
"""
import numpy as np

from autograder import config
from autograder.errors import CheckFailed
from autograder.judge import answers, replays, rounding, training
from autograder.judge.compare import as_array, assert_close, assert_sequence, assert_true, matches
from autograder.judge.expect import expect
from autograder.judge.hyperparams import torch_hyperparams_problems
from autograder.judge.torch_models import FLOAT32_RTOL, TORCH_TIMEOUT
from autograder.sandbox import calls


def cross_entropy(W, b, X, y):
    Z = X @ W.T + b
    Z = Z - Z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(len(y)), y]))


def full_batch_losses(W, b, X, y, lr, epochs, momentum=0.0, *, accumulate=False, scale=1.0, grad_scale=1.0,
                      adam=False, with_params=False):
    """Losses (times ``scale``) before each step and after the last of full-batch gradient descent on
    the mean cross-entropy of X W^T + b (gradient times ``grad_scale``), with torch.optim.SGD's momentum
    rule (buffer = momentum * buffer + g), or with torch.optim.Adam's defaults when ``adam``.
    ``with_params`` also returns W and b after ``epochs`` steps."""
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
            buffers = g if buffers is None else [momentum * v + c for v, c in zip(buffers, g)]
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


def check_full_batch(torch_models, rng):
    """One batch of all examples: each epoch is one gradient step, which NumPy can replay."""
    n, d, m, epochs, lr = 60, 4, 3, 6, 0.5
    X, y = classes(rng, n, d, m, 1.5)
    call = (f"train_torch(nn.Linear({d}, {m}), X, y, epochs={epochs}, lr={lr}, batch_size={n}, seed) "
            f"with X of shape {X.shape}")
    what = f"{call}: the losses"
    result = probe(torch_models, "linear", X, y, m, epochs, lr, n, int(rng.integers(2 ** 31)))
    losses = assert_sequence(result["losses"], what, length=epochs)
    W, b = result["initial"]["weight"], result["initial"]["bias"]
    exact, (W_end, b_end) = full_batch_losses(W, b, X, y, lr, epochs, with_params=True)
    before, after = exact[:-1], exact[1:]
    if matches(losses, before, FLOAT32_RTOL, 1e-6) or matches(losses, after, FLOAT32_RTOL, 1e-6):
        # The losses are what train_torch says; the parameters are what it did to the model.
        check_trained_parameters(result, W_end, b_end, call)
        return
    mistakes = {}
    variants = {"optimizer.zero_grad() missing (gradients accumulate over the steps)":
                full_batch_losses(W, b, X, y, lr, epochs, accumulate=True),
                "sum of the per-example losses instead of their mean (reduction='sum')":
                full_batch_losses(W, b, X, y, lr, epochs, scale=n, grad_scale=n),
                "the loss that is minimised is the sum over the batch (reduction='sum'), not the mean":
                full_batch_losses(W, b, X, y, lr, epochs, grad_scale=n),
                "Adam instead of SGD (SGD is the default unless the options ask for another optimizer)":
                full_batch_losses(W, b, X, y, lr, epochs, adam=True),
                "momentum used although none was asked for": full_batch_losses(W, b, X, y, lr, epochs, 0.9)}
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
                     "parameters?)", **rounding.tolerances(W_end, result["initial"]["weight"], result["final"][key]),
                     mistakes={"the model was not trained (its parameters did not change)":
                               result["initial"][key]})


def linear_predictions(result, X):
    """Classes predicted by the trained nn.Linear of a probe, computed here from its parameters."""
    W, b = result["final"]["weight"], result["final"]["bias"]   # of the shapes asked for (answers.torch_probe)
    return np.argmax(np.asarray(X, dtype=float) @ W.T.astype(float) + b.astype(float), axis=1)


REPLAY_WORDS = training.Words(step="W - lr * (gradient of the mini-batch's mean cross-entropy)",
                              initial="the model's parameters before train_torch",
                              fresh_order=training.TORCH_ORDER, together=training.TORCH_TOGETHER)


def linear_gradient(params, X, y):
    """The gradient of the mean cross-entropy of X W^T + b: the step nn.Linear takes under SGD."""
    Z = np.asarray(X, dtype=float) @ params["W"].T + params["b"]
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    dZ = (P - np.eye(len(params["b"]))[np.asarray(y)]) / len(Z)
    return {"W": dZ.T @ np.asarray(X, dtype=float), "b": dZ.sum(axis=0)}


def linear_run(X, y, result, what):
    """The probe's nn.Linear before and after train_torch, as a replay sees it."""
    params = {}
    for moment in ("initial", "final"):
        found = result.get(moment) if isinstance(result.get(moment), dict) else {}
        params[moment] = {short: as_array(found.get(key), f"{what}: the model's {key} ({moment})")
                          for short, key in (("W", "weight"), ("b", "bias"))}
    return training.Run(X, y, params["initial"], params["final"])


def check_steps_and_mean_loss(torch_models, rng):
    """Two runs on one problem of 3 mini-batches per epoch. With a vanishing learning rate (the model does
    not change) each epoch's loss is the initial model's mean loss; with a tiny one, the 9 steps move the
    model it was given by lr * 9 * (full-batch gradient)."""
    n, d, m, epochs, batch = 96, 6, 4, 3, 32
    X, y = classes(rng, n, d, m, 1.0)
    seed = int(rng.integers(2 ** 31))
    call = f"train_torch(nn.Linear({d}, {m}), X, y, epochs={epochs}, lr={{}}, batch_size={batch}, seed)"
    shape = f"with X of shape {X.shape} (so {n // batch} mini-batches per epoch"
    lr = 1e-12
    what = f"{call.format(lr)} {shape} and a model that does not change)"
    result = probe(torch_models, "linear", X, y, m, epochs, lr, batch, seed)
    losses = assert_sequence(result["losses"], what + ": the losses", length=epochs)
    start = linear_run(X, y, result, what).start
    W, b = (start[k].astype(float) for k in ("W", "b"))
    expected = cross_entropy(W, b, X.astype(float), y)
    assert_close(losses, np.full(epochs, expected),
                 what + ": each entry should be the mean cross-entropy over the epoch's examples",
                 rtol=FLOAT32_RTOL, atol=1e-6,
                 mistakes={"the sum of the batch losses instead of their mean": np.full(epochs, expected * n / batch),
                           "the sum over the examples instead of the mean": np.full(epochs, expected * n)})
    lr = 1e-4
    what = f"{call.format(lr)} {shape})"
    run = linear_run(X, y, probe(torch_models, "linear", X, y, m, epochs, lr, batch, seed), what)
    full_batch = linear_gradient({k: v.astype(float) for k, v in run.start.items()}, X, y)
    training.check_displacement(run.start, run.end, full_batch, lr, epochs * n // batch, batch, what)


def check_epoch_replays(torch_models, rng):
    """Two epochs on 5 examples with batch_size 2, from 3 seeds: replayed here for every way of forming
    the batches (judge/replays.py)."""
    n, d, m, epochs, lr, batch = 5, 2, 2, 2, 0.5, 2
    what = (f"train_torch(nn.Linear({d}, {m}), X, y, epochs={epochs}, lr={lr}, batch_size={batch}, seed) on {n} "
            "points (3 mini-batches per epoch, the last of 1 example)")
    runs = []
    for _ in range(3):
        X, y = classes(rng, n, d, m, 1.0)
        result = probe(torch_models, "linear", X, y, m, epochs, lr, batch, int(rng.integers(2 ** 31)))
        runs.append(linear_run(X, y, result, what))
    training.check_epochs(runs, linear_gradient, replays.SGD(lr), batch, epochs, what, REPLAY_WORDS)


def check_shuffled_together(torch_models, rng):
    """One full batch of 6 examples of 4 classes: a step on mismatched (x, label) pairs is recognised."""
    n, d, m, lr = 6, 2, 4, 0.5
    what = (f"train_torch(nn.Linear({d}, {m}), X, y, epochs=1, lr={lr}, batch_size={n}, seed) on {n} points of "
            f"{m} classes (one step on the whole set)")
    for _ in range(2):   # a mismatch that happens to keep every label in place goes unseen once, not twice
        X = rng.normal(size=(n, d)).astype(np.float32)
        y = rng.permutation(np.array([0, 0, 1, 1, 2, 3]))
        result = probe(torch_models, "linear", X, y, m, 1, lr, n, int(rng.integers(2 ** 31)))
        training.check_together(linear_run(X, y, result, what), linear_gradient, lr, what, REPLAY_WORDS)


def check_momentum(torch_models, rng):
    """momentum=0.9 over 3 epochs of 2 mini-batches: SGD's momentum, one optimizer for all epochs."""
    n, d, m, epochs, lr, batch, momentum = 4, 2, 2, 3, 0.5, 2, 0.9
    X, y = classes(rng, n, d, m, 1.0)
    what = (f"train_torch(nn.Linear({d}, {m}), X, y, epochs={epochs}, lr={lr}, batch_size={batch}, seed, "
            f"momentum={momentum}) on {n} points (2 mini-batches per epoch)")
    result = probe(torch_models, "linear", X, y, m, epochs, lr, batch, int(rng.integers(2 ** 31)),
                   {"momentum": momentum})
    words = training.Words(step=f"SGD with momentum {momentum} (velocity = {momentum} * velocity + gradient, "
                                "W -= lr * velocity) carried across the epochs",
                           initial=REPLAY_WORDS.initial, fresh_order=REPLAY_WORDS.fresh_order,
                           together=REPLAY_WORDS.together)
    training.check_rule(linear_run(X, y, result, what), replays.SGD(lr, momentum),
                        training.momentum_mistakes(lr, momentum), linear_gradient, batch, epochs, what, words)


def check_train_mode(torch_models, rng):
    """With a dropout model: every training step runs in train() mode, on the model given."""
    n, d, m, epochs, lr, batch = 64, 5, 3, 3, 0.1, 16
    X, y = classes(rng, n, d, m, 2.0)
    what = (f"train_torch(model, X, y, epochs={epochs}, lr={lr}, batch_size={batch}, seed) with a model that has an "
            "nn.Dropout(0.5) layer")
    result = probe(torch_models, "dropout_mlp", X, y, m, epochs, lr, batch, int(rng.integers(2 ** 31)))
    initial, final = result.get("initial") or {}, result.get("final") or {}
    moved = any(not np.array_equal(np.asarray(initial[k]), np.asarray(final.get(k))) for k in initial)
    modes = result.get("train_modes")
    assert_true(isinstance(modes, list) and all(isinstance(mode, bool) for mode in modes),
                f"{what}: the record of its training steps did not come back intact.")
    training.check_train_mode(modes, moved, what)

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
