"""Part 3, vectorised with einsum; history entries are NumPy arrays."""
import numpy as np

from calculus import log_softmax, onehot, softmax

HYPERPARAMS = dict(dh=128, lr=0.05, epochs=6, batch_size=32, reg=(0.0, 1e-6, 0.0, 1e-6))


def init_params(d, dh, m, rng):
    def layer(fan_out, fan_in):
        return (2.0 * rng.random((fan_out, fan_in)) - 1.0) / np.sqrt(fan_in)
    W2 = layer(m, dh)       # drawn first: the order of draws is mine to choose
    W1 = layer(dh, d)
    return dict(W1=W1, b1=np.zeros(dh), W2=W2, b2=np.zeros(m))


def fprop(params, X):
    ha = np.einsum("nd,hd->nh", np.asarray(X, dtype=np.float64), params["W1"]) + params["b1"]
    hs = ha * (ha > 0)
    oa = np.einsum("nh,mh->nm", hs, params["W2"]) + params["b2"]
    return dict(ha=ha, hs=hs, oa=oa, os=softmax(oa))


def _penalty(params, reg):
    l11, l12, l21, l22 = reg
    return sum(a * np.abs(params[k]).sum() + c * np.square(params[k]).sum()
               for a, c, k in ((l11, l12, "W1"), (l21, l22, "W2")))


def loss(params, X, y, reg=(0, 0, 0, 0)):
    lp = log_softmax(fprop(params, X)["oa"])
    return -lp[np.arange(len(lp)), np.asarray(y, dtype=np.int64)].mean() + _penalty(params, reg)


def bprop(params, X, y, reg=(0, 0, 0, 0)):
    X = np.asarray(X, dtype=np.float64)
    l11, l12, l21, l22 = reg
    f = fprop(params, X)
    delta2 = (f["os"] - onehot(y, f["os"].shape[1])) / len(X)
    delta1 = np.einsum("nm,mh->nh", delta2, params["W2"]) * (f["ha"] > 0)
    return dict(
        W2=np.einsum("nm,nh->mh", delta2, f["hs"]) + l21 * np.sign(params["W2"]) + 2 * l22 * params["W2"],
        b2=delta2.sum(0),
        W1=np.einsum("nh,nd->hd", delta1, X) + l11 * np.sign(params["W1"]) + 2 * l12 * params["W1"],
        b1=delta1.sum(0),
        X=delta1 @ params["W1"],
    )


def bprop_loop(params, X, y, reg=(0, 0, 0, 0)):
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    total = {k: np.zeros_like(params[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2")}
    rows = []
    for i in range(n):
        g = bprop(params, X[i:i + 1], np.asarray(y)[i:i + 1])   # one example at a time ...
        for k in total:
            total[k] += g[k] / n                                  # ... each weighs 1/n of the mean
        rows.append(g["X"][0] / n)
    l11, l12, l21, l22 = reg
    # the calls above had no penalty (reg defaults to zero): add its gradient once
    total["W1"] += l11 * np.sign(params["W1"]) + 2 * l12 * params["W1"]
    total["W2"] += l21 * np.sign(params["W2"]) + 2 * l22 * params["W2"]
    total["X"] = np.array(rows).reshape(X.shape)
    return total


def finite_difference(f, params, eps=1e-5):
    out = {}
    for k, v in params.items():
        g = np.empty(np.shape(v))
        flat = v.reshape(-1)          # a view: perturb in place, then put the saved value back
        gflat = g.reshape(-1)
        for j in range(flat.size):
            saved = flat[j].copy()
            flat[j] = saved + eps
            up = f(params)
            flat[j] = saved - eps
            down = f(params)
            flat[j] = saved
            gflat[j] = (up - down) / (2 * eps)
        out[k] = g
    return out


def predict(params, X):
    X = np.asarray(X)
    return np.concatenate([fprop(params, X[i:i + 4096])["oa"].argmax(1)
                           for i in range(0, len(X), 4096)])


def _measure(params, X, y, reg):
    n = len(X)
    ce, wrong = 0.0, 0
    for i in range(0, n, 4096):
        lp = log_softmax(fprop(params, X[i:i + 4096])["oa"])
        yb = y[i:i + 4096]
        ce -= lp[np.arange(len(yb)), yb].sum()
        wrong += (lp.argmax(1) != yb).sum()
    return ce / n + _penalty(params, reg), wrong / n


def train_mlp(X, y, dh, lr, epochs, batch_size, reg=(0, 0, 0, 0), rng=None,
              X_valid=None, y_valid=None):
    rng = rng if rng is not None else np.random.default_rng()
    X, y = np.asarray(X), np.asarray(y, dtype=np.int64)
    params = init_params(X.shape[1], dh, int(y.max()) + 1, rng)
    keys = ["train_loss", "train_error"] + (["valid_loss", "valid_error"] if X_valid is not None else [])
    history = {k: np.zeros(epochs) for k in keys}
    for epoch in range(epochs):
        perm = rng.permutation(len(X))
        for i in range(0, len(X), batch_size):
            b = perm[i:i + batch_size]
            g = bprop(params, X[b], y[b], reg)
            for k in params:
                params[k] -= lr * g[k]
        history["train_loss"][epoch], history["train_error"][epoch] = _measure(params, X, y, reg)
        if X_valid is not None:
            history["valid_loss"][epoch], history["valid_error"][epoch] = _measure(
                params, np.asarray(X_valid), np.asarray(y_valid, dtype=np.int64), reg)
    return params, history
