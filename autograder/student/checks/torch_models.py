"""The checks of torch_models.py."""
import numpy as np

from autograder.config import TRAIN_SUBSET
from autograder.judge.hyperparams import torch_hyperparams_problems
from autograder.student.checks.expect import copies, expect_close, expect_shape, fmt, require, unchanged
from autograder.student.checks.inputs import blobs
from autograder.student.checks.registry import check


@check("torch_models", "autograd_descent")
def autograd_descent_steps_and_converges(m):
    """autograd_descent: one step from zeros is 2 lr target x; converges to 0.2 for x = ones(5)"""
    x = np.array([1.0, 2.0, -1.0])
    w1 = expect_shape(to_numpy(m.autograd_descent(x, 1.0, 0.01, 1)), (3,), "autograd_descent(x (3,), 1, 0.01, 1)")
    expect_close(w1, 0.02 * x, "w after one step from zeros",
                 hint="the gradient of (target - x.w)^2 at w = 0 is -2 target x; step w -= lr * grad")
    w = to_numpy(m.autograd_descent(np.ones(5), 1.0, 0.05, 300))
    expect_close(w, np.full(5, 0.2), "autograd_descent(ones(5), 1.0, 0.05, 300)", rtol=1e-6, atol=1e-8,
                 hint="zero w.grad after each step: .backward() accumulates")


def to_numpy(value):
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


@check("torch_models", "dropout")
def dropout_rate_scaling_and_eval(m):
    """dropout: zeroes a fraction p, scales survivors by 1/(1-p), identity when not training"""
    x = np.ones((200, 500))
    before = copies(x=x)
    out = expect_shape(m.dropout(x, 0.3, True, np.random.default_rng(0)), x.shape, "dropout(x, 0.3, True, rng)")
    unchanged(before, {"x": x}, "dropout")
    zero = np.mean(out == 0)
    require(abs(zero - 0.3) < 0.01, f"dropout(x, p=0.3, training=True) zeroed {zero:.3f} of the entries, "
            "expected about 0.3 (p is the probability of DROPPING an entry)")
    survivors = np.unique(out[out != 0])
    expect_close(survivors, [1 / 0.7], "the surviving entries of dropout(ones, 0.3, True, rng)",
                 hint="inverted dropout scales survivors by 1 / (1 - p)")
    expect_close(m.dropout(x[:3, :4], 0.3, False, np.random.default_rng(0)), x[:3, :4],
                 "dropout(x, 0.3, training=False, rng)", hint="no dropout (and no scaling) when not training")
    a = to_numpy(m.dropout(x[:10], 0.5, True, np.random.default_rng(1)))
    b = to_numpy(m.dropout(x[:10], 0.5, True, np.random.default_rng(1)))
    c = to_numpy(m.dropout(x[:10], 0.5, True, np.random.default_rng(2)))
    require(np.array_equal(a, b) and not np.array_equal(a, c), "draw the mask from the rng argument "
            "(same seed: same mask, other seed: another mask)")


def torch_forward(model, x):
    import torch
    with torch.no_grad():
        return model(torch.as_tensor(x, dtype=torch.float32)).numpy()


@check("torch_models", "LogisticRegression", "MLP")
def logistic_regression_and_mlp_outputs(m):
    """LogisticRegression and MLP: logits of shape (n, m); MLP dropout active in train(), off in eval()"""
    import torch
    x = np.random.default_rng(33).normal(size=(4, 6))
    model = m.LogisticRegression(6, 3)
    require(isinstance(model, torch.nn.Module), "LogisticRegression must be a torch.nn.Module")
    expect_shape(torch_forward(model, x), (4, 3), "LogisticRegression(6, 3)(x (4, 6))")
    torch.manual_seed(0)
    mlp = m.MLP(6, [32, 16], 3, dropout=0.5)
    require(isinstance(mlp, torch.nn.Module), "MLP must be a torch.nn.Module")
    expect_shape(torch_forward(mlp, x), (4, 3), "MLP(6, [32, 16], 3)(x (4, 6))")
    mlp.train()
    require(not np.array_equal(torch_forward(mlp, x), torch_forward(mlp, x)),
            "MLP(..., dropout=0.5) in train() mode gives the same output twice: is dropout used?")
    mlp.eval()
    require(np.array_equal(torch_forward(mlp, x), torch_forward(mlp, x)),
            "MLP in eval() mode must be deterministic (use nn.Dropout, which eval() switches off)")
    plain = m.MLP(6, [8], 3)
    plain.train()
    require(np.array_equal(torch_forward(plain, x), torch_forward(plain, x)),
            "MLP with dropout=0 must be deterministic")


@check("torch_models", "ConvNetDropout")
def convnet_dropout_layers_and_modes(m):
    """ConvNetDropout: a convolution and a dropout layer; (n, 1, 28, 28) -> (n, 10); dropout only in train()"""
    import torch
    torch.manual_seed(0)
    model = m.ConvNetDropout(p=0.5)
    kinds = [type(layer) for layer in model.modules()]
    require(any(issubclass(k, torch.nn.modules.conv._ConvNd) for k in kinds), "ConvNetDropout has no convolution layer")
    require(any(issubclass(k, (torch.nn.Dropout, torch.nn.Dropout2d)) for k in kinds),
            "ConvNetDropout has no nn.Dropout / nn.Dropout2d layer")
    x = np.random.default_rng(34).random((3, 1, 28, 28))
    model.train()
    a = expect_shape(torch_forward(model, x), (3, 10), "ConvNetDropout()(x (3, 1, 28, 28))")
    require(not np.array_equal(a, torch_forward(model, x)), "ConvNetDropout(p=0.5) in train() mode gives the same "
            "output twice: is its dropout used in forward()?")
    model.eval()
    require(np.array_equal(torch_forward(model, x), torch_forward(model, x)), "ConvNetDropout must be "
            "deterministic in eval() mode")


@check("torch_models", "train_torch")
def train_torch_losses_decrease_reproducibly(m):
    """train_torch: one mean loss per epoch, losses decrease, the same seed gives the same result"""
    import torch
    X, y = blobs(np.random.default_rng(35), 30, [[0, 2], [2, 0], [-2, -2]])
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)

    def run():
        torch.manual_seed(123)
        model = torch.nn.Linear(2, 3)
        losses = m.train_torch(model, Xt, yt, 6, 0.1, 16, 0)
        return model, losses
    model, losses = run()
    losses = expect_shape([float(v) for v in losses], (6,), "train_torch(..., epochs=6) (one loss per epoch)")
    require(losses[-1] < losses[0], f"the training loss should decrease; got {fmt(losses)}")
    model2, losses2 = run()
    expect_close(losses2, losses, "losses of a second run with the same seed",
                 hint="shuffle with a generator seeded from `seed` (torch.Generator().manual_seed(seed))")


@check("torch_models", "train_torch")
def train_torch_reports_mean_loss(m):
    """train_torch: each epoch's loss is the mean cross-entropy per example"""
    import torch
    X, y = blobs(np.random.default_rng(36), 30, [[0, 2], [2, 0], [-2, -2]])
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)
    torch.manual_seed(7)
    model = torch.nn.Linear(2, 3)
    with torch.no_grad():
        expected = float(torch.nn.functional.cross_entropy(model(Xt), yt))
    losses = m.train_torch(model, Xt, yt, 2, 0.0, 15, 0)  # lr = 0: the model stays as it is
    losses = expect_shape([float(v) for v in losses], (2,), "train_torch(..., epochs=2)")
    expect_close(losses, [expected, expected], "the losses of train_torch with lr = 0 (90 examples, batches of 15)",
                 rtol=1e-4, hint="report the mean loss per example over the epoch, not the sum of the batch losses")


@check("torch_models", "train_torch")
def train_torch_momentum_is_sgds(m):
    """train_torch: momentum=0.9 is SGD's momentum (each step adds the whole gradient to the velocity)"""
    import torch
    X, y = blobs(np.random.default_rng(37), 20, [[0, 2], [2, 0], [-2, -2]])
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)
    epochs, lr, momentum = 6, 1e-3, 0.9

    def moved(**options):
        torch.manual_seed(5)
        model = torch.nn.Linear(2, 3)
        before = torch.nn.utils.parameters_to_vector(model.parameters()).detach().numpy().astype(float)
        m.train_torch(model, Xt, yt, epochs, lr, len(X), 0, **options)
        after = torch.nn.utils.parameters_to_vector(model.parameters()).detach().numpy().astype(float)
        return after - before
    plain, with_momentum = moved(), moved(momentum=momentum)
    require(np.linalg.norm(plain) > 0, "train_torch did not change the model's parameters: call optimizer.step() "
            "on an optimizer built from model.parameters()")
    # One full batch per epoch and a tiny lr: the gradient g barely changes, so plain SGD moves by
    # epochs * lr * g and SGD with momentum (velocity = momentum * velocity + g) by sum_t (1 - momentum^t)
    # / (1 - momentum) * lr * g.
    factor = sum((1 - momentum ** t) / (1 - momentum) for t in range(1, epochs + 1)) / epochs
    ratio = float(np.dot(with_momentum, plain) / np.dot(plain, plain))
    hint = ("momentum changes nothing here: either the option does not reach the optimizer, or the velocity is "
            "an exponential average (dampening = momentum); SGD's momentum adds the whole gradient: "
            "torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)" if abs(ratio - 1) < 0.1 else
            "pass the options on to the optimizer unchanged (no dampening, no (1 - momentum) * grad)")
    expect_close(ratio, factor, f"how far {epochs} full-batch epochs with momentum={momentum} move the weights, "
                 "divided by how far they move without momentum (lr = 1e-3)", rtol=0.05, atol=0, hint=hint)


@check("torch_models", "TORCH_HYPERPARAMS")
def torch_hyperparams_complete(m):
    """TORCH_HYPERPARAMS: logreg, mlp and convnet, each with epochs, lr and batch_size"""
    problems = torch_hyperparams_problems(getattr(m, "TORCH_HYPERPARAMS", None), TRAIN_SUBSET)
    require(not problems, "\n".join(problems))
