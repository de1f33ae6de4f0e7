"""Part 5 -- automatic differentiation, dropout and PyTorch models.

You may import only numpy, torch and the standard library here.

What the grader does with this file
-----------------------------------
* It calls autograd_descent and dropout on small inputs and compares with the
  expected numbers.
* It builds each model itself, with its own ``torch.manual_seed``:
      LogisticRegression(784, 10)
      MLP(784, hidden, 10, dropout=dropout)      (hidden, dropout from TORCH_HYPERPARAMS['mlp'])
      ConvNetDropout(p=p)                        (p from TORCH_HYPERPARAMS['convnet'], if given)
  checks the output shapes, and checks that dropout is active in
  ``model.train()`` mode (two forward passes differ) and inactive in
  ``model.eval()`` mode (two forward passes agree).
* It trains each model on Fashion-MNIST with YOUR train_torch:
      train_torch(model, X, y, epochs, lr, batch_size, seed, **options)
  with epochs/lr/batch_size/options from TORCH_HYPERPARAMS[...], X a float32
  tensor of 20,000 Fashion-MNIST training images of the grader's choosing,
  scaled to [0, 1] ((n, 784) rows with the pixels in a secret order, or
  (n, 1, 28, 28) for the conv net) and y an int64 tensor of labels (class
  numbers renamed), under a time and memory limit on one CPU core. Then it
  calls ``model.eval()`` and measures the accuracy on the 10,000 test images
  itself.
"""
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def autograd_descent(x, target, lr, n_steps):
    """Gradient descent on (target - x^T w)^2, with the gradient from autograd.

    x : 1-D float64 numpy array (d,);  target : float;  lr : float;  n_steps : int.
    Start from w = 0 (a float64 tensor of length d with requires_grad=True) and
    repeat n_steps times:
        loss = (target - x @ w) ** 2
        loss.backward()                      # fills w.grad
        w <- w - lr * w.grad                 # inside `with torch.no_grad():`
        reset w.grad to zero                 # .backward() ADDS to .grad
    Return w as a float64 numpy array (or tensor) of shape (d,).
    Check: x = (1, 1, 1, 1, 1), target 1, lr 0.05, 100 steps gives w close to 0.2 everywhere.
    """
    raise NotImplementedError("autograd_descent")


def dropout(x, p, training, rng):
    """Inverted dropout in NumPy.

    x : array of any shape;  p : probability of zeroing an entry;
    training : bool;  rng : numpy.random.Generator (draw the mask from it).
    When training, zero each entry independently with probability p and
    multiply the survivors by 1 / (1 - p), so that the expected output equals x
    and nothing has to change at test time. When not training, return x
    unchanged. Do not modify x itself.
    """
    raise NotImplementedError("dropout")


class LogisticRegression(nn.Module):
    """Multinomial logistic regression: one nn.Linear(d, m).

    forward(x): float32 (n, d) -> logits (n, m). Return logits (or
    log-probabilities, F.log_softmax of them), not probabilities:
    F.cross_entropy applies the (log-)softmax itself.
    """

    def __init__(self, d, m):
        super().__init__()
        raise NotImplementedError("LogisticRegression.__init__")

    def forward(self, x):
        """(n, d) -> (n, m) logits."""
        raise NotImplementedError("LogisticRegression.forward")


class MLP(nn.Module):
    """Multilayer perceptron with ReLU hidden layers of the sizes in `hidden`.

    d : input size;  hidden : sequence of hidden sizes, e.g. [256] or [256, 128];
    m : number of classes;  dropout : probability p of an nn.Dropout(p) after
    each hidden layer's ReLU (no dropout layers when 0).
    forward(x): float32 (n, d) -> logits (n, m).
    Hint: build a list of layers and wrap it in nn.Sequential. nn.Dropout is
    active only in model.train() mode, which is what the grader checks.
    """

    def __init__(self, d, hidden, m, dropout=0.0):
        super().__init__()
        raise NotImplementedError("MLP.__init__")

    def forward(self, x):
        """(n, d) -> (n, m) logits."""
        raise NotImplementedError("MLP.forward")


class ConvNetDropout(nn.Module):
    """A convolutional network for 28 x 28 grey images, with dropout p.

    At least one nn.Conv2d and at least one nn.Dropout or nn.Dropout2d.
    forward(x): float32 (n, 1, 28, 28) -> logits (n, 10).
    Keep it small: it is trained on one CPU core under a time limit. For
    instance two blocks of Conv2d + ReLU + MaxPool2d(2) (28 -> 14 -> 7), then
    flatten, dropout and a Linear layer to 10 classes, trains in seconds.
    Track the shapes: a Conv2d with kernel k and padding k // 2 keeps 28 x 28.
    """

    def __init__(self, p=0.5):
        super().__init__()
        raise NotImplementedError("ConvNetDropout.__init__")

    def forward(self, x):
        """(n, 1, 28, 28) -> (n, 10) logits."""
        raise NotImplementedError("ConvNetDropout.forward")


def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    """Train `model` in place by mini-batch gradient descent on the cross-entropy.

    X : float32 tensor (n, ...);  y : int64 tensor (n,);  seed : int.
    * Call torch.manual_seed(seed) (dropout masks) and shuffle with a
      torch.Generator seeded with `seed` (torch.randperm(n, generator=g)),
      a new permutation each epoch, so that a fixed seed gives a fixed result.
    * Put the model in training mode (model.train()).
    * Optimizer: torch.optim.SGD(model.parameters(), lr=lr) unless `options`
      say otherwise. Support at least options['momentum'] (SGD's momentum; the
      grader checks it); any other options are yours to define, e.g.
      options['optimizer'] = 'adam' or torch.optim.Adam.
    * For each batch: loss = F.cross_entropy(model(xb), yb); zero the
      gradients; loss.backward(); optimizer.step().
    Return a list of `epochs` floats: the mean training loss of each epoch
    (average over the examples of the batch losses).
    """
    raise NotImplementedError("train_torch")


# Your choices for Fashion-MNIST (see the module docstring for how they are
# used). Replace every None; `options` holds extra keyword arguments of
# train_torch, e.g. {"momentum": 0.9}, {"optimizer": "adam"} or
# {"optimizer": torch.optim.Adam}: any value your train_torch accepts.
TORCH_HYPERPARAMS = dict(
    logreg=dict(epochs=None, lr=None, batch_size=None, options={}),
    mlp=dict(epochs=None, lr=None, batch_size=None, hidden=[None], dropout=None, options={}),
    convnet=dict(epochs=None, lr=None, batch_size=None, p=None, options={}),
)
