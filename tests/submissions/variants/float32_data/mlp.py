

# --- variant float32_data (appended to variants/vectorised/mlp.py) -------------------------------
# train_mlp keeps the training data in float32 (the contract's memory advice: no float64 copy of
# Fashion-MNIST) while the parameters and every step stay float64; the order comes from
# rng.shuffle of an index array, reshuffled in place each epoch.

def train_mlp(X, y, dh, lr, epochs, batch_size, reg=(0, 0, 0, 0), rng=None,
              X_valid=None, y_valid=None):
    rng = rng if rng is not None else np.random.default_rng()
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.int64)
    params = init_params(X.shape[1], dh, int(y.max()) + 1, rng)
    history = {"train_loss": [], "train_error": []}
    if X_valid is not None:
        history.update(valid_loss=[], valid_error=[])
    index = np.arange(len(X))
    for _ in range(epochs):
        rng.shuffle(index)
        for start in range(0, len(X), batch_size):
            rows = index[start:start + batch_size]
            grads = bprop(params, X[rows], y[rows], reg)
            params = {k: v - lr * grads[k] for k, v in params.items()}
        loss_value, error = _measure(params, X, y, reg)
        history["train_loss"].append(loss_value)
        history["train_error"].append(error)
        if X_valid is not None:
            loss_value, error = _measure(params, np.asarray(X_valid, dtype=np.float32),
                                         np.asarray(y_valid, dtype=np.int64), reg)
            history["valid_loss"].append(loss_value)
            history["valid_error"].append(error)
    return params, history
