"""Part 5: torch_models.py — autograd, dropout and PyTorch models (20 points).

This process never imports torch (it would cost ~250 MB of the 768 MB the grader
shares with the student's process): expected values come from NumPy formulas,
and everything that needs torch (building a model, training it) runs beside the
student's code in the sandbox (autograder/sandbox/tasks.py) and returns plain data."""
import numpy as np
import pytest

from autograder import config
from autograder.judge.compare import as_array, assert_close, assert_shape, assert_true, score_cases
from autograder.judge.layers import read_layers
from autograder.judge.torch_models import (affine_inputs, call_descent, call_dropout, check_dropout_draws,
                                           check_dropout_modes, check_dropout_training,
                                           check_outputs_from_parameters, descent_mistakes, forward,
                                           gradient_descent, logits)
from autograder.judge.fashion import MODELS, train_torch_model
from autograder.judge.torch_training import (check_deterministic, check_epoch_replays, check_full_batch, check_learns,
                                             check_momentum, check_shuffled_together, check_steps_and_mean_loss,
                                             check_torch_hyperparams, check_train_mode)
from autograder.results.marks import graded


@graded("5.1", 2, tags=("torch_models", "autograd_descent"), partial=True)
def test_autograd_descent(torch_models, rng, set_score=None):
    """autograd_descent: gradient descent on (target − xᵀw)² with loss.backward()"""
    # Values are compared with rtol 1e-5 so that a float32 computation is
    # penalised once, by the dtype case, and not by every case.
    def converges_to_fifth():
        x, target, lr, n_steps = np.ones(5), 1.0, 0.05, 100
        what = f"autograd_descent(x, target={target}, lr={lr}, n_steps={n_steps})"
        got = call_descent(torch_models, x, target, lr, n_steps)["value"]
        assert_close(got, gradient_descent(x, target, lr, n_steps), what + " (w should approach 0.2 in every entry)",
                     inputs={"x": x}, rtol=1e-5, atol=1e-8, mistakes=descent_mistakes(x, target, lr, n_steps))

    x = np.round(rng.normal(0, 1, 4), 3)
    target, lr, n_steps = 1.3, 0.02, 7
    what = f"autograd_descent(x, target={target}, lr={lr}, n_steps={n_steps})"
    result = {}

    def few_steps():
        result["call"] = call_descent(torch_models, x, target, lr, n_steps)
        assert_close(result["call"]["value"], gradient_descent(x, target, lr, n_steps),
                     what + f": w after exactly {n_steps} steps from w = 0", inputs={"x": x}, rtol=1e-5,
                     atol=1e-8, mistakes=descent_mistakes(x, target, lr, n_steps))

    def float64_and_input_kept():
        call = result.get("call") or call_descent(torch_models, x, target, lr, n_steps)
        got = as_array(call["value"], what, inputs={"x": x})
        assert_shape(got, x.shape, what, inputs={"x": x})
        assert_true(got.dtype == np.float64,
                    f"{what} returned values of dtype {got.dtype}; expected float64 (x is float64). Make the "
                    "tensors float64: torch.tensor(x) or torch.as_tensor(x) keep float64, "
                    "torch.tensor(x, dtype=torch.float32) and torch.FloatTensor do not.")
        after = call["args_after"][0]
        assert_true(isinstance(after, np.ndarray) and np.array_equal(after, x),
                    f"{what} modified its input x (it became {after!r}; it was {x!r}). "
                    "torch.from_numpy shares memory with x: do not update that tensor in place.")

    # dtype, shape and "x unchanged" are properties (constants have them): they count once
    # a value of w is right.
    score_cases([("x = (1, 1, 1, 1, 1), target 1: converges to w = (0.2, ..., 0.2)", converges_to_fifth),
                 (f"random x in R^4, target {target}: exactly {n_steps} steps", few_steps)],
                2, set_score,
                properties=[("returns a float64 array of the shape of x and leaves x unchanged",
                             float64_and_input_kept)])


@graded("5.2", 2, tags=("torch_models", "dropout"), partial=True)
def test_dropout_training(torch_models, rng, set_score=None):
    """dropout: with training=True, zeroes a fraction p and scales the rest by 1/(1 − p), a fresh mask from rng"""
    seeds = [int(s) for s in rng.integers(0, 2 ** 31, 3)]
    cases = [
        (0.3, rng.uniform(0.5, 2.0, (200, 500)), seeds[0]),
        (0.75, np.where(rng.random((10, 40, 50)) < 0.5, -1, 1) * rng.uniform(0.1, 3.0, (10, 40, 50)), seeds[1]),
        (0.1, rng.uniform(-3.0, -0.5, 50000), seeds[2]),
    ]
    score_cases([(f"p = {p}, x of shape {x.shape}",
                  lambda p=p, x=x, seed=seed: check_dropout_training(torch_models, x, p, seed))
                 for p, x, seed in cases]
                + [("a fresh mask from rng on each call",
                    lambda: check_dropout_draws(torch_models, rng.uniform(0.5, 2.0, (20, 30)), 0.5,
                                                int(rng.integers(0, 2 ** 31))))], 2, set_score)


@graded("5.3", 1, tags=("torch_models", "dropout"), partial=True)
def test_dropout_identity(torch_models, rng, set_score=None):
    """dropout: x unchanged when training=False or p = 0; the input is not modified"""
    x = rng.uniform(0.5, 2.0, (30, 40))
    seed = int(rng.integers(0, 2 ** 31))

    def unchanged(p, training, mistake):
        what = f"dropout(x, p={p}, training={training}, rng)"
        out = as_array(call_dropout(torch_models, x, p, training, seed)["value"], what, inputs={"x": x})
        assert_shape(out, x.shape, what)
        zeroed = int(np.sum(out == 0))
        assert_true(zeroed == 0, f"{what} zeroed {zeroed} of the {x.size} entries of x; it should return x "
                                 f"unchanged. This looks like a classic mistake: {mistake}.")
        assert_close(out, x, f"{what} (should return x unchanged)", inputs={"x": x},
                     mistakes={mistake + " (x was scaled by 1/(1 − p))": x / (1 - p)} if p < 1 else None)

    def input_kept():
        p = 0.5
        what = f"dropout(x, p={p}, training=True, rng)"
        after = call_dropout(torch_models, x, p, True, seed)["args_after"][0]
        changed = int(np.sum(after != x)) if isinstance(after, np.ndarray) and after.shape == x.shape else x.size
        assert_true(changed == 0, f"{what} modified its input x in place ({changed} of its {x.size} entries "
                                  "changed), e.g. with x *= mask or x[mask] = 0. Return a new array.")

    # "x is not modified" is a property (a function that computes nothing has it): it counts
    # once an output is right.
    score_cases([("training=False: x unchanged", lambda: unchanged(0.5, False, "dropout active in eval "
                                                                   "(training=False must switch it off)")),
                 ("p = 0: x unchanged", lambda: unchanged(0.0, True, "entries dropped although p = 0"))],
                1, set_score, properties=[("x is not modified", input_kept)])


@graded("5.4", 1.5, tags=("torch_models", "LogisticRegression", "MLP", "ConvNetDropout"), partial=True)
def test_model_outputs(torch_models, rng, set_score=None):
    """LogisticRegression, MLP and ConvNetDropout: logits of shape (n, 10), layer sizes"""
    n_extra = 5
    rows = affine_inputs(rng, n_extra)
    n = len(rows)

    def logistic_regression():
        what = f"LogisticRegression(784, 10) on a float32 batch of shape {rows.shape}"
        found = forward(torch_models, "logreg", {}, rows, 0, "LogisticRegression")
        out = logits(found["eval"][0], what, n)
        layers = read_layers(found["parameters"], [784, 10], "LogisticRegression(784, 10)", probe=(rows, out))
        check_outputs_from_parameters(out, layers, rows, what)

    def mlp():
        hidden = [64, 32]
        what = f"MLP(784, {hidden}, 10) on a float32 batch of shape {rows.shape}"
        config_ = {"hidden": hidden, "dropout": 0.0}
        found = forward(torch_models, "mlp", config_, rows, 0, "MLP")
        out = logits(found["eval"][0], what, n)
        # Read by shape, whatever the containers; a missing layer (one per entry of hidden) is named.
        layers = read_layers(found["parameters"], [784] + hidden + [10], f"MLP(784, {hidden}, 10)", probe=(rows, out))
        check_outputs_from_parameters(out, layers, rows, what)

    def convnet():
        images = rng.uniform(0, 1, (4, 1, 28, 28)).astype(np.float32)
        what = f"ConvNetDropout() on a float32 batch of shape {images.shape}"
        logits(forward(torch_models, "convnet", {}, images, 0, "ConvNetDropout")["eval"][0], what, len(images))

    def convnet_layers():
        images = rng.uniform(0, 1, (2, 1, 28, 28)).astype(np.float32)
        found = forward(torch_models, "convnet", {}, images, 0, "ConvNetDropout")
        layers = set(found.get("torch_layers") or []) | set(found.get("layers") or [])
        has_conv = bool(layers & {"Conv2d", "_ConvNd", "Conv1d", "Conv3d"})
        has_dropout = bool(layers & {"Dropout", "Dropout2d", "_DropoutNd"})
        assert_true(has_conv and has_dropout,
                    "ConvNetDropout() should contain at least one convolution (nn.Conv2d) and at least one "
                    f"nn.Dropout or nn.Dropout2d module; its modules are {sorted(found.get('layers') or [])}. "
                    + ("" if has_conv else "No convolution found. ")
                    + ("" if has_dropout else "No dropout module found (F.dropout does not count: use an "
                                              "nn.Dropout attribute, which model.eval() switches off)."))

    # Logits of shape (n, 10), and being affine, are properties (a model that returns zeros
    # has them): they count once the layers of a model are right.
    score_cases([("MLP(784, [64, 32], 10): logits (n, 10), layers 784-64-32-10 with ReLU", mlp),
                 ("ConvNetDropout(): has a convolution and a dropout layer", convnet_layers)], 1.5, set_score,
                properties=[("LogisticRegression(784, 10): logits (n, 10)", logistic_regression),
                            ("ConvNetDropout(): logits (n, 10) for images (n, 1, 28, 28)", convnet)])


@graded("5.5", 1.5, tags=("torch_models", "MLP", "ConvNetDropout"), partial=True)
def test_model_dropout_modes(torch_models, rng, set_score=None):
    """MLP and ConvNetDropout: dropout active in train(), off in eval()"""
    rows = rng.uniform(0, 1, (8, 784)).astype(np.float32)
    images = rng.uniform(0, 1, (4, 1, 28, 28)).astype(np.float32)
    # "dropout=0.0 gives equal passes" is a property (a model that returns zeros has it): it
    # counts once dropout is seen to be active where it should be.
    score_cases([
        ("MLP(784, [128], 10, dropout=0.5)",
         lambda: check_dropout_modes(torch_models, "mlp", {"hidden": [128], "dropout": 0.5}, rows,
                                     "MLP(784, [128], 10, dropout=0.5)", active=True)),
        ("ConvNetDropout(p=0.5)",
         lambda: check_dropout_modes(torch_models, "convnet", {"p": 0.5}, images, "ConvNetDropout(p=0.5)",
                                     active=True)),
    ], 1.5, set_score, properties=[
        ("MLP(784, [128], 10, dropout=0.0)",
         lambda: check_dropout_modes(torch_models, "mlp", {"hidden": [128], "dropout": 0.0}, rows,
                                     "MLP(784, [128], 10, dropout=0.0)", active=False)),
    ])


@graded("5.6", 2.5, tags=("torch_models", "train_torch"), partial=True)
def test_train_torch(torch_models, rng, set_score=None):
    """train_torch: mean loss per epoch, SGD steps on the model given (every batch, fresh order, momentum), train()"""
    # Every case judges the parameters of the model train_torch was given: losses computed on a copy
    # of it earn nothing.
    score_cases([
        ("full batch: the losses of gradient descent on the mean cross-entropy",
         lambda: check_full_batch(torch_models, rng)),
        ("one loss per epoch, the mean over the epoch; one step per mini-batch",
         lambda: check_steps_and_mean_loss(torch_models, rng)),
        ("a fresh order each epoch; every mini-batch used, the partial one too",
         lambda: check_epoch_replays(torch_models, rng)),
        ("X and y shuffled together", lambda: check_shuffled_together(torch_models, rng)),
        ("momentum=0.9: SGD's momentum, one optimizer for all epochs", lambda: check_momentum(torch_models, rng)),
        ("every training step in train() mode (dropout active)", lambda: check_train_mode(torch_models, rng)),
        ("mini-batches: learns a separable problem", lambda: check_learns(torch_models, rng)),
    ], 2.5, set_score, properties=[
        # Constant losses are reproducible: this counts once a loss value is right.
        ("the same seed gives the same losses", lambda: check_deterministic(torch_models, rng)),
    ])


@graded("5.7", 0.5, tags=("torch_models", "TORCH_HYPERPARAMS"))
def test_torch_hyperparams(torch_models):
    """TORCH_HYPERPARAMS: epochs, lr, batch_size (and options, hidden, dropout, p) for each model"""
    check_torch_hyperparams(torch_models.get("TORCH_HYPERPARAMS"))


@pytest.mark.training
@graded("5.8", 2.5, tags=("torch_models", "LogisticRegression", "train_torch", "TORCH_HYPERPARAMS"))
def test_fashion_mnist_logreg(torch_models, grading):
    """LogisticRegression on Fashion-MNIST: test accuracy at least the threshold"""
    train_torch_model(torch_models, grading, "logreg")


@pytest.mark.training
@graded("5.9", 3, tags=("torch_models", "MLP", "train_torch", "TORCH_HYPERPARAMS"))
def test_fashion_mnist_mlp(torch_models, grading):
    """MLP on Fashion-MNIST: test accuracy at least the threshold"""
    train_torch_model(torch_models, grading, "mlp")


@pytest.mark.training
@graded("5.10", 3.5, tags=("torch_models", "ConvNetDropout", "train_torch", "TORCH_HYPERPARAMS"))
def test_fashion_mnist_convnet(torch_models, grading):
    """ConvNetDropout on Fashion-MNIST: test accuracy at least the threshold"""
    train_torch_model(torch_models, grading, "convnet")


for _test, _kind in ((test_fashion_mnist_logreg, "logreg"), (test_fashion_mnist_mlp, "mlp"),
                     (test_fashion_mnist_convnet, "convnet")):
    # The name students see states the threshold from config.py.
    _test.__doc__ = (f"{MODELS[_kind][0]} on Fashion-MNIST: test accuracy at least "
                     f"{config.TORCH_MIN_TEST_ACCURACY[_kind]:.0%}")
