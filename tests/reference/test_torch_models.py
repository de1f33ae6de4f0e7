"""reference/torch_models.py: autograd descent, numpy dropout, the models, train_torch,
and the student template's agreement with it."""
import ast
import inspect

import numpy as np
import pytest
import torch
from torch import nn

from .helpers import REFERENCE_DIR, TEMPLATE_DIR, top_imports, load, run_isolated, strict

tm = load("torch_models")

CONTRACT = ["autograd_descent", "dropout", "LogisticRegression", "MLP", "ConvNetDropout",
            "train_torch", "TORCH_HYPERPARAMS"]


# ---------------------------------------------------------------- autograd_descent

def numpy_descent(x, target, lr, n_steps):
    """The same descent with the gradient by hand: d/dw (t - x.w)^2 = -2 (t - x.w) x."""
    w = np.zeros_like(x)
    for _ in range(n_steps):
        w = w + lr * 2 * (target - x @ w) * x
    return w


def test_autograd_descent_converges_to_the_contract_example():
    x = np.ones(5)
    w = np.asarray(tm.autograd_descent(x, 1.0, 0.05, 200), dtype=np.float64)
    assert w.shape == (5,)
    np.testing.assert_allclose(w, 0.2, atol=1e-8)
    np.testing.assert_allclose(w, numpy_descent(x, 1.0, 0.05, 200), rtol=1e-12)
    np.testing.assert_array_equal(x, np.ones(5))  # input untouched


@pytest.mark.parametrize("n_steps", [0, 1, 3, 25])
def test_autograd_descent_equals_hand_gradient_descent(n_steps):
    rng = np.random.default_rng(5)
    x = rng.normal(size=7)
    lr = 0.5 / (2 * x @ x)  # converging step
    w = tm.autograd_descent(x, 1.7, lr, n_steps)
    assert isinstance(w, np.ndarray) and w.dtype == np.float64 and w.shape == (7,)
    np.testing.assert_allclose(w, numpy_descent(x, 1.7, lr, n_steps), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- dropout

def test_dropout_statistics():
    rng = np.random.default_rng(0)
    x = rng.uniform(1.0, 2.0, size=(400, 500))
    copy = x.copy()
    for p in (0.1, 0.5, 0.8):
        with strict():
            out = tm.dropout(x, p, True, np.random.default_rng(1))
        assert out.shape == x.shape
        zeroed = out == 0
        assert abs(zeroed.mean() - p) < 0.005, p
        np.testing.assert_allclose(out[~zeroed], x[~zeroed] / (1 - p), rtol=1e-12)
        assert abs(out.mean() / x.mean() - 1) < 0.01, p  # inverted: expectation kept
    np.testing.assert_array_equal(x, copy)


def test_dropout_uses_the_rng_and_is_identity_when_not_training():
    x = np.arange(1.0, 101.0).reshape(10, 10)
    a = tm.dropout(x, 0.5, True, np.random.default_rng(3))
    b = tm.dropout(x, 0.5, True, np.random.default_rng(3))
    c = tm.dropout(x, 0.5, True, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(tm.dropout(x, 0.5, False, np.random.default_rng(3)), x)
    np.testing.assert_array_equal(tm.dropout(x, 0.0, True, np.random.default_rng(3)), x)
    with strict():
        np.testing.assert_array_equal(tm.dropout(x, 1.0, True, np.random.default_rng(3)), 0.0)


# ---------------------------------------------------------------- models

def test_model_output_shapes():
    torch.manual_seed(0)
    x = torch.rand(6, 784)
    assert tm.LogisticRegression(784, 10)(x).shape == (6, 10)
    assert tm.LogisticRegression(3, 4)(torch.rand(5, 3)).shape == (5, 4)
    assert tm.MLP(784, [32, 16], 10)(x).shape == (6, 10)
    assert tm.MLP(784, [], 10)(x).shape == (6, 10)
    assert tm.MLP(2, [8], 3, dropout=0.5)(torch.rand(4, 2)).shape == (4, 3)
    out = tm.ConvNetDropout()(torch.rand(6, 1, 28, 28))
    assert out.shape == (6, 10) and out.dtype == torch.float32
    assert tm.ConvNetDropout(p=0.3)(torch.rand(1, 1, 28, 28)).shape == (1, 10)


def test_mlp_layers_and_dropout_placement():
    model = tm.MLP(5, [4, 3], 2, dropout=0.25)
    layers = [m for m in model.modules() if not list(m.children())]
    kinds = [type(m).__name__ for m in layers]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert [(m.in_features, m.out_features) for m in layers if isinstance(m, nn.Linear)] == \
        [(5, 4), (4, 3), (3, 2)]
    assert all(m.p == 0.25 for m in layers if isinstance(m, nn.Dropout))
    assert not any(isinstance(m, nn.Dropout) for m in tm.MLP(5, [4], 2).modules())


@pytest.mark.parametrize("make, x", [
    (lambda: tm.MLP(20, [64], 3, dropout=0.5), torch.rand(8, 20)),
    (lambda: tm.ConvNetDropout(p=0.5), torch.rand(4, 1, 28, 28)),
])
def test_dropout_active_in_train_mode_only(make, x):
    torch.manual_seed(0)
    model = make()
    model.train()
    with torch.no_grad():
        assert not torch.equal(model(x), model(x))
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))


def test_mlp_without_dropout_is_deterministic_in_train_mode():
    model = tm.MLP(20, [16], 3)
    x = torch.rand(8, 20)
    assert torch.equal(model(x), model(x))


def test_convnet_has_a_conv_and_a_dropout_and_is_small():
    model = tm.ConvNetDropout(p=0.4)
    assert any(isinstance(m, nn.Conv2d) for m in model.modules())
    drops = [m for m in model.modules() if isinstance(m, (nn.Dropout, nn.Dropout2d))]
    assert drops and all(m.p == 0.4 for m in drops)
    assert sum(p.numel() for p in model.parameters()) < 100_000
    assert all(m.p == 0.5 for m in tm.ConvNetDropout().modules() if isinstance(m, nn.Dropout))


# ---------------------------------------------------------------- train_torch

def blobs(n=300, d=6, m=3, seed=0):
    """A separable-ish synthetic problem as float32/int64 tensors."""
    g = torch.Generator().manual_seed(seed)
    centers = 3 * torch.randn(m, d, generator=g)
    y = torch.randint(0, m, (n,), generator=g)
    X = centers[y] + torch.randn(n, d, generator=g)
    return X.float(), y.long()


def trained(seed, make=lambda: tm.MLP(6, [16], 3, dropout=0.3), **options):
    X, y = blobs()
    torch.manual_seed(123)  # same initial weights
    model = make()
    losses = tm.train_torch(model, X, y, 5, 0.05, 32, seed, **options)
    return model, losses


def test_train_torch_returns_one_mean_loss_per_epoch_and_decreases():
    model, losses = trained(0)
    assert isinstance(losses, list) and len(losses) == 5
    assert all(isinstance(v, float) and np.isfinite(v) for v in losses)
    assert losses[-1] < 0.5 * losses[0]
    X, y = blobs()
    model.eval()
    with torch.no_grad():
        assert (model(X).argmax(1) == y).float().mean() > 0.9


def test_train_torch_first_epoch_loss_is_the_mean_of_batch_losses():
    # one epoch, batch = whole set, lr 0: the loss is exactly the initial mean cross-entropy
    X, y = blobs(n=50)
    torch.manual_seed(0)
    model = tm.LogisticRegression(6, 3)
    with torch.no_grad():
        expected = nn.functional.cross_entropy(model(X), y).item()
    assert tm.train_torch(model, X, y, 1, 0.0, 50, 0) == pytest.approx([expected], rel=1e-6)
    # uneven last batch: weighted by batch size
    assert tm.train_torch(model, X, y, 1, 0.0, 16, 0) == pytest.approx([expected], rel=1e-6)


def test_train_torch_is_deterministic_for_a_fixed_seed():
    m1, l1 = trained(7)
    m2, l2 = trained(7)
    m3, l3 = trained(8)
    assert l1 == l2
    for a, b in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(a, b)
    assert l1 != l3


@pytest.mark.parametrize("options", [
    {}, {"optimizer": "sgd", "momentum": 0.9}, {"weight_decay": 1e-3},
    {"optimizer": "adam"}, {"optimizer": "adam", "weight_decay": 1e-4},
    {"optimizer": "sgd", "momentum": 0.9, "nesterov": True},
])
def test_train_torch_options(options):
    lr = 0.01 if options.get("optimizer") == "adam" else 0.05
    X, y = blobs()
    torch.manual_seed(0)
    model = tm.MLP(6, [16], 3)
    losses = tm.train_torch(model, X, y, 4, lr, 32, 0, **options)
    assert losses[-1] < losses[0]


def test_train_torch_rejects_unknown_options():
    X, y = blobs(n=20)
    with pytest.raises(ValueError):
        tm.train_torch(tm.LogisticRegression(6, 3), X, y, 1, 0.1, 8, 0, optimizer="lbfgs")
    with pytest.raises(TypeError):
        tm.train_torch(tm.LogisticRegression(6, 3), X, y, 1, 0.1, 8, 0, momentun=0.9)


def test_train_torch_trains_the_convnet():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(64, 1, 28, 28, generator=g)
    y = (X[:, 0, :14].mean(dim=(1, 2)) > X[:, 0, 14:].mean(dim=(1, 2))).long()
    torch.manual_seed(0)
    model = tm.ConvNetDropout(p=0.2)
    losses = tm.train_torch(model, X, y, 6, 3e-3, 16, 0, optimizer="adam")
    assert len(losses) == 6 and losses[-1] < losses[0]


def test_torch_hyperparams_shape():
    hp = tm.TORCH_HYPERPARAMS
    assert set(hp) == {"logreg", "mlp", "convnet"}
    for key, cfg in hp.items():
        assert {"epochs", "lr", "batch_size"} <= set(cfg), key
        assert isinstance(cfg["epochs"], int) and isinstance(cfg["batch_size"], int)
        assert cfg["lr"] > 0 and isinstance(cfg.get("options", {}), dict)
    assert all(isinstance(h, int) for h in hp["mlp"]["hidden"])
    assert 0 <= hp["mlp"]["dropout"] < 1 and 0 < hp["convnet"]["p"] < 1
    # the grader's way of building and training: constructors accept these, options are valid
    X, y = blobs(n=8, d=784, m=10)
    models = {"logreg": tm.LogisticRegression(784, 10),
              "mlp": tm.MLP(784, hp["mlp"]["hidden"], 10, dropout=hp["mlp"]["dropout"]),
              "convnet": tm.ConvNetDropout(p=hp["convnet"]["p"])}
    for key, model in models.items():
        Xk = X.reshape(-1, 1, 28, 28) if key == "convnet" else X
        tm.train_torch(model, Xk, y, 1, hp[key]["lr"], 4, 0, **hp[key].get("options", {}))


# ---------------------------------------------------------------- files

def test_reference_docstrings():
    for name in CONTRACT[:-1]:
        obj = getattr(tm, name)
        assert inspect.getdoc(obj), name


IMPORTS_CODE = """
import importlib, inspect, torch
mod = importlib.import_module('torch_models')
out = {}
for name in %r:
    obj = getattr(mod, name)
    if inspect.isclass(obj):
        out[name] = [str(inspect.signature(obj.__init__)), issubclass(obj, torch.nn.Module)]
    elif callable(obj):
        out[name] = [str(inspect.signature(obj)), None]
    else:
        out[name] = [sorted((k, sorted(v)) for k, v in obj.items()), None]
print(json.dumps(out))
"""


def test_loose_file_import_and_template_signatures():
    """Both files import as a loose top-level `torch_models` (as the grader imports a
    submission) with the same public names, signatures and hyper-parameter keys."""
    ref = run_isolated(REFERENCE_DIR, IMPORTS_CODE % CONTRACT)
    tpl = run_isolated(TEMPLATE_DIR, IMPORTS_CODE % CONTRACT)
    assert ref == tpl
    for name in ("LogisticRegression", "MLP", "ConvNetDropout"):
        assert ref[name][1] is True


def test_template_bodies_raise_and_only_allowed_imports():
    path = TEMPLATE_DIR / "torch_models.py"
    tree = ast.parse(path.read_text())
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert {f.name for f in functions} >= {"autograd_descent", "dropout", "train_torch",
                                           "__init__", "forward"}
    for f in functions:
        assert ast.get_docstring(f) or f.name == "__init__", f.name
        assert isinstance(f.body[-1], ast.Raise) and "NotImplementedError" in ast.unparse(f.body[-1]), f.name
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        assert ast.get_docstring(cls), cls.name
    for directory in (REFERENCE_DIR, TEMPLATE_DIR):
        assert top_imports(directory / "torch_models.py") <= {"numpy", "torch"}, directory
