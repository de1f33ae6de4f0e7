import numpy as np

from utils import as_float, logsumexp


def sigmoid(x):
    # sigma(x) = exp(-softplus(-x)): no overflow for any finite x
    return np.exp(-softplus(-as_float(x)))


def sigmoid_prime(x):
    x = as_float(x)
    return sigmoid(x) * sigmoid(-x)


def tanh_prime(x):
    t = np.tanh(as_float(x))
    return (1 - t) * (1 + t)


def softplus(x):
    return np.logaddexp(as_float(x), 0.0)


def softplus_prime(x):
    return sigmoid(x)


def sign(x):
    return np.sign(as_float(x))


def abs_prime(x):
    return sign(x)


def relu(x):
    x = as_float(x)
    x[x < 0] = 0.0
    return x


def relu_prime(x):
    return np.greater(as_float(x), 0).astype(np.float64)


def l2_squared_grad(x):
    return as_float(x) + as_float(x)


def l1_grad(x):
    return sign(x)


def onehot(y, m):
    y = np.asarray(y)
    out = np.zeros((y.size, m))
    out[np.arange(y.size), y] = 1
    return out


def log_softmax(z):
    return as_float(z) - logsumexp(z)


def softmax(z):
    z = as_float(z)
    z -= np.max(z, axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= np.sum(z, axis=-1, keepdims=True)
    return z


def softmax_jacobian(z):
    s = softmax(z)
    J = -s[..., :, None] * s[..., None, :]
    k = s.shape[-1]
    J[..., np.arange(k), np.arange(k)] += s
    return J


def binary_logistic_loss(z, y):
    z, y = as_float(z), as_float(y)
    # -log sigma(z) = softplus(-z); -log(1 - sigma(z)) = softplus(z)
    return np.where(y == 1, softplus(-z), softplus(z)) if np.all((y == 0) | (y == 1)) \
        else y * softplus(-z) + (1 - y) * softplus(z)


def binary_logistic_loss_grad(z, y):
    return sigmoid(z) - as_float(y)


def binary_logistic_loss_hess(z):
    return sigmoid_prime(z)


def cross_entropy(z, y):
    z = as_float(z)
    y = np.asarray(y).astype(int)
    return logsumexp(z)[:, 0] - z[np.arange(len(y)), y]


def cross_entropy_grad(z, y):
    g = softmax(z)
    g[np.arange(g.shape[0]), np.asarray(y).astype(int)] -= 1
    return g


def cross_entropy_hessian(z):
    return softmax_jacobian(z)
