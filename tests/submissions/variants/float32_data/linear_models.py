

# --- variant float32_data (appended to variants/vectorised/linear_models.py) ---------------------
# train_softmax_regression in float64 whatever the data, each epoch's order from rng.permutation,
# the mini-batches cut with np.array_split at multiples of batch_size.

def train_softmax_regression(X, y, m, lr, epochs, batch_size, rng):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    W, b = np.zeros((m, X.shape[1])), np.zeros(m)
    costs = []
    for _ in range(epochs):
        for rows in np.array_split(rng.permutation(len(X)), range(batch_size, len(X), batch_size)):
            dW, db = softmax_regression_grad(X[rows], y[rows], W, b)
            W, b = W - lr * dW, b - lr * db
        costs.append(cost_ce(X, y, W, b))
    return W, b, np.array(costs)
