

# --- variant float32_paramlists (appended to variants/vectorised/linear_models.py) ---------------
# train_softmax_regression computes in the dtype of the data it is given (float32 data: float32
# parameters, as the contract allows) and draws each epoch's order with rng.choice without replacement.

def train_softmax_regression(X, y, m, lr, epochs, batch_size, rng):
    X = np.asarray(X)
    X = X if X.dtype == np.float32 else X.astype(np.float64)
    y = np.asarray(y)
    n = len(X)
    W, b = np.zeros((m, X.shape[1]), dtype=X.dtype), np.zeros(m, dtype=X.dtype)
    step = X.dtype.type(lr)
    costs = []
    for _ in range(epochs):
        order = rng.choice(n, size=n, replace=False)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            scores = X[rows] @ W.T + b
            p = np.exp(scores - scores.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(rows)), y[rows]] -= 1
            p /= len(rows)
            W = W - step * (p.T @ X[rows])
            b = b - step * p.sum(axis=0)
        costs.append(float(cost_ce(X, y, W, b)))
    return W, b, costs
