"""Hostile: nothing but plausible-looking constants of the right shapes (every answer is wrong).

A do-nothing submission must score 0: no test may give points for a property
that such code has for free (no warnings, input not modified, same seed same
result, right shape). Only the hyperparameter dicts, which are graded as
values, are well-formed here.
"""
import numpy as np
def mse_cost(X, y, w): return 0.4242
def mse_grad(X, y, w): return np.full(np.shape(w), 0.4242)
def normal_equations(X, y, l2=0.0): return np.full(np.shape(X)[1], 0.4242)
def max_learning_rate(X): return 0.4242
def linear_regression_gd(X, y, lr, n_steps, w0=None): return np.full(np.shape(X)[1], 0.4242), [0.4242] * (n_steps + 1)
def logreg_predict_proba(X, w, b): return np.full(len(X), 0.4242)
def logreg_cost(X, y, w, b): return 0.4242
def logreg_grad(X, y, w, b): return np.full(np.shape(w), 0.4242), 0.4242
def accuracy(a, b): return 0.4242
def linear_trsf(X, W, b): return np.full((len(X), len(W)), 0.4242)
def softmax_regression_predict(X, W, b): return np.zeros(len(X), dtype=int)
def cost_ce(X, y, W, b): return 0.4242
def softmax_regression_grad(X, y, W, b): return np.full(np.shape(W), 0.4242), np.full(len(W), 0.4242)
def train_softmax_regression(X, y, m, lr, epochs, batch_size, rng):
    return np.full((m, np.shape(X)[1]), 0.4242), np.full(m, 0.4242), [0.4242] * epochs
def perceptron_update(W, x, y): return np.array(W, dtype=float)
def train_perceptron(X, y, m, epochs): return np.full((m, np.shape(X)[1]), 0.4242)
