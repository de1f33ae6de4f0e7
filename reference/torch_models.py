"""Part 5 (reference solution): autograd, dropout and PyTorch models.

Contract (see assignment-api.md, section 5):

    autograd_descent(x, target, lr, n_steps)   gradient descent via loss.backward()
    dropout(x, p, training, rng)               inverted dropout in NumPy
    LogisticRegression(d, m)                   (n, d) -> (n, m) logits
    MLP(d, hidden, m, dropout=0.0)             ReLU MLP, dropout after each hidden layer
    ConvNetDropout(p=0.5)                      (n, 1, 28, 28) -> (n, 10) logits
    train_torch(model, X, y, epochs, lr, batch_size, seed, **options)
    TORCH_HYPERPARAMS                          the choices for Fashion-MNIST

This file imports only numpy, torch and the standard library, so it works both
as ``reference.torch_models`` and as a loose ``torch_models.py``.
"""

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

__all__ = [
    "autograd_descent",
    "dropout",
    "LogisticRegression",
    "MLP",
    "ConvNetDropout",
    "train_torch",
    "TORCH_HYPERPARAMS",
]


# ---------------------------------------------------------------------------
# Autograd
# ---------------------------------------------------------------------------

def autograd_descent(x, target, lr, n_steps):
    """Minimise (target − xᵀw)² over w by gradient descent, gradients from autograd.

    Parameters
    ----------
    x : 1-D float64 array, shape (d,)
    target : float
    lr : float, the step size
    n_steps : int, the number of steps

    Returns
    -------
    w : float64 numpy array, shape (d,), after ``n_steps`` steps
        w ← w − lr ∇_w (target − xᵀw)² starting from w = 0.
        Autograd computes ∇_w = −2 (target − xᵀw) x.

    With x = (1, …, 1) ∈ ℝ⁵ and target 1 (and lr < 0.2), w → 0.2 in every entry.
    """
    x = torch.as_tensor(np.asarray(x, dtype=np.float64))
    w = torch.zeros_like(x, requires_grad=True)
    for _ in range(n_steps):
        loss = (target - x @ w) ** 2
        loss.backward()              # fills w.grad with d loss / d w
        with torch.no_grad():        # the update itself is not part of the graph
            w -= lr * w.grad
        w.grad.zero_()               # .backward() accumulates: reset before the next step
    return w.detach().numpy().copy()


# ---------------------------------------------------------------------------
# Dropout in NumPy
# ---------------------------------------------------------------------------

def dropout(x, p, training, rng):
    """Inverted dropout.

    Parameters
    ----------
    x : array of any shape
    p : float in [0, 1], the probability of zeroing each entry
    training : bool; when False, ``x`` is returned unchanged
    rng : numpy.random.Generator, the source of the mask

    Returns
    -------
    array of the shape of ``x``: x ⊙ mask / (1 − p) with mask entries
    independent Bernoulli(1 − p). The 1/(1 − p) scaling keeps E[output] = x, so
    nothing needs rescaling at test time. ``p = 1`` gives zeros. ``x`` itself
    is not modified.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    x = np.asarray(x)
    if p == 1.0:
        return np.zeros_like(x, dtype=np.result_type(x, np.float64))
    keep = rng.random(x.shape) >= p       # True with probability 1 − p
    return x * keep / (1.0 - p)


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

class LogisticRegression(nn.Module):
    """Multinomial logistic (softmax) regression: logits = x Wᵀ + b.

    ``forward(x)``: float32 ``(n, d)`` → logits ``(n, m)`` (the softmax is in
    the loss, ``F.cross_entropy``). Inputs with more dimensions, such as
    ``(n, 1, 28, 28)``, are flattened to ``(n, d)`` first.
    """

    def __init__(self, d, m):
        super().__init__()
        self.linear = nn.Linear(d, m)

    def forward(self, x):
        return self.linear(x.reshape(x.shape[0], -1))


class MLP(nn.Module):
    """Multilayer perceptron: [Linear → ReLU → Dropout(p)] per hidden layer, then Linear.

    Parameters
    ----------
    d : int, input size
    hidden : sequence of ints, the hidden layer sizes (may be empty)
    m : int, number of classes
    dropout : float, dropout probability after each hidden layer (none when 0)

    ``forward(x)``: float32 ``(n, d)`` → logits ``(n, m)``. Dropout is active
    in ``model.train()`` mode and the identity in ``model.eval()`` mode.
    """

    def __init__(self, d, hidden, m, dropout=0.0):
        super().__init__()
        layers = []
        fan_in = d
        for h in hidden:
            layers.append(nn.Linear(fan_in, h))
            layers.append(nn.ReLU())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            fan_in = h
        layers.append(nn.Linear(fan_in, m))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x.reshape(x.shape[0], -1))


class ConvNetDropout(nn.Module):
    """A small convolutional network for 28×28 grey images, with dropout.

    Shapes, for input ``(n, 1, 28, 28)``::

        Conv2d(1, 16, 5, padding=2) + ReLU   → (n, 16, 28, 28)
        MaxPool2d(2)                         → (n, 16, 14, 14)
        Conv2d(16, 32, 3, padding=1) + ReLU  → (n, 32, 14, 14)
        MaxPool2d(2)                         → (n, 32, 7, 7)
        flatten, Dropout(p)                  → (n, 1568)
        Linear(1568, 10)                     → (n, 10) logits

    Small on purpose: an epoch over 20,000 images takes a few seconds on one
    CPU core. Dropout is active only in ``train()`` mode.
    """

    def __init__(self, p=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.dropout = nn.Dropout(p)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout(torch.flatten(x, 1))
        return self.fc(x)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------

_SGD_OPTIONS = {"momentum", "weight_decay", "nesterov", "dampening"}
_ADAM_OPTIONS = {"weight_decay", "betas", "eps", "amsgrad"}


def _make_optimizer(params, lr, options):
    """``torch.optim.SGD`` or ``Adam`` built from ``options`` (see ``train_torch``)."""
    options = dict(options)
    name = str(options.pop("optimizer", "sgd")).lower()
    allowed = {"sgd": _SGD_OPTIONS, "adam": _ADAM_OPTIONS}.get(name)
    if allowed is None:
        raise ValueError(f"unknown optimizer {name!r}: use 'sgd' or 'adam'")
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"unknown option(s) for {name}: {sorted(unknown)}")
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, **options)
    return torch.optim.Adam(params, lr=lr, **options)


def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    """Train ``model`` in place with mini-batch gradient descent on the cross-entropy.

    Parameters
    ----------
    model : torch.nn.Module mapping a batch of ``X`` to logits ``(b, m)``
    X : float32 tensor ``(n, ...)`` (e.g. ``(n, d)`` or ``(n, 1, 28, 28)``)
    y : int64 tensor ``(n,)``, classes in 0..m-1
    epochs, lr, batch_size : ints / float
    seed : int. A ``torch.Generator`` seeded with it shuffles the examples
        (a new permutation every epoch), and ``torch.manual_seed(seed)`` seeds
        the dropout masks, so a fixed seed gives a fixed result.
    **options :
        optimizer : 'sgd' (default) or 'adam'
        momentum, nesterov, dampening : for SGD
        weight_decay : L2 penalty coefficient, both optimizers
        betas, eps, amsgrad : for Adam

    Returns
    -------
    list of ``epochs`` floats: the mean cross-entropy over the training
    examples seen in each epoch (each measured on its batch, before that
    batch's update, with the model in ``train()`` mode).

    The model is left in ``train()`` mode; call ``model.eval()`` before testing.
    """
    X = torch.as_tensor(X)
    y = torch.as_tensor(y, dtype=torch.int64)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} examples but y has {len(y)}")
    n = len(X)
    torch.manual_seed(seed)                    # dropout masks
    shuffler = torch.Generator().manual_seed(seed)
    optimizer = _make_optimizer(model.parameters(), lr, options)
    model.train()
    losses = []
    for _ in range(epochs):
        order = torch.randperm(n, generator=shuffler)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])   # mean over the batch
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / n)
    return losses


# ---------------------------------------------------------------------------
# Hyper-parameters for Fashion-MNIST (calibrated with bench/train_bench.py:
# 20,000 training images, one CPU core)
# ---------------------------------------------------------------------------

TORCH_HYPERPARAMS = dict(
    logreg=dict(epochs=8, lr=0.05, batch_size=32, options={}),
    mlp=dict(epochs=6, lr=1e-3, batch_size=64, hidden=[256], dropout=0.2,
             options={"optimizer": "adam"}),
    convnet=dict(epochs=4, lr=3e-3, batch_size=64, p=0.3,
                 options={"optimizer": "adam"}),
)
