

# --- variant float32_paramlists (appended to variants/vectorised/mlp.py) -------------------------
# train_mlp entirely in float32 (the data, the parameters it returns, every step), as the contract
# allows for float32 data; each epoch's order from rng.choice without replacement.

def train_mlp(X, y, dh, lr, epochs, batch_size, reg=(0, 0, 0, 0), rng=None,
              X_valid=None, y_valid=None):
    rng = rng if rng is not None else np.random.default_rng()
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.int64)
    n = len(X)
    params = {k: v.astype(np.float32) for k, v in init_params(X.shape[1], dh, int(y.max()) + 1, rng).items()}
    step = np.float32(lr)
    keys = ["train_loss", "train_error"] + (["valid_loss", "valid_error"] if X_valid is not None else [])
    history = {k: [] for k in keys}
    for _ in range(epochs):
        order = rng.choice(n, size=n, replace=False)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            grads = _float32_gradients(params, X[rows], y[rows], reg)
            params = {k: params[k] - step * grads[k] for k in params}
        for prefix, (Xs, ys) in (("train", (X, y)), ("valid", (X_valid, y_valid))):
            if Xs is not None:
                value, error = _measure(params, np.asarray(Xs, dtype=np.float32), np.asarray(ys, dtype=np.int64), reg)
                history[prefix + "_loss"].append(float(value))
                history[prefix + "_error"].append(float(error))
    return params, history


def _float32_gradients(params, X, y, reg):
    n, m = len(X), params["W2"].shape[0]
    ha = X @ params["W1"].T + params["b1"]
    hs = np.maximum(ha, np.float32(0))
    oa = hs @ params["W2"].T + params["b2"]
    e = np.exp(oa - oa.max(axis=1, keepdims=True))
    d_oa = (e / e.sum(axis=1, keepdims=True) - np.eye(m, dtype=np.float32)[y]) / np.float32(n)
    d_ha = (d_oa @ params["W2"]) * (ha > 0)
    l11, l12, l21, l22 = (np.float32(v) for v in reg)
    W1, W2 = params["W1"], params["W2"]
    return {"W1": d_ha.T @ X + l11 * np.sign(W1) + 2 * l12 * W1, "b1": d_ha.sum(axis=0),
            "W2": d_oa.T @ hs + l21 * np.sign(W2) + 2 * l22 * W2, "b2": d_oa.sum(axis=0)}
