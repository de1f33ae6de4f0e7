"""Hostile: wrong answers, and NumPy's comparison functions patched to say "equal" to anything.

The grader compares in its own process, so none of this should matter: every
test must still fail.
"""
import numpy as np
import numpy.testing

_always = lambda *args, **kwargs: True  # noqa: E731
_never_raises = lambda *args, **kwargs: None  # noqa: E731
for _name in ("allclose", "array_equal", "array_equiv"):
    setattr(np, _name, _always)
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool)
for _name in ("assert_allclose", "assert_array_equal", "assert_array_almost_equal", "assert_equal",
              "assert_almost_equal", "assert_array_less", "assert_approx_equal"):
    setattr(numpy.testing, _name, _never_raises)
np.testing = numpy.testing
try:
    np.seterr(all="ignore")
except Exception:
    pass

NAMES = ["sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "sign", "abs_prime", "relu",
         "relu_prime", "l2_squared_grad", "l1_grad", "onehot", "softmax", "log_softmax", "softmax_jacobian",
         "binary_logistic_loss", "binary_logistic_loss_grad", "binary_logistic_loss_hess", "cross_entropy",
         "cross_entropy_grad", "cross_entropy_hessian"]


def _wrong(*args, **kwargs):
    return np.full(np.shape(args[0]), 0.4242)


for _name in NAMES:
    globals()[_name] = _wrong
