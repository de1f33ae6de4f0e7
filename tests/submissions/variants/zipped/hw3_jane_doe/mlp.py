import numpy as np

import calculus as C
from utils import batches

HYPERPARAMS = {
    "dh": 100,
    "lr": 0.05,
    "epochs": 8,
    "batch_size": 32,
    "reg": (0.0, 1e-5, 0.0, 1e-5),
}


def init_params(d, dh, m, rng):
    return {
        "W1": rng.uniform(low=-1 / np.sqrt(d), high=1 / np.sqrt(d), size=(dh, d)),
        "b1": np.zeros(dh),
        "W2": rng.uniform(low=-1 / np.sqrt(dh), high=1 / np.sqrt(dh), size=(m, dh)),
        "b2": np.zeros(m),
    }


def fprop(params, X):
    out = {}
    out["ha"] = np.asarray(X, dtype=np.float64).dot(params["W1"].T) + params["b1"]
    out["hs"] = C.relu(out["ha"])
    out["oa"] = out["hs"].dot(params["W2"].T) + params["b2"]
    out["os"] = C.softmax(out["oa"])
    return out


def penalty(params, reg):
    l11, l12, l21, l22 = reg
    W1, W2 = params["W1"], params["W2"]
    return (l11 * np.linalg.norm(W1.ravel(), 1) + l12 * np.linalg.norm(W1) ** 2
            + l21 * np.linalg.norm(W2.ravel(), 1) + l22 * np.linalg.norm(W2) ** 2)


def loss(params, X, y, reg=(0, 0, 0, 0)):
    return float(C.cross_entropy(fprop(params, X)["oa"], y).mean() + penalty(params, reg))


def _reg_grads(params, reg):
    l11, l12, l21, l22 = reg
    return (l11 * C.l1_grad(params["W1"]) + l12 * C.l2_squared_grad(params["W1"]),
            l21 * C.l1_grad(params["W2"]) + l22 * C.l2_squared_grad(params["W2"]))


def bprop(params, X, y, reg=(0, 0, 0, 0)):
    X = np.asarray(X, dtype=np.float64)
    f = fprop(params, X)
    g_oa = C.cross_entropy_grad(f["oa"], y) / X.shape[0]
    g_ha = g_oa.dot(params["W2"]) * C.relu_prime(f["ha"])
    r1, r2 = _reg_grads(params, reg)
    return {"W1": g_ha.T.dot(X) + r1, "b1": g_ha.sum(0), "W2": g_oa.T.dot(f["hs"]) + r2,
            "b2": g_oa.sum(0), "X": g_ha.dot(params["W1"])}


def bprop_loop(params, X, y, reg=(0, 0, 0, 0)):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    n = X.shape[0]
    grads = {k: np.zeros(np.shape(v)) for k, v in params.items()}
    grads["X"] = np.zeros(X.shape)
    for i, (x, label) in enumerate(zip(X, y)):
        f = fprop(params, x[None, :])
        g_oa = C.cross_entropy_grad(f["oa"], [label])[0] / n
        g_ha = params["W2"].T.dot(g_oa) * C.relu_prime(f["ha"][0])
        grads["W2"] += np.outer(g_oa, f["hs"][0])
        grads["b2"] += g_oa
        grads["W1"] += np.outer(g_ha, x)
        grads["b1"] += g_ha
        grads["X"][i] = params["W1"].T.dot(g_ha)
    r1, r2 = _reg_grads(params, reg)
    grads["W1"] += r1
    grads["W2"] += r2
    return grads


def finite_difference(f, params, eps=1e-5):
    result = {}
    for name in params:
        array = params[name]
        grad = np.zeros(array.shape)
        it = np.nditer(array, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = array[i]
            array[i] = old + eps
            fp = f(params)
            array[i] = old - eps
            fm = f(params)
            array[i] = old
            grad[i] = (fp - fm) / (2 * eps)
        result[name] = grad
    return result


def predict(params, X):
    X = np.asarray(X)
    return np.concatenate([np.argmax(fprop(params, X[s])["oa"], axis=1) for s in batches(len(X), 2500)])


def _stats(params, X, y, reg):
    X, y = np.asarray(X), np.asarray(y).astype(int)
    ce = wrong = 0.0
    for s in batches(len(X), 2500):
        oa = fprop(params, X[s])["oa"]
        ce += C.cross_entropy(oa, y[s]).sum()
        wrong += np.count_nonzero(oa.argmax(1) != y[s])
    return float(ce / len(X) + penalty(params, reg)), float(wrong / len(X))


def train_mlp(X, y, dh, lr, epochs, batch_size, reg=(0, 0, 0, 0), rng=None,
              X_valid=None, y_valid=None):
    if rng is None:
        rng = np.random.default_rng()
    y = np.asarray(y).astype(int)
    params = init_params(np.shape(X)[1], dh, int(y.max()) + 1, rng)
    history = {"train_loss": [], "train_error": []}
    validating = X_valid is not None and y_valid is not None
    if validating:
        history["valid_loss"], history["valid_error"] = [], []
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        for s in batches(len(y), batch_size):
            idx = order[s]
            grads = bprop(params, X[idx], y[idx], reg)
            params = {k: params[k] - lr * grads[k] for k in params}
        for prefix, data in [("train", (X, y))] + ([("valid", (X_valid, y_valid))] if validating else []):
            l, e = _stats(params, data[0], data[1], reg)
            history[prefix + "_loss"].append(l)
            history[prefix + "_error"].append(e)
    return params, history
