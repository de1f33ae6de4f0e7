"""Part 1 -- elementwise functions, softmax and logistic losses.

Implement every function below with NumPy only (no loops needed anywhere).
Conventions for the whole homework:
  * accept array-likes (start with `x = np.asarray(x, dtype=float)`), compute
    in float64 and return NEW arrays -- never modify an input;
  * "stable" means: no overflow / divide-by-zero / invalid-value warning and
    no nan or inf in the result for finite inputs up to |x| = 1e4 (underflow
    to 0 is fine).  Test yourself with
        with np.errstate(over='raise', divide='raise', invalid='raise'): ...
"""
import numpy as np


def sigmoid(x):
    """Logistic function sigma(x) = 1 / (1 + e^-x), elementwise, stable.

    Shape: same as x.
    Hint: np.exp(-x) overflows for x = -1e4.  With e = np.exp(-np.abs(x))
    (always <= 1) write sigma(x) for x >= 0 and for x < 0 in terms of e, and
    pick the right one with np.where.
    """
    raise NotImplementedError("sigmoid")


def sigmoid_prime(x):
    """Derivative of the sigmoid: sigma'(x) = sigma(x) (1 - sigma(x)).

    Derive it yourself.  (1 - sigma(x) = sigma(-x) keeps precision.)
    """
    raise NotImplementedError("sigmoid_prime")


def tanh_prime(x):
    """Derivative of tanh: 1 - tanh(x)^2, elementwise."""
    raise NotImplementedError("tanh_prime")


def softplus(x):
    """softplus(x) = ln(1 + e^x), elementwise, stable.

    softplus(1e4) must be exactly 1e4.  Hint: ln(1 + e^x) = ln(e^0 + e^x);
    look at np.logaddexp.
    """
    raise NotImplementedError("softplus")


def softplus_prime(x):
    """Derivative of softplus.  Derive it: it is a function you already wrote."""
    raise NotImplementedError("softplus_prime")


def sign(x):
    """Sign of x as FLOAT: -1.0, 0.0 or +1.0, elementwise."""
    raise NotImplementedError("sign")


def abs_prime(x):
    """(Sub)gradient of |x|: sign(x), with the value 0 at x = 0."""
    raise NotImplementedError("abs_prime")


def relu(x):
    """Rectified linear unit max(0, x), elementwise (float)."""
    raise NotImplementedError("relu")


def relu_prime(x):
    """Derivative of relu: 1.0 where x > 0, else 0.0 (we take 0 at x = 0)."""
    raise NotImplementedError("relu_prime")


def l2_squared_grad(x):
    """Gradient of ||x||_2^2 = sum_i x_i^2 w.r.t. x (same shape as x): 2x."""
    raise NotImplementedError("l2_squared_grad")


def l1_grad(x):
    """(Sub)gradient of ||x||_1 = sum_i |x_i| w.r.t. x: sign(x) (0 at 0)."""
    raise NotImplementedError("l1_grad")


def onehot(y, m):
    """One-hot encoding: y (n,) integer labels in 0..m-1 -> (n, m) float array
    with a 1 at [i, y_i] and 0 elsewhere."""
    raise NotImplementedError("onehot")


def softmax(z):
    """Softmax over the LAST axis of an array z of any shape, stable.

    s_k = e^{z_k} / sum_j e^{z_j}.  Same shape as z; each slice along the
    last axis sums to 1.
    Hint (max-subtraction trick): softmax(z) = softmax(z - c) for any constant
    c; choose c = max_j z_j (np.max(..., axis=-1, keepdims=True)) so that
    every exponent is <= 0 and nothing overflows.
    """
    raise NotImplementedError("softmax")


def log_softmax(z):
    """log(softmax(z)) over the last axis, stable.

    Do NOT take np.log of softmax(z) (it can be log(0) = -inf).  Derive
    log s_k = (z_k - c) - log sum_j e^{z_j - c} with c = max_j z_j.
    """
    raise NotImplementedError("log_softmax")


def softmax_jacobian(z):
    """Jacobian of the softmax: J[j, k] = d s_j / d z_k = s_j (delta_jk - s_k).

    z of shape (K,) -> (K, K);  z of shape (n, K) -> (n, K, K), one Jacobian
    per row.  Derive the formula; np.eye and broadcasting (s[..., :, None])
    avoid any loop.
    """
    raise NotImplementedError("softmax_jacobian")


def binary_logistic_loss(z, y):
    """Binary logistic loss, elementwise, stable:

        L(z, y) = -[y ln sigma(z) + (1 - y) ln(1 - sigma(z))],  y in {0, 1}.

    Hint: show that -ln sigma(z) = softplus(-z) and -ln(1 - sigma(z)) = softplus(z).
    """
    raise NotImplementedError("binary_logistic_loss")


def binary_logistic_loss_grad(z, y):
    """dL/dz of the binary logistic loss (derive it: it is sigma(z) - y)."""
    raise NotImplementedError("binary_logistic_loss_grad")


def binary_logistic_loss_hess(z):
    """d^2 L / dz^2 of the binary logistic loss: sigma(z)(1 - sigma(z))."""
    raise NotImplementedError("binary_logistic_loss_hess")


def cross_entropy(z, y):
    """Per-example cross-entropy of logits, stable.

    z (n, K) logits, y (n,) integer labels -> (n,) with
        loss_i = -log softmax(z_i)[y_i].
    Hint: use log_softmax and pick one entry per row with
    [np.arange(n), y].
    """
    raise NotImplementedError("cross_entropy")


def cross_entropy_grad(z, y):
    """Gradient of each example's loss w.r.t. its logits, (n, K):
    softmax(z) - onehot(y)  (per example: NOT divided by n).  Derive it."""
    raise NotImplementedError("cross_entropy_grad")


def cross_entropy_hessian(z):
    """Per-example Hessian of the cross-entropy w.r.t. the logits.

    Differentiate the gradient above once more: the label disappears and the
    result has the same shape and value as softmax_jacobian(z).
    """
    raise NotImplementedError("cross_entropy_hessian")
