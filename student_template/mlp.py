"""Part 3 -- a one-hidden-layer MLP with ReLU, softmax and elastic net, by hand.

params is a dict: W1 (dh, d), b1 (dh,), W2 (m, dh), b2 (m,).
reg = (l11, l12, l21, l22) adds the penalty
    l11 ||W1||_1 + l12 ||W1||_2^2 + l21 ||W2||_1 + l22 ||W2||_2^2
(biases are not penalised; ||.||_2^2 is the sum of squared entries).
Only numpy and the standard library; your other files can be imported as
below.
"""
import numpy as np

from calculus import cross_entropy, onehot, relu, relu_prime, sign, softmax

# The keyword arguments of train_mlp you chose for Fashion-MNIST (the grader
# calls train_mlp(X_train, y_train, **HYPERPARAMS, rng=...) under a time limit
# and needs a test error below 20%).  Replace every None.
HYPERPARAMS = dict(dh=None, lr=None, epochs=None, batch_size=None, reg=(0, 0, 0, 0))


def init_params(d, dh, m, rng):
    """Random initial parameters, as a dict:

    W1 (dh, d) uniform in [-1/sqrt(d), 1/sqrt(d)],
    W2 (m, dh) uniform in [-1/sqrt(dh), 1/sqrt(dh)]  (1/sqrt(fan-in)),
    b1 (dh,) and b2 (m,) zeros.  Draw with rng.uniform.
    """
    raise NotImplementedError("init_params")


def fprop(params, X):
    """Forward pass on X (n, d); returns a dict with

    ha = X W1^T + b1 (n, dh),  hs = relu(ha),
    oa = hs W2^T + b2 (n, m),  os = softmax(oa) (row-wise).
    """
    raise NotImplementedError("fprop")


def loss(params, X, y, reg=(0, 0, 0, 0)):
    """(1/n) sum_i -log os[i, y_i]  +  the elastic-net penalty; a float.

    Stable: compute -log os[i, y_i] from the logits oa (cross_entropy), not by
    taking the log of os, which can be 0.
    """
    raise NotImplementedError("loss")


def bprop(params, X, y, reg=(0, 0, 0, 0)):
    """Gradients of `loss` in matrix form -- no Python loop over examples.

    Returns a dict with keys 'W1', 'b1', 'W2', 'b2' (same shapes as params)
    and 'X' (n, d), the gradient with respect to the inputs.
    Derive each step of the chain rule, starting from
        d loss / d oa = (os - onehot(y)) / n          (why / n?)
    and going back through W2, relu, W1.  The penalty contributes
    l11 sign(W1) + 2 l12 W1 to W1's gradient (sign is 0 at 0), likewise for W2.
    """
    raise NotImplementedError("bprop")


def bprop_loop(params, X, y, reg=(0, 0, 0, 0)):
    """The same dict as bprop, computed by looping over the examples one at a
    time (accumulate each example's contribution; add the penalty gradient
    ONCE, not per example).  Use it to check your matrix version."""
    raise NotImplementedError("bprop_loop")


def finite_difference(f, params, eps=1e-5):
    """Numerical gradient of the scalar f(params) by central differences
    (one-sided differences with the given eps are accepted too).

    Returns a dict with the same keys and shapes as params, where for every
    entry j of params[key]:
        grad[key][j] = (f(params, entry + eps) - f(params, entry - eps)) / (2 eps).
    Perturb ONE entry at a time, in place (np.ndindex enumerates the entries).
    params must be exactly as it was afterwards: save the entry's value before
    perturbing and put that saved value back (adding and then subtracting eps
    does not give the same float back).  Must work for any dict of float arrays.
    """
    raise NotImplementedError("finite_difference")


def predict(params, X):
    """Predicted class per row (argmax of oa), shape (n,)."""
    raise NotImplementedError("predict")


def train_mlp(X, y, dh, lr, epochs, batch_size, reg=(0, 0, 0, 0), rng=None,
              X_valid=None, y_valid=None):
    """Mini-batch SGD on `loss`, from init_params(d, dh, m, rng).

    m = int(y.max()) + 1 classes; rng=None means np.random.default_rng().
    Each epoch: shuffle with rng.permutation(n), then one step
    params <- params - lr * bprop(...) per batch of batch_size examples.
    Returns (params, history) where history is a dict of lists with one entry
    per epoch, measured after the epoch:
      'train_loss' (loss on the whole training set, penalty included),
      'train_error' (fraction misclassified), and, when X_valid is given,
      'valid_loss', 'valid_error'.
    MEMORY: X may be 20,000+ Fashion-MNIST images as float32 (n, 784).  Do NOT
    copy the whole X to float64 (the grader's container has 768 MB): convert
    one mini-batch at a time, and compute the per-epoch loss/error in chunks
    of e.g. 2000 rows.
    """
    raise NotImplementedError("train_mlp")
