"""Hostile: wrong answers, and the test machinery it can reach patched to pass everything.

pytest, gradescope_utils and builtins are replaced or patched in the student's
process. The graded tests run in the grader's process, so every test must still fail.
"""
import builtins
import sys
import types

import numpy as np

fake = types.ModuleType("pytest")
fake.fail = lambda *a, **k: None
fake.approx = lambda expected, *a, **k: _Anything()
fake.raises = lambda *a, **k: None
sys.modules["pytest"] = fake
try:
    import gradescope_utils.autograder_utils.decorators as decorators  # if the interpreter can see it
    decorators.weight = lambda w: (lambda f: f)
except Exception:
    pass


class _Anything(float):
    def __new__(cls, value=0.4242):
        return super().__new__(cls, value)

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


_isinstance = builtins.isinstance
builtins.AssertionError = type("AssertionError", (Exception,), {})
builtins.isinstance = lambda obj, cls: True if cls is AssertionError else _isinstance(obj, cls)
builtins.print = lambda *a, **k: None

NAMES = ["sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "sign", "abs_prime", "relu",
         "relu_prime", "l2_squared_grad", "l1_grad", "onehot", "softmax", "log_softmax", "softmax_jacobian",
         "binary_logistic_loss", "binary_logistic_loss_grad", "binary_logistic_loss_hess", "cross_entropy",
         "cross_entropy_grad", "cross_entropy_hessian"]


def _wrong(*args, **kwargs):
    return _Anything()


for _name in NAMES:
    globals()[_name] = _wrong
