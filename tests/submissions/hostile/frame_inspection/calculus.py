"""Hostile: looks for expected values in the caller's frames and in every object the GC knows.

sys._getframe, inspect.stack and gc.get_objects are searched for any array of
the input's shape other than the input itself; the first one found is returned.
Nothing the grader expects lives in this process, so every test must fail.
"""
import gc
import inspect
import sys

import numpy as np


def _arrays_in(value, depth=0):
    if isinstance(value, np.ndarray):
        yield value
    elif depth < 3 and isinstance(value, dict):
        for v in list(value.values()):
            yield from _arrays_in(v, depth + 1)
    elif depth < 3 and isinstance(value, (list, tuple)):
        for v in list(value):
            yield from _arrays_in(v, depth + 1)


def _steal(x):
    x = np.asarray(x)
    seen = []
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            seen.extend(_arrays_in(value))
        frame = frame.f_back
    for info in inspect.stack(0):
        for value in list(info.frame.f_locals.values()):
            seen.extend(_arrays_in(value))
    for obj in gc.get_objects():
        if obj is seen or len(seen) > 100_000:
            continue
        if isinstance(obj, (dict, list, tuple)):
            seen.extend(_arrays_in(obj, 2))
    for candidate in seen:
        if candidate is not x and candidate.shape == x.shape and not np.shares_memory(candidate, x):
            return candidate.copy()
    raise RuntimeError(f"HOSTILE-FRAMES: looked at {len(seen)} arrays, none of shape {x.shape}")


NAMES = ["sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "sign", "abs_prime", "relu",
         "relu_prime", "l2_squared_grad", "l1_grad", "onehot", "softmax", "log_softmax", "softmax_jacobian",
         "binary_logistic_loss", "binary_logistic_loss_grad", "binary_logistic_loss_hess", "cross_entropy",
         "cross_entropy_grad", "cross_entropy_hessian"]


def _function(name):
    def stolen(*args, **kwargs):
        return _steal(args[0])
    stolen.__name__ = name
    return stolen


for _name in NAMES:
    globals()[_name] = _function(_name)
