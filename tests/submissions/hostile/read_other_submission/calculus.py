"""Hostile: copies the answers of another submission being graded at the same time.

Batch grading runs several gradings at once, each in its own sandbox under
the temporary folder. This file looks for the other sandboxes' copies of
calculus.py (for a few seconds, as the others start) and delegates to the
first that looks correct. If it finds none, each function raises an error
naming what it tried.
"""
import glob
import importlib.util
import os
import time

_state = {}


def _search():
    if "module" in _state:
        return _state["module"]
    here = os.path.realpath(os.path.abspath(__file__))
    tried = set()
    deadline = time.monotonic() + 8.0
    while time.monotonic() < deadline:
        for pattern in ("/tmp/autograder-*/submission/calculus.py", "/tmp/*/submission/calculus.py",
                        "/tmp/autograder-*/*/calculus.py"):
            for path in glob.glob(pattern):
                if os.path.realpath(path) == here or path in tried:
                    continue
                tried.add(path)
                try:
                    with open(path, "rb") as f:
                        text = f.read()
                except OSError:
                    continue
                if b"def softmax" not in text or b"HOSTILE" in text:
                    continue
                try:
                    spec = importlib.util.spec_from_file_location("_other_calculus", path)
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
                except BaseException:
                    continue
                _state["module"] = module
                return module
        time.sleep(0.2)
    _state["module"] = None
    return None


NAMES = ["sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "sign", "abs_prime", "relu",
         "relu_prime", "l2_squared_grad", "l1_grad", "onehot", "softmax", "log_softmax", "softmax_jacobian",
         "binary_logistic_loss", "binary_logistic_loss_grad", "binary_logistic_loss_hess", "cross_entropy",
         "cross_entropy_grad", "cross_entropy_hessian"]


def _delegate(name):
    def function(*args, **kwargs):
        module = _search()
        if module is None:
            raise RuntimeError("HOSTILE-NEIGHBOUR: no other submission could be read")
        return getattr(module, name)(*args, **kwargs)
    return function


for _name in NAMES:
    globals()[_name] = _delegate(_name)
