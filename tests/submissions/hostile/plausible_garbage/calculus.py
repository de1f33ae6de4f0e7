"""Hostile: nothing but plausible-looking constants of the right shapes (every answer is wrong).

A do-nothing submission must score 0: no test may give points for a property
that such code has for free (no warnings, input not modified, same seed same
result, right shape). Only the hyperparameter dicts, which are graded as
values, are well-formed here.
"""
import numpy as np
def _g(x, *a, **k): return np.full(np.shape(x), 0.4242)
for _n in ["sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "sign", "abs_prime", "relu",
           "relu_prime", "l2_squared_grad", "l1_grad", "softmax", "log_softmax", "binary_logistic_loss",
           "binary_logistic_loss_grad", "binary_logistic_loss_hess", "cross_entropy_grad"]:
    globals()[_n] = _g
def onehot(y, m): return np.full((len(y), m), 0.4242)
def softmax_jacobian(z): z = np.asarray(z); return np.full(z.shape + (z.shape[-1],), 0.4242)
cross_entropy_hessian = softmax_jacobian
def cross_entropy(z, y): return np.full(len(y), 0.4242)
