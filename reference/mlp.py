"""A one-hidden-layer MLP (ReLU, softmax, elastic net) with hand-written backprop.

params: W1 (dh, d), b1 (dh,), W2 (m, dh), b2 (m,).
reg = (l11, l12, l21, l22): penalty l11 ||W1||_1 + l12 ||W1||_2^2
                                    + l21 ||W2||_1 + l22 ||W2||_2^2 (no bias penalty).
"""
import numpy as np

try:
    from .calculus import cross_entropy, onehot, relu, relu_prime, sign, softmax
except ImportError:
    from calculus import cross_entropy, onehot, relu, relu_prime, sign, softmax

# Hyperparameters for Fashion-MNIST (keyword arguments of train_mlp).
HYPERPARAMS = dict(dh=128, lr=0.05, epochs=10, batch_size=32, reg=(0, 0, 0, 0))

CHUNK = 2000  # rows per chunk when evaluating on a whole (float32) data set


def init_params(d, dh, m, rng):
    """Random initial parameters.

    W1 (dh, d) ~ U[-1/sqrt(d), 1/sqrt(d)],  W2 (m, dh) ~ U[-1/sqrt(dh), 1/sqrt(dh)]
    (bound 1/sqrt(fan-in) of the layer);  b1 (dh,) = 0,  b2 (m,) = 0.
    """
    a1, a2 = 1.0 / np.sqrt(d), 1.0 / np.sqrt(dh)
    return {
        "W1": rng.uniform(-a1, a1, size=(dh, d)),
        "b1": np.zeros(dh),
        "W2": rng.uniform(-a2, a2, size=(m, dh)),
        "b2": np.zeros(m),
    }


def fprop(params, X):
    """Forward pass.  X: (n, d) ->  dict with

    ha = X W1^T + b1  (n, dh),   hs = relu(ha),
    oa = hs W2^T + b2 (n, m),    os = softmax(oa)  (row-wise).
    """
    X = np.asarray(X, dtype=float)
    ha = X @ params["W1"].T + params["b1"]
    hs = relu(ha)
    oa = hs @ params["W2"].T + params["b2"]
    return {"ha": ha, "hs": hs, "oa": oa, "os": softmax(oa)}


def penalty(params, reg=(0, 0, 0, 0)):
    """Elastic-net penalty l11 |W1|_1 + l12 |W1|_2^2 + l21 |W2|_1 + l22 |W2|_2^2."""
    l11, l12, l21, l22 = reg
    W1, W2 = params["W1"], params["W2"]
    return float(l11 * np.abs(W1).sum() + l12 * (W1 ** 2).sum()
                 + l21 * np.abs(W2).sum() + l22 * (W2 ** 2).sum())


def penalty_grad(params, reg=(0, 0, 0, 0)):
    """Gradients of `penalty`: dW1 = l11 sign(W1) + 2 l12 W1, dW2 = l21 sign(W2) + 2 l22 W2."""
    l11, l12, l21, l22 = reg
    W1, W2 = params["W1"], params["W2"]
    return l11 * sign(W1) + 2 * l12 * W1, l21 * sign(W2) + 2 * l22 * W2


def loss(params, X, y, reg=(0, 0, 0, 0)):
    """Mean cross-entropy plus penalty:

    (1/n) sum_i -log os[i, y_i] + penalty(params, reg), a float.
    -log os[i, y_i] is computed from the logits oa (stable log-softmax).
    """
    oa = fprop(params, X)["oa"]
    return float(np.mean(cross_entropy(oa, y))) + penalty(params, reg)


def bprop(params, X, y, reg=(0, 0, 0, 0)):
    """Gradients of `loss` in matrix form (no loop over examples).

    With n examples:
      d_oa = (os - onehot(y)) / n            (n, m)
      dW2  = d_oa^T hs + penalty grad        (m, dh);   db2 = sum_i d_oa[i]   (m,)
      d_hs = d_oa W2                         (n, dh)
      d_ha = d_hs * relu'(ha)                (n, dh)
      dW1  = d_ha^T X + penalty grad         (dh, d);   db1 = sum_i d_ha[i]   (dh,)
      dX   = d_ha W1                         (n, d)
    Returns dict with keys W1, b1, W2, b2, X.
    """
    X = np.asarray(X, dtype=float)
    n, m = X.shape[0], params["W2"].shape[0]
    f = fprop(params, X)
    d_oa = (f["os"] - onehot(y, m)) / n
    d_ha = (d_oa @ params["W2"]) * relu_prime(f["ha"])
    pen_W1, pen_W2 = penalty_grad(params, reg)
    return {
        "W1": d_ha.T @ X + pen_W1,
        "b1": d_ha.sum(axis=0),
        "W2": d_oa.T @ f["hs"] + pen_W2,
        "b2": d_oa.sum(axis=0),
        "X": d_ha @ params["W1"],
    }


def bprop_loop(params, X, y, reg=(0, 0, 0, 0)):
    """Same gradients as `bprop`, computed one example at a time.

    For each example x (d,) with label y_i, its share of the mean loss has
      d_oa = (os - onehot(y_i)) / n,  dW2 += outer(d_oa, hs),  db2 += d_oa,
      d_ha = (W2^T d_oa) * relu'(ha), dW1 += outer(d_ha, x),   db1 += d_ha,
      dX[i] = W1^T d_ha.
    The penalty gradient is added once, after the loop.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).astype(int)
    n, m = X.shape[0], params["W2"].shape[0]
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    grads = {"W1": np.zeros_like(W1, dtype=float), "b1": np.zeros_like(b1, dtype=float),
             "W2": np.zeros_like(W2, dtype=float), "b2": np.zeros_like(b2, dtype=float),
             "X": np.zeros_like(X)}
    for i in range(n):
        x = X[i]
        ha = W1 @ x + b1
        hs = relu(ha)
        os = softmax(W2 @ hs + b2)
        d_oa = (os - onehot([y[i]], m)[0]) / n
        d_ha = (W2.T @ d_oa) * relu_prime(ha)
        grads["W2"] += np.outer(d_oa, hs)
        grads["b2"] += d_oa
        grads["W1"] += np.outer(d_ha, x)
        grads["b1"] += d_ha
        grads["X"][i] = W1.T @ d_ha
    pen_W1, pen_W2 = penalty_grad(params, reg)
    grads["W1"] += pen_W1
    grads["W2"] += pen_W2
    return grads


def finite_difference(f, params, eps=1e-5):
    """Numerical gradient of the scalar f(params) by central differences.

    For every key k and every entry j of params[k]:
      grad[k][j] = (f(params with entry + eps) - f(params with entry - eps)) / (2 eps).
    Entries are perturbed in place one at a time and each is restored to its
    saved value, so params is bit-for-bit unchanged afterwards.
    Returns a dict with the same keys and shapes as params.
    """
    grads = {}
    for key, value in params.items():
        grad = np.zeros(np.shape(value))
        for j in np.ndindex(*np.shape(value)):
            saved = value[j]
            try:
                value[j] = saved + eps
                f_plus = f(params)
                value[j] = saved - eps
                f_minus = f(params)
            finally:
                value[j] = saved  # the saved value, not (saved - eps) + eps
            grad[j] = (f_plus - f_minus) / (2 * eps)
        grads[key] = grad
    return grads


def predict(params, X):
    """Predicted class per row: argmax_k oa[i, k], shape (n,).

    Works in chunks of CHUNK rows so a large float32 X is never copied to float64.
    """
    X = np.asarray(X)
    out = [np.argmax(fprop(params, X[s:s + CHUNK])["oa"], axis=1)
           for s in range(0, X.shape[0], CHUNK)]
    return np.concatenate(out) if out else np.zeros(0, dtype=int)


def evaluate(params, X, y, reg=(0, 0, 0, 0)):
    """(loss, error rate) on a whole data set, in chunks of CHUNK rows.

    loss = (1/n) sum_i cross-entropy_i + penalty;  error = fraction misclassified.
    """
    X, y = np.asarray(X), np.asarray(y)
    total_ce, wrong = 0.0, 0
    for s in range(0, X.shape[0], CHUNK):
        oa = fprop(params, X[s:s + CHUNK])["oa"]
        total_ce += cross_entropy(oa, y[s:s + CHUNK]).sum()
        wrong += int(np.sum(np.argmax(oa, axis=1) != y[s:s + CHUNK]))
    n = X.shape[0]
    return total_ce / n + penalty(params, reg), wrong / n


def train_mlp(X, y, dh, lr, epochs, batch_size, reg=(0, 0, 0, 0), rng=None,
              X_valid=None, y_valid=None):
    """Mini-batch SGD on `loss` from init_params(d, dh, m, rng), m = max(y) + 1.

    Each epoch: order = rng.permutation(n); for each batch of batch_size
    examples, params <- params - lr * bprop(params, X_batch, y_batch, reg).
    X may be float32: only one mini-batch at a time is converted to float64.

    Returns (params, history); history has lists 'train_loss', 'train_error'
    (and 'valid_loss', 'valid_error' when X_valid is given), one entry per
    epoch, measured after the epoch (loss includes the penalty).
    """
    rng = np.random.default_rng() if rng is None else rng
    X, y = np.asarray(X), np.asarray(y).astype(int)
    n, d = X.shape
    m = int(y.max()) + 1
    params = init_params(d, dh, m, rng)
    history = {"train_loss": [], "train_error": []}
    if X_valid is not None:
        history.update(valid_loss=[], valid_error=[])
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            grads = bprop(params, X[batch].astype(float), y[batch], reg)
            params = {k: v - lr * grads[k] for k, v in params.items()}
        train_loss, train_error = evaluate(params, X, y, reg)
        history["train_loss"].append(train_loss)
        history["train_error"].append(train_error)
        if X_valid is not None:
            valid_loss, valid_error = evaluate(params, X_valid, y_valid, reg)
            history["valid_loss"].append(valid_loss)
            history["valid_error"].append(valid_error)
    return params, history
