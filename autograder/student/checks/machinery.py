#!/usr/bin/env python3
"""Self-check for the homework: run it in the folder that holds your files.

    python check.py                    # checks every file it finds here
    python check.py path/to/folder     # or in another folder
    python check.py --only calculus,mlp

It tries properties that every correct solution has -- shapes, stability at
|x| = 1e4, gradients against finite differences, bprop_loop equal to bprop,
probabilities that sum to 1, and so on -- and prints one line per check:
a tick when it holds, a cross with what to fix when it does not.

Passing every check here does NOT mean full marks: the autograder also
compares your values with the instructor's on hidden inputs and trains your
models on Fashion-MNIST. But a cross here is almost always a lost point there.

Needs only numpy (torch for torch_models.py). It contains no solution.
"""
import os

# One thread, as on the grader, so the timing estimates below mean something.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib  # noqa: E402
import itertools  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

# BEGIN GRADER DEFINITIONS: `python -m autograder build --student` writes the values and the
# hyper-parameter rules of autograder/config.py and autograder/judge/hyperparams.py here.
from autograder.contract import PARTS  # noqa: E402
from autograder.config import (MLP_MAX_TEST_ERROR, TORCH_MIN_TEST_ACCURACY,  # noqa: E402
                               TRAIN_CPU_SECONDS, TRAIN_SUBSET)
from autograder.judge.hyperparams import hyperparams_problems, torch_hyperparams_problems  # noqa: E402
# END GRADER DEFINITIONS
MODULES = PARTS

# BEGIN GRADER COMPARE: `build --student` writes autograder/judge/compare.py here (the graded tests' messages).
from autograder.judge.compare import CheckFailed, assert_close, assert_finite, assert_shape, assert_true  # noqa: E402
from autograder.judge.compare import as_array as as_returned_array  # noqa: E402
# END GRADER COMPARE

# BEGIN GRADER REPLAYS: `build --student` writes autograder/judge/rounding.py, replays.py and training.py
# here (how the graded tests replay training, what float32 rounding they allow, and their messages).
from autograder.judge.rounding import coarsest, rounding_rtol  # noqa: E402,F401
from autograder.judge.replays import SGD  # noqa: E402,F401
from autograder.judge.training import (NUMPY_ORDER, NUMPY_TOGETHER, TORCH_ORDER, TORCH_TOGETHER, Run,  # noqa: E402,F401
                                       Words, check_displacement, check_epochs, check_replayed, check_rule,
                                       check_together, check_train_mode, momentum_mistakes)
# END GRADER REPLAYS

# BEGIN NOTEBOOK READER: `build --student` writes autograder/load/notebook.py here (the grader's own reader).
from autograder.load.notebook import NotebookError, assign_parts, relocate  # noqa: E402
from autograder.load.notebook import read as read_notebook  # noqa: E402
# END NOTEBOOK READER

DEFAULT_TIME_LIMIT = 20  # seconds per check
EXTREMES = np.array([-1e4, -800.0, -40.0, -1.0, 0.0, 1.0, 40.0, 800.0, 1e4])


# --------------------------------------------------------------------------- machinery

Failed = CheckFailed  # a property does not hold; the message says what to fix


class CheckTimeout(Exception):
    pass


CHECKS = []  # (module, function names, title, callable)


def check(module, *names):
    """Register a check of ``names`` in ``module``; its docstring's first line is its title."""
    def register(function):
        title = (function.__doc__ or function.__name__).strip().splitlines()[0]
        CHECKS.append((module, names, title, function))
        return function
    return register


def require(condition, message):
    assert_true(condition, message)


def fmt(value, width=160):
    text = np.array2string(np.asarray(value), precision=6, threshold=12, max_line_width=100) \
        if isinstance(value, (np.ndarray, list, tuple)) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width] + " ..."


def as_floats(value, what):
    """The returned value as a float array, or a failure that says what came back (as the grader says it)."""
    return as_returned_array(value, what).astype(float)


def expect_shape(value, shape, what):
    array = as_floats(value, what)
    assert_shape(array, shape, what)
    return array


def expect_close(got, want, what, rtol=1e-6, atol=1e-8, hint=""):
    """The graded tests' comparison and message (classic mistakes named), plus a hint for the fix."""
    try:
        return assert_close(got, want, what, rtol=rtol, atol=atol)
    except CheckFailed as err:
        raise CheckFailed(str(err) + (f"\nHint: {hint}" if hint else "")) from None


def expect_finite(value, what):
    array = as_floats(value, what)
    assert_finite(array, what)
    return array


@contextlib.contextmanager
def strict(what):
    """Turn numpy's overflow / divide / invalid warnings into a failure that names ``what``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            try:
                yield
            except (FloatingPointError, RuntimeWarning) as err:
                raise Failed(f"{what} is not stable: numpy reported '{err}'. Rewrite it so that "
                             "no exp() of a large positive number and no log(0) happen "
                             "(see the hint in its docstring).") from None


def unchanged(before, after, what):
    """Inputs must not be modified."""
    for name in before:
        a, b = before[name], after[name]
        if isinstance(a, dict):
            for key in a:
                require(np.array_equal(a[key], b[key]), f"{what} modified its input {name}[{key!r}]: "
                        "work on a copy (never assign into or use += on an argument)")
        else:
            require(np.array_equal(a, b), f"{what} modified its input {name}: work on a copy "
                    "(never assign into or use += on an argument)")


def copies(**arrays):
    return {k: ({kk: np.array(vv, copy=True) for kk, vv in v.items()} if isinstance(v, dict)
                else np.array(v, copy=True)) for k, v in arrays.items()}


# Finite differences: this file's own, independent of your finite_difference.

def fd_elementwise(f, x, eps=1e-6):
    """Derivative of an elementwise function, by central differences."""
    return (np.asarray(f(x + eps), dtype=float) - np.asarray(f(x - eps), dtype=float)) / (2 * eps)


def fd_gradient(f, x, eps=1e-6):
    """Gradient of the scalar f at the array x, by central differences."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (float(f(plus)) - float(f(minus))) / (2 * eps)
    return grad


def fd_jacobian(f, x, eps=1e-6):
    """J[j, k] = d f_j / d x_k for a vector function of a vector."""
    x = np.array(x, dtype=float)
    columns = []
    for k in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus[k] += eps
        minus[k] -= eps
        columns.append((np.asarray(f(plus), dtype=float) - np.asarray(f(minus), dtype=float)) / (2 * eps))
    return np.stack(columns, axis=-1)


def away_from_zero(rng, shape, scale=2.0):
    x = rng.normal(0, scale, size=shape)
    return np.where(np.abs(x) < 0.1, 0.1 * np.sign(x) + 0.1 * (x == 0), x)


def blobs(rng, n_per_class, centers, spread=0.3):
    centers = np.asarray(centers, dtype=float)
    X = np.concatenate([c + spread * rng.normal(size=(n_per_class, centers.shape[1])) for c in centers])
    y = np.repeat(np.arange(len(centers)), n_per_class)
    return X, y


def two_circles(rng, n=200, noise=0.08):
    """Points on two concentric circles (radius 1: class 0, radius 0.5: class 1)."""
    angle = rng.uniform(0, 2 * np.pi, size=n)
    y = (np.arange(n) % 2).astype(np.int64)
    radius = np.where(y == 0, 1.0, 0.5)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return X + noise * rng.normal(size=X.shape), y


def small_params(rng, d=4, dh=5, m=3):
    def weights(shape):
        w = rng.uniform(-1, 1, size=shape)
        return np.where(np.abs(w) < 0.05, 0.05, w)  # away from the kink of |w|
    return {"W1": weights((dh, d)), "b1": rng.normal(0, 0.1, size=dh),
            "W2": weights((m, dh)), "b2": rng.normal(0, 0.1, size=m)}
