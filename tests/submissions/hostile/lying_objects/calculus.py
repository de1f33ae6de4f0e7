"""Hostile: every function returns an object that claims to equal anything.

An ndarray subclass whose == is always True, an object with a lying __array__
and __eq__, a float subclass equal to everything, an object-dtype array, a
torch-looking object whose conversion lies, nan and inf arrays.
"""
import numpy as np


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __ne__(self, other):
        return np.zeros(np.shape(other), dtype=bool)

    def all(self, *a, **k):
        return True


class Liar:
    __array_priority__ = 1e9

    def __init__(self, shape):
        self.shape = shape

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.full(self.shape, 0.4242)

    def __len__(self):
        return self.shape[0] if self.shape else 1

    def __float__(self):
        return 0.4242

    def tolist(self):
        return np.full(self.shape, 0.4242).tolist()


class EqualFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class FakeTensor:
    """Looks like a torch tensor to anyone who checks the module name."""
    __module__ = "torch.fake"

    def __init__(self, shape):
        self.shape = shape

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return Liar(self.shape)


def _lying_array(shape):
    return np.full(shape, 0.4242).view(LyingArray)


def _object_array(shape):
    out = np.empty(shape, dtype=object)
    out[...] = EqualFloat(0.4242)
    return out


_MAKERS = [_lying_array, Liar, lambda shape: EqualFloat(0.4242), _object_array, FakeTensor,
           lambda shape: np.full(shape, np.nan), lambda shape: np.full(shape, np.inf)]

NAMES = ["sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "sign", "abs_prime", "relu",
         "relu_prime", "l2_squared_grad", "l1_grad", "onehot", "softmax", "log_softmax", "softmax_jacobian",
         "binary_logistic_loss", "binary_logistic_loss_grad", "binary_logistic_loss_hess", "cross_entropy",
         "cross_entropy_grad", "cross_entropy_hessian"]


def _function(index):
    def wrong(*args, **kwargs):
        return _MAKERS[index % len(_MAKERS)](np.shape(args[0]))
    return wrong


for _i, _name in enumerate(NAMES):
    globals()[_name] = _function(_i)
