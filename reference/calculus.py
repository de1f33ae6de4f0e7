"""Elementwise functions, their derivatives, softmax and logistic losses.

All functions take array-likes, compute in float64 and return new arrays.
"Stable" functions give no overflow/invalid warnings and no nan/inf for
finite inputs up to |x| = 1e4 (underflow to 0 is fine).
"""
import numpy as np


def sigmoid(x):
    """Logistic function, elementwise, stable.

    sigma(x) = 1 / (1 + e^-x).  With e = exp(-|x|) <= 1 (never overflows):
    sigma(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0.
    """
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(x):
    """Derivative of the sigmoid: sigma'(x) = sigma(x) (1 - sigma(x)).

    Uses 1 - sigma(x) = sigma(-x), which keeps precision for large |x|.
    """
    return sigmoid(x) * sigmoid(-np.asarray(x, dtype=float))


def tanh_prime(x):
    """Derivative of tanh: tanh'(x) = 1 - tanh(x)^2."""
    return 1.0 - np.tanh(np.asarray(x, dtype=float)) ** 2


def softplus(x):
    """softplus(x) = ln(1 + e^x), stable: computed as logaddexp(0, x)."""
    return np.logaddexp(0.0, np.asarray(x, dtype=float))


def softplus_prime(x):
    """Derivative of softplus: d/dx ln(1 + e^x) = e^x / (1 + e^x) = sigma(x)."""
    return sigmoid(x)


def sign(x):
    """Sign of x as float: -1.0, 0.0 or +1.0."""
    return np.sign(np.asarray(x, dtype=float))


def abs_prime(x):
    """(Sub)gradient of |x|: sign(x), taking 0 at x = 0."""
    return sign(x)


def relu(x):
    """Rectified linear unit: max(0, x), elementwise."""
    return np.maximum(0.0, np.asarray(x, dtype=float))


def relu_prime(x):
    """Derivative of relu: 1 where x > 0, else 0 (0 at x = 0)."""
    return (np.asarray(x, dtype=float) > 0).astype(float)


def l2_squared_grad(x):
    """Gradient of ||x||_2^2 = sum x_i^2, i.e. 2x (same shape as x)."""
    return 2.0 * np.asarray(x, dtype=float)


def l1_grad(x):
    """(Sub)gradient of ||x||_1 = sum |x_i|, i.e. sign(x) (0 at 0)."""
    return sign(x)


def onehot(y, m):
    """One-hot encoding.

    y: (n,) integer labels in 0..m-1  ->  Y: (n, m) float, Y[i, y_i] = 1.
    """
    y = np.asarray(y).astype(int)
    Y = np.zeros((y.shape[0], m))
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y


def softmax(z):
    """Softmax over the last axis of any-shaped z, stable.

    s_k = e^{z_k} / sum_j e^{z_j}.  Subtracting max_j z_j first changes
    nothing (softmax is shift invariant) and keeps every exponent <= 0.
    """
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z):
    """Log of the softmax over the last axis, stable.

    log s_k = z_k - log sum_j e^{z_j} = (z_k - c) - log sum_j e^{z_j - c},
    with c = max_j z_j.
    """
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_jacobian(z):
    """Jacobian of the softmax: J[j, k] = ds_j / dz_k = s_j (delta_jk - s_k).

    z: (K,) -> (K, K);  z: (n, K) -> (n, K, K), one Jacobian per row.
    """
    s = softmax(z)
    K = s.shape[-1]
    return s[..., :, None] * (np.eye(K) - s[..., None, :])


def binary_logistic_loss(z, y):
    """Binary logistic loss, elementwise, stable.

    L(z, y) = -[y ln sigma(z) + (1 - y) ln(1 - sigma(z))]
            = y softplus(-z) + (1 - y) softplus(z),
    since -ln sigma(z) = ln(1 + e^-z) and -ln(1 - sigma(z)) = ln(1 + e^z).
    z, y: same shape (y in {0, 1}).
    """
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    return y * softplus(-z) + (1.0 - y) * softplus(z)


def binary_logistic_loss_grad(z, y):
    """dL/dz of the binary logistic loss: sigma(z) - y, elementwise."""
    return sigmoid(z) - np.asarray(y, dtype=float)


def binary_logistic_loss_hess(z):
    """d^2L/dz^2 of the binary logistic loss: sigma(z)(1 - sigma(z))."""
    return sigmoid_prime(z)


def cross_entropy(z, y):
    """Per-example cross-entropy of logits, stable.

    z: (n, K) logits, y: (n,) labels  ->  (n,) with
    loss_i = -log softmax(z_i)[y_i] = log sum_k e^{z_ik} - z_{i y_i}.
    """
    y = np.asarray(y).astype(int)
    return -log_softmax(z)[np.arange(y.shape[0]), y]


def cross_entropy_grad(z, y):
    """Gradient of each example's cross-entropy w.r.t. its logits.

    z: (n, K), y: (n,) -> (n, K) = softmax(z) - onehot(y)  (not averaged).
    """
    s = softmax(z)
    return s - onehot(y, s.shape[-1])


def cross_entropy_hessian(z):
    """Per-example Hessian of the cross-entropy w.r.t. the logits.

    The gradient is s - onehot(y), so the Hessian is the softmax Jacobian
    H[j, k] = s_j (delta_jk - s_k), whatever the label.
    z: (K,) -> (K, K);  z: (n, K) -> (n, K, K).
    """
    return softmax_jacobian(z)
