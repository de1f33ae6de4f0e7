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

# What the autograder uses (generated from autograder/config.py by `python -m autograder build --student`; do not edit).

TRAIN_SUBSET = 20000
MLP_MAX_TEST_ERROR = 0.2
TORCH_MIN_TEST_ACCURACY = {'logreg': 0.75, 'mlp': 0.78, 'convnet': 0.8}
TRAIN_CPU_SECONDS = {'numpy_mlp': 90, 'logreg': 30, 'mlp': 60, 'convnet': 90}
PARTS = ('calculus', 'linear_models', 'mlp', 'conv', 'torch_models')
PART_NAMES = {'calculus': ('sigmoid', 'sigmoid_prime', 'tanh_prime', 'softplus', 'softplus_prime', 'sign', 'abs_prime', 'relu', 'relu_prime', 'l2_squared_grad', 'l1_grad', 'onehot', 'softmax', 'log_softmax', 'softmax_jacobian', 'binary_logistic_loss', 'binary_logistic_loss_grad', 'binary_logistic_loss_hess', 'cross_entropy', 'cross_entropy_grad', 'cross_entropy_hessian'), 'linear_models': ('mse_cost', 'mse_grad', 'normal_equations', 'max_learning_rate', 'linear_regression_gd', 'logreg_predict_proba', 'logreg_cost', 'logreg_grad', 'accuracy', 'linear_trsf', 'softmax_regression_predict', 'cost_ce', 'softmax_regression_grad', 'train_softmax_regression', 'perceptron_update', 'train_perceptron'), 'mlp': ('init_params', 'fprop', 'loss', 'bprop', 'bprop_loop', 'finite_difference', 'predict', 'train_mlp', 'HYPERPARAMS'), 'conv': ('conv_output_size', 'conv2d', 'conv2d_multi', 'max_pool2d'), 'torch_models': ('autograd_descent', 'dropout', 'LogisticRegression', 'MLP', 'ConvNetDropout', 'train_torch', 'TORCH_HYPERPARAMS')}


# Valid hyper-parameters (generated from autograder/judge/hyperparams.py).
import math
import numbers

MLP_KEYS = ("dh", "lr", "epochs", "batch_size")
MLP_OPTIONAL = ("reg",)
TORCH_KINDS = ("logreg", "mlp", "convnet")
MAX_HIDDEN = 4096
MAX_EPOCHS = {"mlp": 1000, "torch": 10000}
MAX_LR = 10


def _show(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and type(value).__name__ != "bool_"


def _count_problem(what, value, high):
    """A message unless ``value`` is a whole number from 1 to ``high`` (8 or 8.0, not 8.5 or True)."""
    if value is None:
        return f"{what}: choose a value (it is None)."
    if not (_is_number(value) and math.isfinite(float(value)) and float(value).is_integer() and 1 <= value <= high):
        return f"{what} should be an int from 1 to {high}, but is {_show(value)}."
    return None


def _lr_problem(what, value):
    if value is None:
        return f"{what}: choose a value (it is None)."
    if not (_is_number(value) and math.isfinite(float(value)) and 0 < value <= MAX_LR):
        return f"{what} should be a learning rate with 0 < lr <= {MAX_LR}, but is {_show(value)}."
    return None


def _probability_problem(what, value):
    if not (_is_number(value) and 0 <= value < 1):
        return f"{what} should be a dropout probability in [0, 1), but is {_show(value)}."
    return None


def hyperparams_problems(hp, train_subset):
    """What is wrong with mlp.HYPERPARAMS (keyword arguments of train_mlp); [] when nothing is."""
    what = "HYPERPARAMS"
    if not isinstance(hp, dict):
        return [f"{what} should be a dict of keyword arguments for train_mlp "
                f"(dh, lr, epochs, batch_size, reg), but it is {_show(hp)}."]
    missing = [key for key in MLP_KEYS if key not in hp]
    extra = sorted(str(key) for key in hp if key not in MLP_KEYS + MLP_OPTIONAL)
    problems = []
    if missing:
        problems.append(f"{what} lacks the keys {missing}.")
    if extra:
        problems.append(f"{what} has keys {extra} that the grader cannot pass to train_mlp "
                        f"(allowed: {list(MLP_KEYS + MLP_OPTIONAL)}).")
    for key, high in (("dh", MAX_HIDDEN), ("epochs", MAX_EPOCHS["mlp"]), ("batch_size", train_subset)):
        if key in hp:
            problems.append(_count_problem(f"{what}['{key}']", hp[key], high))
    if "lr" in hp:
        problems.append(_lr_problem(f"{what}['lr']", hp["lr"]))
    if "reg" in hp:
        reg = hp["reg"]
        ok = isinstance(reg, (tuple, list)) and len(reg) == 4 and all(
            _is_number(v) and math.isfinite(float(v)) and 0 <= v < 1 for v in reg)
        if not ok:
            problems.append(f"{what}['reg'] should be a tuple of 4 numbers (l11, l12, l21, l22) with "
                            f"0 <= l < 1, but is {_show(reg)}.")
    return [p for p in problems if p]


def torch_hyperparams_problems(hp, train_subset):
    """What is wrong with torch_models.TORCH_HYPERPARAMS; [] when nothing is."""
    if not isinstance(hp, dict):
        return [f"TORCH_HYPERPARAMS should be a dict with the keys {list(TORCH_KINDS)}, but it is {_show(hp)}."]
    problems = [f"TORCH_HYPERPARAMS has no dict for {kind!r}." for kind in TORCH_KINDS
                if not isinstance(hp.get(kind), dict)]
    for kind in TORCH_KINDS:
        entry = hp.get(kind)
        if not isinstance(entry, dict):
            continue
        what = f"TORCH_HYPERPARAMS['{kind}']"
        required = ("epochs", "lr", "batch_size") + (("hidden", "dropout") if kind == "mlp" else ())
        missing = [key for key in required if key not in entry]
        if missing:
            problems.append(f"{what} lacks the keys {missing}.")
        for key, high in (("epochs", MAX_EPOCHS["torch"]), ("batch_size", train_subset)):
            if key in entry:
                problems.append(_count_problem(f"{what}['{key}']", entry[key], high))
        if "lr" in entry:
            problems.append(_lr_problem(f"{what}['lr']", entry["lr"]))
        options = entry.get("options")
        if options is not None and not isinstance(options, dict):
            problems.append(f"{what}['options'] should be a dict of keyword arguments for train_torch, "
                            f"but is {_show(options)}.")
        if kind == "mlp" and "hidden" in entry:
            hidden = entry["hidden"]
            ok = isinstance(hidden, (list, tuple)) and all(
                _count_problem("", size, MAX_HIDDEN) is None for size in hidden)
            if not ok:
                problems.append(f"{what}['hidden'] should be a list of hidden layer sizes (ints from 1 to "
                                f"{MAX_HIDDEN}), but is {_show(hidden)}.")
        for key in ("dropout",) if kind == "mlp" else ("p",) if kind == "convnet" else ():
            if key in entry:
                problems.append(_probability_problem(f"{what}['{key}']", entry[key]))
    return [p for p in problems if p]
MODULES = PARTS

# Comparing and messages, as in the graded tests (generated from autograder/judge/compare.py).
import numpy as np


class StudentError(Exception):
    """(In the grader: the root of its exceptions.)"""


class CheckFailed(StudentError):
    """A check failed; the message says what to fix."""


class Unsupported:
    """(In the grader: a value with no data-only encoding; never made here.)"""
    description = ""


class Tensor(np.ndarray):
    """(In the grader: a torch tensor sent back as an array; never made here.)"""


RTOL = 1e-6
ATOL = 1e-9
_PREVIEW = 6


def describe(value):
    """A short description of a value's type and shape, for messages."""
    if value is None:
        return "None"
    if isinstance(value, Unsupported):
        return f"an object of type {value.description}"
    if isinstance(value, np.ndarray):
        kind = "tensor" if isinstance(value, Tensor) else "array"
        return f"{kind} of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return f"dict with keys {sorted(map(str, value))}"
    return f"{type(value).__name__} {value!r}"[:120]


def preview(array):
    """A compact, readable rendering of an array (or anything) for messages."""
    if isinstance(array, np.ndarray):
        with np.printoptions(precision=6, threshold=12, edgeitems=3, linewidth=100):
            text = np.array2string(np.asarray(array))
        return text if len(text) < 400 else text[:400] + " ..."
    text = repr(array)
    return text if len(text) < 400 else text[:400] + " ..."


def format_inputs(inputs):
    if not inputs:
        return ""
    parts = [f"  {name} = {preview(value) if isinstance(value, np.ndarray) else preview(value)}"
             for name, value in inputs.items()]
    return "\nInput:\n" + "\n".join(parts)


def as_array(value, what, *, numeric=True, inputs=None):
    """Convert a returned value to a float/int NumPy array, or fail saying what came back.

    Lists, tuples, scalars and tensors are converted; None, dicts, strings and
    objects the grader cannot read fail with a message that names them.
    """
    if value is None:
        raise CheckFailed(f"{what} returned None. Did you forget a `return` statement?"
                          + format_inputs(inputs))
    if isinstance(value, (Unsupported, dict, str)):
        raise CheckFailed(f"{what} should return an array, but returned {describe(value)}."
                          + format_inputs(inputs))
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        raise CheckFailed(f"{what} returned {describe(value)}, which is not a regular array "
                          "(ragged nested lists?)." + format_inputs(inputs)) from None
    if numeric and array.dtype.kind not in "biuf":
        raise CheckFailed(f"{what} returned {describe(value)} that holds non-numbers "
                          f"(dtype {array.dtype})." + format_inputs(inputs))
    return np.asarray(array).view(np.ndarray)


def assert_shape(got, shape, what, inputs=None):
    """Fail unless ``got`` (already an array) has exactly ``shape``."""
    shape = tuple(shape)
    if got.shape == shape:
        return
    hint = ""
    if got.shape == shape[::-1] and len(shape) == 2:
        hint = " It looks transposed."
    elif got.size == int(np.prod(shape)):
        hint = " Same number of entries: a missing reshape, or a (n, 1) column where (n,) is expected?"
    elif got.shape == shape[1:]:
        hint = " The first (batch) axis is missing: did you sum or average over it?"
    raise CheckFailed(f"{what} returned shape {got.shape}; expected {shape}.{hint}" + format_inputs(inputs))


def assert_finite(got, what, inputs=None):
    bad = ~np.isfinite(got)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise CheckFailed(
            f"{what} returned {got[index]} at index {index} (nan or inf appears in "
            f"{int(bad.sum())} of {got.size} entries). A numerically unstable formula? "
            "Subtract the maximum before exponentiating, use np.logaddexp, or split by sign."
            + format_inputs(inputs))


def _close(got, expected, rtol, atol):
    with np.errstate(all="ignore"):
        return np.abs(got - expected) <= atol + rtol * np.abs(expected)


def matches(got, expected, rtol=RTOL, atol=ATOL):
    """True when ``got`` has ``expected``'s shape and is entrywise close to it."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, dtype=float)
    return got.shape == expected.shape and bool(np.all(_close(got, expected, rtol, atol)))


def assert_close(got, expected, what, *, inputs=None, rtol=RTOL, atol=ATOL,
                 mistakes=None, finite=True):
    """Fail unless the returned value equals ``expected`` within tolerance.

    ``what`` names the call, e.g. ``"sigmoid(x)"``. ``inputs`` maps input names to
    values shown in the message. ``mistakes`` maps the name of a classic mistake
    to what that mistake would return; when the student's value matches one, the
    message names it. Returns the converted array.
    """
    expected = np.asarray(expected, dtype=float)
    got = as_array(got, what, inputs=inputs)
    if got.shape != expected.shape and got.size == expected.size == 1:
        got = got.reshape(expected.shape)
    assert_shape(got, expected.shape, what, inputs)
    got = got.astype(float)
    if finite and np.isfinite(expected).all():
        assert_finite(got, what, inputs)
    ok = _close(got, expected, rtol, atol) | (np.isnan(got) & np.isnan(expected)) | (got == expected)
    if ok.all():
        return got
    index = tuple(int(i) for i in np.argwhere(~ok)[0])
    with np.errstate(all="ignore"):
        errors = np.abs(got - expected)
    message = f"{what} is not correct."
    if got.ndim:
        message += (f"\nFirst mismatch at index {index}: expected {float(expected[index])!r}, got {float(got[index])!r} "
                    f"({int((~ok).sum())} of {got.size} entries differ; largest error {np.nanmax(errors):.3g}).")
        message += f"\nExpected:\n{preview(expected)}\nGot:\n{preview(got)}"
    else:
        message += f"\nExpected {float(expected)!r}, got {float(got)!r}."
    message += format_inputs(inputs)
    name = recognise(got, expected, mistakes)
    if name:
        message += f"\nThis looks like a classic mistake: {name}."
    raise CheckFailed(message)


def recognise(got, expected, mistakes=None):
    """Name the classic mistake ``got`` matches, if any (specific ones first, then generic)."""
    for name, candidate in (mistakes or {}).items():
        if candidate is not None and matches(got, candidate, rtol=1e-5, atol=1e-8):
            return name
    expected = np.asarray(expected, dtype=float)
    if not np.any(expected):
        return None
    if matches(got, -expected, 1e-5, 1e-8):
        return "flipped sign (the negative of the right answer)"
    if expected.ndim == 2 and matches(got, expected.T, 1e-5, 1e-8):
        return "transposed result"
    flat_g, flat_e = np.ravel(got), np.ravel(expected)
    if flat_g.shape == flat_e.shape and flat_e.size > 1:  # any number is a multiple of another
        scale = np.dot(flat_g, flat_e) / np.dot(flat_e, flat_e)
        if abs(scale) > 1e-12 and abs(scale - 1) > 1e-3 and matches(got, scale * expected, 1e-5, 1e-8):
            return f"the right answer times {scale:.6g} (a missing or extra factor, e.g. sum instead of mean, or a factor 2)"
    return None


def assert_true(condition, message):
    """Fail with ``message`` unless ``condition``."""
    if not condition:
        raise CheckFailed(message)


def assert_number(got, what, inputs=None):
    """Convert a returned scalar (float, 0-d or 1-element array) to float, or fail."""
    array = as_array(got, what, inputs=inputs)
    if array.size != 1:
        raise CheckFailed(f"{what} should return a single number, but returned {describe(got)}."
                          + format_inputs(inputs))
    return float(array.reshape(()))


def assert_keys(got, keys, what):
    """Fail unless ``got`` is a dict with at least ``keys``."""
    if not isinstance(got, dict):
        raise CheckFailed(f"{what} should return a dict with keys {sorted(keys)}, but returned {describe(got)}.")
    missing = sorted(set(keys) - set(got))
    if missing:
        raise CheckFailed(f"{what} returned a dict without the keys {missing} (it has {sorted(map(str, got))}).")
    return got


def assert_sequence(got, what, length=None):
    """A list/tuple/1-D array of numbers (per-step values such as costs) -> 1-D float array."""
    if isinstance(got, dict) or got is None or isinstance(got, (Unsupported, str)):
        raise CheckFailed(f"{what} should be a list or 1-D array of numbers, but is {describe(got)}.")
    array = as_array(got, what)
    if array.ndim != 1:
        raise CheckFailed(f"{what} should be a list or 1-D array of numbers, but has shape {array.shape}.")
    if length is not None and len(array) != length:
        raise CheckFailed(f"{what} should have {length} entries, but has {len(array)}.")
    return array.astype(float)


def score_cases(cases, weight, set_score, properties=()):
    """Run several independent checks and give partial credit for the ones that pass.

    ``cases`` and ``properties`` are lists of ``(label, check)`` where ``check()``
    raises a :class:`StudentError` (a failed check or a student error) on failure.
    ``properties`` (input not modified, reproducible, no warnings, ...) earn
    their share only when at least one of ``cases`` passes: a property of a
    function that computes nothing is worth nothing. Sets the score to
    ``weight`` times the fraction earned, then fails with the messages of the
    failed checks, if any.
    """
    failures, causes, passed_cases, passed_properties = [], [], 0, 0
    for label, check in cases:
        try:
            check()
            passed_cases += 1
        except StudentError as err:
            failures.append(f"[{label}] {err}")
            causes.append(err)
    for label, check in properties:
        try:
            check()
            passed_properties += 1
        except StudentError as err:
            failures.append(f"[{label}] {err}")
            causes.append(err)
    total = len(cases) + len(properties)
    earned = passed_cases + (passed_properties if passed_cases else 0)
    set_score(weight * earned / total)
    if failures:
        summary = f"({total - len(failures)} of {total} checks passed.)"
        if passed_properties and not passed_cases:
            summary += " Properties such as 'input not modified' count only once a value is right."
        raise CheckFailed("\n\n".join(failures) + "\n\n" + summary, causes=causes)


as_returned_array = as_array



# Replays of training and the rounding they allow, as in the graded tests (generated from autograder/judge/rounding.py, replays.py and training.py).


import numpy as np


# Replays of a few SGD steps in float32 and in float64 agree to ~2 units in the last place
# of float32 (1.7e-7 of the parameters' size at most over 30 problems); 128 units (1.5e-5)
# leave a wide margin and stay 50 times below the smallest gap that a wrong order of the
# examples made on the same problems (8.8e-4).
ROUNDING_ULPS = 128
# float64 computations that differ only in the order of their sums agree to ~1e-15; the
# floor keeps float64 comparisons clear of that, and as far from any bug as before (1e-7).
FLOAT64_FLOOR = 1e-9
# Differences below this share of the parameters' size are rounding of some kind (float32
# where float64 was returned, float16...), far below the gap any wrong algorithm makes.
ROUNDING_CEILING = 2e-4
ACCEPTED = (np.dtype(np.float32), np.dtype(np.float64))


def float_dtypes(*values):
    """The float dtypes among ``values`` (arrays, dicts or sequences of arrays, dtypes); ints and bools
    are exact and add none. A Python float counts as float64."""
    found = []
    for value in values:
        if isinstance(value, dict):
            found += float_dtypes(*value.values())
        elif isinstance(value, (list, tuple)):
            found += float_dtypes(*value)
        elif isinstance(value, np.dtype):
            found += [value] if value.kind == "f" else []
        elif isinstance(value, (np.ndarray, np.generic)):
            found += [value.dtype] if value.dtype.kind == "f" else []
        elif isinstance(value, float):
            found.append(np.dtype(np.float64))
    return found


def coarsest(*values):
    """The least precise float dtype among ``values`` (float64 when there is none)."""
    dtypes = float_dtypes(*values) or [np.dtype(np.float64)]
    return max(dtypes, key=lambda dtype: np.finfo(dtype).eps)


def rounding_rtol(dtype):
    """The tolerance, relative to the parameters' size, of a replay computed in ``dtype``."""
    return max(ROUNDING_ULPS * float(np.finfo(dtype).eps), FLOAT64_FLOOR)


def dtype_problem(returned, what):
    """A message when the returned arrays use a float dtype coarser than float32 (None otherwise)."""
    coarse = sorted({str(d) for d in float_dtypes(returned) if d not in ACCEPTED})
    if not coarse:
        return None
    return (f"{what} returned arrays of dtype {', '.join(coarse)}: compute in float32 or float64 "
            "(float16 rounding, about 1e-3, is as large as the mistakes the grader has to tell apart).")


def size_of(*arrays):
    """The size the gaps are measured against: the largest magnitude of any entry (at least 1e-12)."""
    largest = [float(np.max(np.abs(a))) for a in arrays if np.size(a)]
    return max(largest + [1e-12])


def relative_gap(got, expected, keys, scale):
    """The largest entrywise difference between two parameter dicts, relative to ``scale``."""
    with np.errstate(all="ignore"):
        worst = max(float(np.max(np.abs(np.asarray(got[k], dtype=float) - np.asarray(expected[k], dtype=float))))
                    for k in keys)
    return worst / scale if np.isfinite(worst) else np.inf


def explain_gap(smallest, rtol, dtype):
    """One sentence that says whether the smallest gap found is rounding or a different algorithm."""
    allowed = f"rounding in {dtype} (the coarsest dtype of the data and of what came back) allows {rtol:.1g}"
    if smallest <= ROUNDING_CEILING:
        return (f"The closest replay differs by {smallest:.2g} of the parameters' size: only rounding, but more "
                f"than {allowed}. The algorithm looks right; do you compute in float32 (or lower) and convert "
                "the result to float64? Return float32 arrays as they are (float32 is accepted), or compute "
                "in float64.")
    return (f"The closest replay differs by {smallest:.2g} of the parameters' size, far more than {allowed}: "
            "not a rounding difference but a different algorithm.")


def tolerances(expected, *involved):
    """``assert_close`` tolerances for trained values: the default ones, widened to the rounding of the
    coarsest float dtype ``involved`` (relative to the size of ``expected``)."""
    rtol = rounding_rtol(coarsest(*involved))
    return {"rtol": max(RTOL, rtol), "atol": max(ATOL, rtol * size_of(expected))}


import itertools
from dataclasses import dataclass, field

import numpy as np


# Replays are cheap (a few microseconds per step), but their number grows as
# cuts ** epochs: the problems are sized to stay far below these.
MAX_CUTS = 2000
MAX_REPLAYED_STEPS = 200_000


class ReplayTooLarge(ValueError):
    """A replay the grader would not finish in reasonable time (a grader-side sizing error)."""


def epoch_cuts(n, batch_size, keep_partial=True):
    """Every sequence of mini-batches an epoch can make of ``n`` examples: consecutive chunks of
    ``batch_size`` of some permutation (a chunk is a set: the order inside it changes no mean);
    without ``keep_partial`` the last, smaller chunk is left out."""
    sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    cuts = []

    def extend(remaining, prefix, sizes):
        if not sizes:
            cuts.append(tuple(prefix))
            return
        for chunk in itertools.combinations(remaining, sizes[0]):
            if len(cuts) > MAX_CUTS:
                raise ReplayTooLarge(f"more than {MAX_CUTS} ways to cut {n} examples into batches of {batch_size}")
            extend(tuple(i for i in remaining if i not in chunk), prefix + [chunk], sizes[1:])

    extend(tuple(range(n)), [], sizes)
    if not keep_partial and n % batch_size:
        cuts = sorted({cut[:-1] for cut in cuts})
    return cuts


@dataclass(frozen=True)
class SGD:
    """One update rule: torch.optim.SGD's (buffer = momentum * buffer + g, from buffer = g),
    or a classic mistake of it."""
    lr: float
    momentum: float = 0.0
    average: str = ""               # "first": buffer = m * buffer + (1 - m) g after buffer = g (dampening = m);
                                    # "zero": the same from buffer = 0
    restart_each_epoch: bool = False  # the optimizer (and its momentum) made anew every epoch
    accumulate: bool = False          # gradients never zeroed: each step uses the sum of all so far

    def start(self, params):
        return {"params": params, "buffers": None, "sum": None}

    def begin_epoch(self, state):
        return dict(state, buffers=None, sum=None) if self.restart_each_epoch else state

    def step(self, state, grads):
        keys = state["params"].keys()
        if self.accumulate:
            grads = grads if state["sum"] is None else {k: state["sum"][k] + grads[k] for k in keys}
            state = dict(state, sum=grads)
        if self.momentum:
            weight = 1 - self.momentum if self.average else 1.0
            if state["buffers"] is None:
                buffers = {k: (weight if self.average == "zero" else 1.0) * grads[k] for k in keys}
            else:
                buffers = {k: self.momentum * state["buffers"][k] + weight * grads[k] for k in keys}
            state, grads = dict(state, buffers=buffers), buffers
        params = {k: state["params"][k] - self.lr * grads[k] for k in keys}
        return dict(state, params=params)


@dataclass
class Search:
    """The replays that lead to the trained parameters (each a tuple of epochs' cuts), the smallest
    gap of all replays tried, and whether the matching replays used the partial mini-batch."""
    found: list = field(default_factory=list)
    smallest_gap: float = np.inf
    partial_used: bool = True


def _float_params(params):
    return {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}


def search(gradient, rule, start, end, X, y, batch_size, epochs, rtol, keep_partial=True):
    """Every replay of ``epochs`` epochs of ``rule`` from ``start`` that ends within ``rtol`` (of the
    parameters' size) of ``end``."""
    start, end = _float_params(start), _float_params(end)
    keys = sorted(start)
    scale = size_of(*start.values(), *end.values())
    X = np.asarray(X, dtype=np.float64)
    cuts = epoch_cuts(len(X), batch_size, keep_partial)
    steps = sum(len(cuts) ** (e + 1) * len(cuts[0]) for e in range(epochs))
    if steps > MAX_REPLAYED_STEPS:
        raise ReplayTooLarge(f"{steps} replayed steps for {len(cuts)} cuts and {epochs} epochs")
    memo = {}

    def grads(params_key, params, batch):
        # The same step from the same parameters recurs across replays: compute it once.
        key = (params_key, batch)
        if key not in memo:
            rows = list(batch)
            memo[key] = gradient(params, X[rows], y[rows])
        return memo[key]

    result = Search(partial_used=keep_partial)
    frontier = [((), rule.start(start))]
    for _ in range(epochs):
        frontier = [(path + (cut,), _run_epoch(rule, state, cut, grads, path)) for path, state in frontier
                    for cut in cuts]
    for path, state in frontier:
        distance = relative_gap(state["params"], end, keys, scale)
        result.smallest_gap = min(result.smallest_gap, distance)
        if distance <= rtol:
            result.found.append(path)
    return result


def _run_epoch(rule, state, cut, grads, path):
    state = rule.begin_epoch(state)
    for i, batch in enumerate(cut):
        state = rule.step(state, grads((path, cut[:i]), state["params"], batch))
    return state


def search_with_and_without_partial(gradient, rule, start, end, X, y, batch_size, epochs, rtol):
    """:func:`search` with every mini-batch, then, when nothing matches, with the partial one dropped."""
    searched = search(gradient, rule, start, end, X, y, batch_size, epochs, rtol)
    if searched.found or len(X) % batch_size == 0:
        return searched
    dropped = search(gradient, rule, start, end, X, y, batch_size, epochs, rtol, keep_partial=False)
    if dropped.found:
        return dropped
    searched.smallest_gap = min(searched.smallest_gap, dropped.smallest_gap)
    return searched


def first_rule_that_matches(rules, gradient, start, end, X, y, batch_size, epochs, rtol):
    """``(name, search)`` of the first of ``rules`` (name -> SGD) whose replays reach ``end``;
    ``(None, search)`` with the smallest gap over all of them when none does."""
    smallest = np.inf
    for name, rule in rules.items():
        searched = search_with_and_without_partial(gradient, rule, start, end, X, y, batch_size, epochs, rtol)
        if searched.found:
            return name, searched
        smallest = min(smallest, searched.smallest_gap)
    return None, Search(smallest_gap=smallest)


def relabelings(y):
    """Every distinct reordering of the labels ``y`` (each a tuple), the identity first."""
    y = tuple(int(v) for v in y)
    others = sorted(set(itertools.permutations(y)) - {y})
    if len(others) > MAX_CUTS:
        raise ReplayTooLarge(f"{len(others)} reorderings of {len(y)} labels")
    return [y] + others


def one_full_batch_step(gradient, lr, start, end, X, y, rtol):
    """One step on the whole set: ``"paired"`` when ``end`` is start - lr * gradient(start, X, y),
    ``"apart"`` when it is that step for the labels of other examples (X and y shuffled with
    different permutations), else None; with the smallest gap found."""
    start, end = _float_params(start), _float_params(end)
    keys = sorted(start)
    scale = size_of(*start.values(), *end.values())
    X = np.asarray(X, dtype=np.float64)
    smallest = np.inf
    for i, labels in enumerate(relabelings(y)):
        grads = gradient(start, X, np.asarray(labels))
        distance = relative_gap({k: start[k] - lr * grads[k] for k in keys}, end, keys, scale)
        smallest = min(smallest, distance)
        if distance <= rtol:
            return ("paired" if i == 0 else "apart"), smallest
    return None, smallest


from dataclasses import dataclass

import numpy as np



@dataclass(frozen=True)
class Words:
    """How the messages speak of one training function."""
    step: str            # one SGD step, e.g. "params - lr * bprop(params, X_batch, y_batch)"
    initial: str         # where the initial parameters come from
    fresh_order: str     # how to draw a new order every epoch
    together: str        # how to shuffle X and y together


NUMPY_ORDER = ("draw a new order = rng.permutation(n) (or rng.shuffle, or rng.choice(n, n, replace=False)) "
               "at the start of every epoch, not once before the loop")
NUMPY_TOGETHER = "draw one order = rng.permutation(n) and use X[order] with y[order]"
TORCH_ORDER = ("draw a new order at the start of every epoch, e.g. torch.randperm(n, generator=g) with one "
               "g = torch.Generator().manual_seed(seed) made before the loop, or a DataLoader(..., shuffle=True, "
               "generator=g), which reshuffles every epoch")
TORCH_TOGETHER = "index X and y with the same order: X[idx] with y[idx], or a TensorDataset(X, y)"


def _check_precision(returned, what):
    problem = dtype_problem(returned, what)
    if problem:
        raise CheckFailed(problem)


@dataclass
class Run:
    """One training on a tiny problem: its data, and the parameters before and after."""
    X: object
    y: object
    start: dict
    end: dict


def check_epochs(runs, gradient, rule, batch_size, epochs, what, words):
    """Each run's parameters are SGD over ``epochs`` epochs of mini-batches of some permutation, the
    partial mini-batch used; and across the runs the epochs did not all repeat one order."""
    verdicts = []
    for run in runs:
        _check_precision(run.end, what)
        rtol = rounding_rtol(coarsest(run.X, run.start, run.end))
        found = search_with_and_without_partial(gradient, rule, run.start, run.end, run.X, run.y,
                                                         batch_size, epochs, rtol)
        data = format_inputs({"X": run.X, "y": run.y})
        if not found.found:
            raise CheckFailed(
                f"{what}: the returned parameters are not those of SGD from the initial parameters ({words.initial}) "
                f"over {epochs} epochs of mini-batches of a permutation of the examples, for any permutation. Each "
                f"step is {words.step}, with the rows of X and the labels y shuffled by the same permutation. "
                + explain_gap(found.smallest_gap, rtol, coarsest(run.X, run.start, run.end))
                + data)
        if not found.partial_used:
            raise CheckFailed(
                f"{what}: the last, partial mini-batch of each epoch is dropped: the parameters are those of SGD "
                "without it. Use every example: for start in range(0, n, batch_size) makes the leftover examples "
                "the last mini-batch." + data)
        verdicts.append(found.found)
    if not any(all(len(set(path)) > 1 for path in found) for found in verdicts):   # some run surely reshuffled
        example = verdicts[0][0][0]
        raise CheckFailed(
            f"{what}, from {len(runs)} seeds: each time the parameters are those of epochs that visit the "
            f"mini-batches in the same order ({example} every epoch): {words.fresh_order}.")


def check_together(run, gradient, lr, what, words):
    """One step on the whole set (batch_size = n): the step of the examples as they are paired."""
    _check_precision(run.end, what)
    dtype = coarsest(run.X, run.start, run.end)
    rtol = rounding_rtol(dtype)
    verdict, smallest = one_full_batch_step(gradient, lr, run.start, run.end, run.X, run.y, rtol)
    data = format_inputs({"X": run.X, "y": run.y})
    if verdict == "apart":
        raise CheckFailed(f"{what}: the step used the rows of X with the labels of other examples: X and y were "
                          f"shuffled with different permutations. {words.together[0].upper()}{words.together[1:]}."
                          + data)
    if verdict is None:
        raise CheckFailed(f"{what}: the returned parameters are not one step {words.step} on the whole set from "
                          f"the initial parameters ({words.initial}). "
                          + explain_gap(smallest, rtol, dtype) + data)


def check_rule(run, expected, mistakes, gradient, batch_size, epochs, what, words):
    """The parameters are the replay of the ``expected`` rule (an SGD); else name the first of
    ``mistakes`` (description -> SGD) whose replay they are."""
    _check_precision(run.end, what)
    dtype = coarsest(run.X, run.start, run.end)
    rtol = rounding_rtol(dtype)
    rules = {"": expected, **mistakes}
    name, found = first_rule_that_matches(rules, gradient, run.start, run.end, run.X, run.y, batch_size,
                                                  epochs, rtol)
    data = format_inputs({"X": run.X, "y": run.y})
    if name == "":
        return
    if name is not None:
        raise CheckFailed(f"{what}: the parameters are not those of the expected update ({words.step}); they are "
                          f"those of a classic mistake: {name}." + data)
    raise CheckFailed(f"{what}: the returned parameters are not those of {epochs} epochs of {words.step} for any "
                      f"order of the examples. " + explain_gap(found.smallest_gap, rtol, dtype) + data)


def momentum_mistakes(lr, momentum):
    """The classic ways an SGD with momentum goes wrong, as replays (description -> rule)."""
    return {
        "the optimizer is created anew in every epoch (inside the epoch loop), so its momentum restarts from "
        "zero each epoch: create it once, before the loop":
            SGD(lr, momentum, restart_each_epoch=True),
        "the momentum option is ignored (plain SGD): pass the options on to the optimizer, "
        "torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)": SGD(lr),
        "momentum written as an exponential average, buffer = momentum * buffer + (1 - momentum) * grad "
        "(dampening = momentum); SGD's momentum adds the whole gradient: buffer = momentum * buffer + grad":
            SGD(lr, momentum, average="first"),
        "momentum written as an exponential average from zero, buffer = momentum * buffer + (1 - momentum) * "
        "grad; SGD's momentum adds the whole gradient: buffer = momentum * buffer + grad":
            SGD(lr, momentum, average="zero"),
        "optimizer.zero_grad() missing (gradients accumulate over the steps)":
            SGD(lr, momentum, accumulate=True),
    }


# Steps with a tiny learning rate barely change the gradient: n / batch_size steps per epoch move the
# parameters by lr * steps * (full-batch gradient) to within ~0.1% (second order and float32 rounding);
# a wrong step size or a missing step is off by 30% or more.
DISPLACEMENT_RTOL = 0.03


def check_displacement(start, end, full_gradient, lr, steps, batch_size, what):
    """The parameters moved by -lr * steps * (full-batch gradient at ``start``), as ``steps`` mini-batch
    steps of the mean loss do when the learning rate is tiny; else name what happened."""
    keys = sorted(start)
    flat = {k: np.ravel(np.asarray(v, dtype=np.float64)) for k, v in start.items()}
    moved = np.concatenate([np.ravel(np.asarray(end[k], dtype=np.float64)) - flat[k] for k in keys])
    expected = -lr * steps * np.concatenate([np.ravel(np.asarray(full_gradient[k], dtype=np.float64))
                                             for k in keys])
    error = np.linalg.norm(moved - expected) / np.linalg.norm(expected)
    if error <= DISPLACEMENT_RTOL:
        return
    ratio = float(moved @ expected / (expected @ expected))
    if not np.any(moved):
        hint = ("the model it was given was not trained (its parameters did not change): call optimizer.step() "
                "on an optimizer built from this model's parameters, not on a copy of the model")
    elif abs(ratio - batch_size) <= 0.1 * batch_size:
        hint = ("the loss minimised is the sum over the mini-batch (reduction='sum'), not its mean: divide it "
                "by the batch size, or use the default reduction='mean'")
    else:
        hint = (f"they moved {ratio:.3g} times as far as expected, in a direction {error:.0%} off: is every "
                "mini-batch a step of lr times the gradient of the batch's mean loss?")
    raise CheckFailed(f"{what}: after {steps} mini-batch steps with a tiny learning rate the parameters should "
                      f"have moved by lr * {steps} * (gradient of the mean loss over all the examples), to "
                      f"within {DISPLACEMENT_RTOL:.0%}; this looks like a classic mistake: {hint}.")


def check_train_mode(modes, moved, what):
    """``modes``: for each forward pass of the dropout layers that a backward pass went through, whether
    the layer was in train() mode. Every training step runs in train() mode, on the model given."""
    if not moved:
        raise CheckFailed(f"{what}: the model it was given was not trained (its parameters did not change): "
                          "call optimizer.step() on an optimizer built from this model's parameters.")
    if not modes:
        raise CheckFailed(f"{what}: no backward pass went through the model's dropout layer: is the loss "
                          "computed from this model's outputs, with loss.backward()?")
    evaluated = [i for i, training in enumerate(modes) if not training]
    if evaluated:
        raise CheckFailed(
            f"{what}: {len(evaluated)} of its {len(modes)} training steps ran with the model in eval() mode "
            f"(dropout off), the first of them step {evaluated[0] + 1}. Does train_torch switch to eval() to "
            "measure something and never back? Call model.train() at the start of every epoch (every step "
            "runs in train() mode; evaluating in between is fine).")


def check_replayed(run, expected, mistakes, what, description):
    """``run.end`` is the replayed parameters ``expected`` (to the rounding of the dtypes involved);
    else name the first of ``mistakes`` (description -> parameters) that it is."""
    _check_precision(run.end, what)
    dtype = coarsest(run.X, run.start, run.end)
    rtol = rounding_rtol(dtype)
    keys = sorted(run.start)
    scale = size_of(*run.start.values(), *run.end.values())
    distance = relative_gap(run.end, expected, keys, scale)
    if distance <= rtol:
        return
    data = format_inputs({"X": run.X, "y": run.y})
    for name, params in mistakes.items():
        if relative_gap(run.end, params, keys, scale) <= rtol:
            raise CheckFailed(f"{what}: the parameters are not {description}; this looks like a classic mistake: "
                              f"{name}." + data)
    raise CheckFailed(f"{what}: the parameters are not {description}. "
                      + explain_gap(distance, rtol, dtype) + data)



# Reading notebooks as the grader does (generated from autograder/load/notebook.py).
import ast
import builtins
import re
import warnings
from dataclasses import dataclass, field


MAX_NOTEBOOK_BYTES = 16 << 20   # outputs (plots) make notebooks large; the code itself is small
MAX_CELLS = 2000
MAX_CODE_CHARS = 2 << 20        # as for a .py file: parsing is what costs memory, not the JSON

# Calls that may appear in a kept constant: building plain values, nothing that computes for long.
_VALUE_BUILDERS = {"dict", "list", "tuple", "set", "frozenset", "int", "float", "bool", "str",
                   "complex", "range", "slice", "len", "min", "max", "abs", "round", "sum"}
# Cell magics whose body is ordinary Python (the magic line itself is dropped).
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
_CONTRACT_CONSTANTS = {"HYPERPARAMS", "TORCH_HYPERPARAMS"}
_MAGIC_ASSIGNMENT = re.compile(r"^\s*[A-Za-z_][\w.,\s\[\]]*=\s*[!%]")
_HELP_LINE = re.compile(r"^\s*[?]*[A-Za-z_][\w.]*[?]{1,2}\s*$")


class NotebookError(Exception):
    """The notebook cannot be read at all; the message is for the student."""


@dataclass
class LineMap:
    """Where each line of a generated module came from: ``cells[i]`` = (cell, line) of line i+1."""
    notebook: str
    cells: list = field(default_factory=list)

    def locate(self, line):
        if 1 <= line <= len(self.cells):
            cell, cell_line = self.cells[line - 1]
            return f"{self.notebook}, cell {cell}, line {cell_line}"
        return f"{self.notebook} (line {line} of the code taken from it)"


@dataclass
class Statement:
    cell: int
    node: ast.stmt
    lines: list          # source lines of this statement, as in the cell
    first_line: int      # its first line's number in the cell
    defines: set
    uses: set


@dataclass
class Notebook:
    """The definitions found in one notebook, and notes for the student."""
    name: str
    statements: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    known: set = field(default_factory=set)     # every name defined so far

    def parts(self):
        """The parts whose contract names this notebook defines, in contract order."""
        return [part for part, names in PART_NAMES.items() if self.known & set(names)]

    def module_source(self, part):
        """``(source, LineMap)`` of the module for ``part``: its names and everything they use."""
        wanted = _closure(set(PART_NAMES[part]), self.statements)
        out, line_map = [], LineMap(self.name)
        for statement in self.statements:
            if statement.defines & wanted or "*" in statement.defines:
                out += statement.lines
                line_map.cells += [(statement.cell, statement.first_line + i)
                                   for i in range(len(statement.lines))]
        return "\n".join(out) + "\n", line_map


def read(path, name=None):
    """Read the notebook at ``path`` (never run); raises :class:`NotebookError` for the student."""
    import nbformat  # a runtime dependency of grading (requirements.txt)

    name = name or path.rsplit("/", 1)[-1]
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as err:
        raise NotebookError(f"{name} could not be read: {err.strerror or err}") from None
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"{name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB (with its outputs) and was "
                            "not read: clear the outputs (Edit > Clear All Outputs) and submit it again.")
    try:
        text = raw.decode("utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4, capture_validation_error={})
            nbformat.validate(notebook)
    except UnicodeDecodeError:
        raise NotebookError(f"{name} is not a notebook: it is not UTF-8 text.") from None
    except nbformat.ValidationError as err:
        raise NotebookError(f"{name} does not follow the Jupyter notebook format "
                            f"({_first_line(err.message)}), so it was not read: open it in Jupyter, "
                            "save it, and submit it again.") from None
    except (ValueError, RecursionError, TypeError, AttributeError, KeyError) as err:
        # nbformat raises NotJSONError (a ValueError) for broken JSON, and other errors for odd structures
        raise NotebookError(f"{name} is not a readable notebook ({_first_line(str(err))}): "
                            "open it in Jupyter, save it, and submit it again.") from None
    cells = notebook.get("cells", [])
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"{name} has {len(cells)} cells; at most {MAX_CELLS} are read.")
    code = [(number, cell.get("source", "")) for number, cell in enumerate(cells, start=1)
            if cell.get("cell_type") == "code"]
    if sum(len(source) for _, source in code) > MAX_CODE_CHARS:
        raise NotebookError(f"{name} holds more than {MAX_CODE_CHARS >> 20} MB of code, so it was not read.")
    result = Notebook(name)
    for number, source in code:
        _read_cell(result, number, source)
    return result


def _first_line(text, limit=200):
    line = (str(text).strip().splitlines() or [""])[0]
    return line[:limit]


def _read_cell(notebook, number, source):
    lines = _python_lines(source)
    if lines is None:
        return
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        where = f"line {err.lineno}" if getattr(err, "lineno", None) else "somewhere"
        reason = getattr(err, "msg", None) or str(err)
        notebook.notes.append(f"{notebook.name}, cell {number}, {where}: {type(err).__name__}: {reason[:200]}. "
                              "This cell was left out, so nothing it defines is graded; fix it and submit again.")
        return
    body = tree.body
    for i, node in enumerate(body):
        defines = _defines(node)
        if defines and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            unknown = _reads(node) - notebook.known
            if unknown or not (_is_inert(node.value) or defines <= _CONTRACT_CONSTANTS):
                constants = sorted(defines & _CONTRACT_CONSTANTS)
                if constants:
                    why = (f"it uses {', '.join(sorted(unknown))}, which the grader does not have" if unknown
                           else "it calls code, which the grader does not run outside your functions")
                    notebook.notes.append(
                        f"{notebook.name}, cell {number}: the assignment to {', '.join(constants)} was left out: "
                        f"{why}. Write the values themselves (numbers, strings, dicts, classes such as "
                        "torch.optim.Adam).")
                continue
        if not defines:
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        last = node.end_lineno
        shares_a_line = (i > 0 and body[i - 1].end_lineno >= first) or \
                        (i + 1 < len(body) and body[i + 1].lineno <= last)
        text = [ast.unparse(node)] if shares_a_line else lines[first - 1:last]
        if shares_a_line:
            text = text[0].splitlines()
        notebook.statements.append(Statement(number, node, text, first, defines, _uses(node)))
        notebook.known |= defines


def _python_lines(source):
    """The cell's lines with IPython-only syntax blanked out (kept as ``pass`` so that numbers stay)."""
    lines = source.split("\n")
    try:
        ast.parse(source)
        return lines  # plain Python: nothing to strip (a '%' inside a string stays as it is)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return None  # %%bash, %%writefile, ...: not Python
        index = next(i for i, line in enumerate(lines) if line.strip())
        lines = lines[:index] + ["pass"] + lines[index + 1:]
    result = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or _MAGIC_ASSIGNMENT.match(line) or _HELP_LINE.match(line):
            result.append(line[:len(line) - len(stripped)] + "pass")
        else:
            result.append(line)
    return result


def _target_names(target):
    """Names an assignment target binds or changes (``HP["lr"] = ...`` changes HP)."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        names = set()
        for element in target.elts:
            inner = _target_names(element.value if isinstance(element, ast.Starred) else element)
            if inner is None:
                return None
            names |= inner
        return names
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        root = target.value
        while isinstance(root, (ast.Subscript, ast.Attribute)):
            root = root.value
        return {root.id} if isinstance(root, ast.Name) else None
    return None


def _is_inert(node):
    """True when evaluating ``node`` only builds a value: no calls except :data:`_VALUE_BUILDERS`."""
    for child in ast.walk(node):
        if isinstance(child, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
        if isinstance(child, ast.Call):
            if not (isinstance(child.func, ast.Name) and child.func.id in _VALUE_BUILDERS):
                return False
    return True


def _defines(node):
    """The names a kept top-level statement defines; empty for what is left out."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Import):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    if isinstance(node, ast.ImportFrom):
        if node.module == "__future__":
            return set()
        return {alias.asname or alias.name for alias in node.names}
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if value is None:
            return set()
        names = set()
        for target in targets:
            found = _target_names(target)
            if found is None:
                return set()
            names |= found
        return names
    return set()


def _reads(node):
    """Names an assignment reads when it runs (comprehension and lambda variables excluded)."""
    value_reads = _uses(node.value) - {child.id for child in ast.walk(node.value)
                                       if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store)}
    value_reads -= {arg.arg for child in ast.walk(node.value) if isinstance(child, ast.Lambda)
                    for arg in ast.walk(child.args) if isinstance(arg, ast.arg)}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    changed = {name for target in targets if not isinstance(target, (ast.Name, ast.Tuple, ast.List))
               for name in (_target_names(target) or ())}
    if isinstance(node, ast.AugAssign):
        changed |= _target_names(node.target) or set()
    return value_reads | changed


def _uses(node):
    """Every name the statement reads (anywhere inside, function bodies included)."""
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)
            and isinstance(child.ctx, ast.Load)} - set(dir(builtins))


def _closure(names, statements):
    wanted, frontier = set(), set(names)
    while frontier:
        wanted |= frontier
        used = set()
        for statement in statements:
            if statement.defines & frontier:
                used |= statement.uses | statement.defines
        frontier = used - wanted
    return wanted


# --------------------------------------------------------------------------- which notebook feeds a part

def assign_parts(notebooks, py_parts=()):
    """``({part: Notebook}, notes)``: the notebook each part is graded from.

    A part with a ``.py`` file (in ``py_parts``) is not taken from a notebook. A
    notebook named after a part (``mlp.ipynb``) gives only that part and wins over
    others; any other notebook gives every part whose names it defines, and of two
    such, the one defining more of the part's names wins (the first in name order on
    a tie). The notes say what was chosen whenever two sources hold the same part.
    """
    chosen, notes = {}, []
    for notebook in notebooks:
        stem = notebook.name[:-len(".ipynb")] if notebook.name.endswith(".ipynb") else notebook.name
        for part in [stem] if stem in PART_NAMES else notebook.parts():
            rank = (stem == part, len(notebook.known & set(PART_NAMES[part])))
            if part in py_parts:
                notes.append(f"{part}.py and {notebook.name} both hold {part}: {part}.py was graded, "
                             f"not {notebook.name}.")
            elif part in chosen and chosen[part][0] >= rank:
                notes.append(f"{chosen[part][1].name} and {notebook.name} both hold {part}: "
                             f"{chosen[part][1].name} was graded.")
            else:
                if part in chosen:
                    notes.append(f"{notebook.name} and {chosen[part][1].name} both hold {part}: "
                                 f"{notebook.name} was graded.")
                chosen[part] = (rank, notebook)
    return {part: notebook for part, (_, notebook) in chosen.items()}, notes


# --------------------------------------------------------------------------- messages

_LOCATION = re.compile(r"\b([A-Za-z_]\w*\.py), line (\d+)")


def relocate(text, line_maps):
    """Rewrite "part.py, line N" into the notebook cell it came from, for generated parts."""
    if not line_maps or not text:
        return text

    def replace(match):
        line_map = line_maps.get(match.group(1))
        return line_map.locate(int(match.group(2))) if line_map else match.group(0)
    return _LOCATION.sub(replace, text)


read_notebook = read

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


# --------------------------------------------------------------------------- calculus.py

@check("calculus", "sigmoid")
def _(m):
    """sigmoid: shape, values in [0, 1], sigmoid(0) = 0.5, sigmoid(-x) = 1 - sigmoid(x)"""
    x = np.linspace(-6, 6, 13).reshape(13)
    s = expect_shape(m.sigmoid(x), x.shape, "sigmoid(x)")
    require(np.all((s > 0) & (s < 1)), f"sigmoid(x) must lie in (0, 1) for moderate x; got {fmt(s)}")
    expect_close(m.sigmoid(np.array([0.0])), [0.5], "sigmoid(0)")
    expect_close(s[::-1], 1 - s, "sigmoid(-x)", hint="sigmoid(-x) must equal 1 - sigmoid(x): "
                 "is the sign inside exp() right?")
    require(np.all(np.diff(s) > 0), "sigmoid must be increasing: check the sign inside exp()")
    expect_shape(m.sigmoid(np.zeros((2, 3))), (2, 3), "sigmoid(x) for x of shape (2, 3)")


@check("calculus", "sigmoid")
def _(m):
    """sigmoid: stable for |x| up to 1e4"""
    with strict("sigmoid"):
        s = expect_finite(m.sigmoid(EXTREMES), "sigmoid(x) at large |x|")
    expect_close(s[[0, -1]], [0.0, 1.0], "sigmoid(-1e4), sigmoid(1e4)", atol=1e-12)


@check("calculus", "sigmoid_prime", "sigmoid")
def _(m):
    """sigmoid_prime: matches a finite difference of your sigmoid; 0.25 at 0"""
    x = np.linspace(-5, 5, 11)
    expect_close(m.sigmoid_prime(x), fd_elementwise(m.sigmoid, x), "sigmoid_prime(x)", rtol=1e-5, atol=1e-7)
    with strict("sigmoid_prime"):
        expect_finite(m.sigmoid_prime(EXTREMES), "sigmoid_prime(x) at large |x|")


@check("calculus", "tanh_prime")
def _(m):
    """tanh_prime: matches a finite difference of np.tanh"""
    x = np.linspace(-3, 3, 13)
    expect_close(m.tanh_prime(x), fd_elementwise(np.tanh, x), "tanh_prime(x)", rtol=1e-5, atol=1e-7)
    with strict("tanh_prime"):
        expect_finite(m.tanh_prime(EXTREMES), "tanh_prime(x) at large |x|")


@check("calculus", "softplus")
def _(m):
    """softplus: positive, softplus(x) - softplus(-x) = x, stable (softplus(1e4) == 1e4)"""
    x = np.linspace(-5, 5, 11)
    s = expect_shape(m.softplus(x), x.shape, "softplus(x)")
    require(np.all(s > 0), f"softplus(x) must be > 0; got {fmt(s)}")
    expect_close(s - np.asarray(m.softplus(-x), dtype=float), x, "softplus(x) - softplus(-x)")
    with strict("softplus"):
        big = expect_finite(m.softplus(EXTREMES), "softplus(x) at large |x|")
    expect_close(big[[0, -1]], [0.0, 1e4], "softplus(-1e4), softplus(1e4)", atol=1e-10,
                 hint="for large x, ln(1 + e^x) = x + ln(1 + e^-x)")


@check("calculus", "softplus_prime", "softplus")
def _(m):
    """softplus_prime: matches a finite difference of your softplus"""
    x = np.linspace(-5, 5, 11)
    expect_close(m.softplus_prime(x), fd_elementwise(m.softplus, x), "softplus_prime(x)", rtol=1e-5, atol=1e-7)
    with strict("softplus_prime"):
        expect_finite(m.softplus_prime(EXTREMES), "softplus_prime(x) at large |x|")


@check("calculus", "sign")
def _(m):
    """sign: -1, 0 or +1 as float, 0 at 0"""
    x = np.array([-3.0, -1e-9, 0.0, 2e-9, 5.0])
    s = expect_close(m.sign(x), [-1, -1, 0, 1, 1], "sign(x)")
    require(np.asarray(m.sign(x)).dtype.kind == "f", "sign must return floats (e.g. 1.0, not True)")
    expect_shape(s, x.shape, "sign(x)")


@check("calculus", "abs_prime")
def _(m):
    """abs_prime: matches a finite difference of |x| away from 0; 0 at 0"""
    x = away_from_zero(np.random.default_rng(1), (9,))
    expect_close(m.abs_prime(x), fd_elementwise(np.abs, x), "abs_prime(x)", rtol=1e-5, atol=1e-7)
    expect_close(m.abs_prime(np.zeros(3)), np.zeros(3), "abs_prime(0)")


@check("calculus", "relu")
def _(m):
    """relu: relu(x) >= 0 and relu(x) - relu(-x) = x"""
    x = np.linspace(-3, 3, 13)
    r = expect_shape(m.relu(x), x.shape, "relu(x)")
    require(np.all(r >= 0), f"relu(x) must be >= 0; got {fmt(r)}")
    expect_close(r - np.asarray(m.relu(-x), dtype=float), x, "relu(x) - relu(-x)")


@check("calculus", "relu_prime")
def _(m):
    """relu_prime: matches a finite difference of relu away from 0; 0 at 0"""
    x = away_from_zero(np.random.default_rng(2), (9,))
    expect_close(m.relu_prime(x), fd_elementwise(lambda t: np.maximum(t, 0), x), "relu_prime(x)",
                 rtol=1e-5, atol=1e-7)
    expect_close(m.relu_prime(np.zeros(2)), np.zeros(2), "relu_prime(0)", hint="the derivative at 0 is 0 here")


@check("calculus", "l2_squared_grad")
def _(m):
    """l2_squared_grad: matches finite differences of ||x||^2"""
    x = np.random.default_rng(3).normal(size=(3, 2))
    expect_close(m.l2_squared_grad(x), fd_gradient(lambda t: np.sum(t ** 2), x), "l2_squared_grad(x)",
                 rtol=1e-5, atol=1e-7)


@check("calculus", "l1_grad")
def _(m):
    """l1_grad: matches finite differences of ||x||_1 away from 0"""
    x = away_from_zero(np.random.default_rng(4), (3, 2))
    expect_close(m.l1_grad(x), fd_gradient(lambda t: np.sum(np.abs(t)), x), "l1_grad(x)", rtol=1e-5, atol=1e-7)


@check("calculus", "onehot")
def _(m):
    """onehot: shape (n, m), one 1 per row, at column y"""
    y = np.array([2, 0, 1, 2])
    h = expect_shape(m.onehot(y, 4), (4, 4), "onehot(y, 4) with 4 labels")
    require(set(np.unique(h)) <= {0.0, 1.0}, f"onehot must hold only 0 and 1; got {fmt(h)}")
    expect_close(h.sum(axis=1), np.ones(4), "row sums of onehot(y, 4)")
    require(np.array_equal(h.argmax(axis=1), y), f"the 1 of row i must be in column y[i]; got {fmt(h)}")


@check("calculus", "softmax")
def _(m):
    """softmax: positive, rows sum to 1, invariant to adding a constant, any shape"""
    z = np.random.default_rng(5).normal(0, 2, size=(4, 5))
    before = copies(z=z)
    s = expect_shape(m.softmax(z), z.shape, "softmax(z)")
    unchanged(before, {"z": z}, "softmax")
    require(np.all(s > 0), f"softmax(z) must be positive; got {fmt(s)}")
    expect_close(s.sum(axis=1), np.ones(4), "row sums of softmax(z)",
                 hint="normalise over the last axis (axis=-1, keepdims=True), not over everything")
    expect_close(m.softmax(z + 100.0), s, "softmax(z + 100)")
    s3 = expect_shape(m.softmax(np.stack([z, 2 * z])), (2, 4, 5), "softmax of a (2, 4, 5) array")
    expect_close(s3.sum(axis=-1), np.ones((2, 4)), "sums over the last axis of softmax(z) for z (2, 4, 5)")
    s1 = expect_shape(m.softmax(z[0]), (5,), "softmax of a vector (5,)")
    expect_close(s1, s[0], "softmax(z[0]) vs row 0 of softmax(z)")


@check("calculus", "softmax")
def _(m):
    """softmax: stable for entries up to 1e4"""
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [800.0, 799.0, 0.0]])
    with strict("softmax"):
        s = expect_finite(m.softmax(z), "softmax(z) with entries of size 1e4")
    expect_close(s[:2], [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], "softmax(z) with entries of size 1e4",
                 atol=1e-12, hint="subtract the row maximum before exp()")


@check("calculus", "log_softmax", "softmax")
def _(m):
    """log_softmax: exp(log_softmax) = softmax, and stable (finite at 1e4)"""
    z = np.random.default_rng(6).normal(0, 2, size=(3, 4))
    ls = expect_shape(m.log_softmax(z), z.shape, "log_softmax(z)")
    expect_close(np.exp(ls), m.softmax(z), "exp(log_softmax(z))")
    zz = np.array([[1e4, 0.0, -1e4], [0.0, 0.0, 0.0]])
    with strict("log_softmax"):
        big = expect_finite(m.log_softmax(zz), "log_softmax(z) with entries of size 1e4")
    expect_close(big[0], [0.0, -1e4, -2e4], "log_softmax([1e4, 0, -1e4])", rtol=1e-9,
                 hint="log(softmax(z)) gives log(0) = -inf: use z - max - log(sum(exp(z - max)))")


@check("calculus", "softmax_jacobian", "softmax")
def _(m):
    """softmax_jacobian: matches finite differences of your softmax, for (K,) and (n, K)"""
    rng = np.random.default_rng(7)
    z = rng.normal(size=4)
    expect_close(m.softmax_jacobian(z), fd_jacobian(m.softmax, z), "softmax_jacobian(z) for z of shape (4,)",
                 rtol=1e-5, atol=1e-7, hint="J[j, k] = s_j (delta_jk - s_k)")
    Z = rng.normal(size=(3, 4))
    J = expect_shape(m.softmax_jacobian(Z), (3, 4, 4), "softmax_jacobian(z) for z of shape (3, 4)")
    for i in range(3):
        expect_close(J[i], fd_jacobian(m.softmax, Z[i]), f"softmax_jacobian(z)[{i}]", rtol=1e-5, atol=1e-7)


@check("calculus", "binary_logistic_loss")
def _(m):
    """binary_logistic_loss: >= 0, ln 2 at z = 0, and stable at |z| = 1e4"""
    z = np.linspace(-4, 4, 9)
    for label in (0, 1):
        y = np.full(z.shape, label)
        loss = expect_shape(m.binary_logistic_loss(z, y), z.shape, f"binary_logistic_loss(z, y={label})")
        require(np.all(loss >= 0), f"binary_logistic_loss must be >= 0; got {fmt(loss)}")
    expect_close(m.binary_logistic_loss(np.zeros(2), np.array([0, 1])), [np.log(2)] * 2,
                 "binary_logistic_loss(0, y)")
    high = np.asarray(m.binary_logistic_loss(np.array([5.0]), np.array([1])), dtype=float)
    low = np.asarray(m.binary_logistic_loss(np.array([5.0]), np.array([0])), dtype=float)
    require(high.item() < low.item(), "with z = 5 the loss must be smaller for y = 1 than for y = 0: "
            "check which of y and 1 - y goes with ln sigma(z)")
    z = np.array([-1e4, 1e4, -1e4, 1e4])
    y = np.array([1, 0, 0, 1])
    with strict("binary_logistic_loss"):
        big = expect_finite(m.binary_logistic_loss(z, y), "binary_logistic_loss at |z| = 1e4")
    expect_close(big, [1e4, 1e4, 0, 0], "binary_logistic_loss(z, y) at |z| = 1e4", atol=1e-10,
                 hint="write it with softplus: -ln sigma(z) = softplus(-z)")


@check("calculus", "binary_logistic_loss_grad", "binary_logistic_loss")
def _(m):
    """binary_logistic_loss_grad: matches finite differences of your loss"""
    z = np.linspace(-3, 3, 7)
    for label in (0, 1):
        y = np.full(z.shape, label)
        expect_close(m.binary_logistic_loss_grad(z, y), fd_elementwise(lambda t: m.binary_logistic_loss(t, y), z),
                     f"binary_logistic_loss_grad(z, y={label})", rtol=1e-5, atol=1e-7)


@check("calculus", "binary_logistic_loss_hess", "binary_logistic_loss_grad")
def _(m):
    """binary_logistic_loss_hess: matches finite differences of your gradient"""
    z = np.linspace(-3, 3, 7)
    y = np.ones_like(z)
    expect_close(m.binary_logistic_loss_hess(z), fd_elementwise(lambda t: m.binary_logistic_loss_grad(t, y), z),
                 "binary_logistic_loss_hess(z)", rtol=1e-5, atol=1e-7)


@check("calculus", "cross_entropy", "log_softmax")
def _(m):
    """cross_entropy: shape (n,), >= 0, equals -log_softmax(z)[i, y_i], stable at 1e4"""
    rng = np.random.default_rng(8)
    z, y = rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])
    ce = expect_shape(m.cross_entropy(z, y), (5,), "cross_entropy(z, y) for z (5, 3)")
    require(np.all(ce >= 0), f"cross_entropy must be >= 0; got {fmt(ce)}")
    expect_close(ce, -np.asarray(m.log_softmax(z), dtype=float)[np.arange(5), y], "cross_entropy(z, y)",
                 hint="per example -log softmax(z)[i, y_i]; not averaged, not summed")
    zz = np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4]])
    with strict("cross_entropy"):
        big = expect_finite(m.cross_entropy(zz, np.array([0, 2])), "cross_entropy with logits of size 1e4")
    expect_close(big, [0.0, 2e4], "cross_entropy([[1e4, 0, -1e4]] * 2, [0, 2])", rtol=1e-9)


@check("calculus", "cross_entropy_grad", "cross_entropy")
def _(m):
    """cross_entropy_grad: matches finite differences of your cross_entropy, rows sum to 0"""
    rng = np.random.default_rng(9)
    z, y = rng.normal(size=(3, 4)), np.array([3, 0, 1])
    g = expect_shape(m.cross_entropy_grad(z, y), (3, 4), "cross_entropy_grad(z, y)")
    for i in range(3):
        numeric = fd_gradient(lambda t: np.asarray(m.cross_entropy(t[None, :], y[i:i + 1])).sum(), z[i])
        expect_close(g[i], numeric, f"cross_entropy_grad(z, y)[{i}]", rtol=1e-5, atol=1e-7,
                     hint="per example softmax(z) - onehot(y), not divided by n")
    expect_close(g.sum(axis=1), np.zeros(3), "row sums of cross_entropy_grad", atol=1e-9)


@check("calculus", "cross_entropy_hessian", "softmax_jacobian")
def _(m):
    """cross_entropy_hessian: matches finite differences of your cross_entropy_grad"""
    rng = np.random.default_rng(10)
    z = rng.normal(size=(2, 3))
    H = expect_shape(m.cross_entropy_hessian(z), (2, 3, 3), "cross_entropy_hessian(z) for z (2, 3)")
    for i in range(2):
        numeric = fd_jacobian(lambda t: np.asarray(m.cross_entropy_grad(t[None, :], np.array([0])))[0], z[i])
        expect_close(H[i], numeric, f"cross_entropy_hessian(z)[{i}]", rtol=1e-5, atol=1e-7)
    expect_shape(m.cross_entropy_hessian(z[0]), (3, 3), "cross_entropy_hessian(z) for z (3,)")


# --------------------------------------------------------------------------- linear_models.py

def regression_data(seed=11, n=20, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return X, y


@check("linear_models", "mse_cost", "mse_grad")
def _(m):
    """mse_cost / mse_grad: a float >= 0, and the gradient matches finite differences"""
    X, y = regression_data()
    w = np.random.default_rng(12).normal(size=3)
    cost = float(np.asarray(m.mse_cost(X, y, w)))
    require(np.ndim(m.mse_cost(X, y, w)) == 0, "mse_cost must return a single number")
    require(cost >= 0, f"mse_cost must be >= 0; got {cost}")
    before = copies(X=X, y=y, w=w)
    g = m.mse_grad(X, y, w)
    unchanged(before, {"X": X, "y": y, "w": w}, "mse_grad")
    expect_close(g, fd_gradient(lambda t: m.mse_cost(X, y, t), w), "mse_grad(X, y, w)", rtol=1e-5, atol=1e-7,
                 hint="the gradient of (1/(2n)) ||Xw - y||^2 is (1/n) X^T (Xw - y)")


@check("linear_models", "normal_equations")
def _(m):
    """normal_equations: (X^T X + l2 I) w = X^T y, for l2 = 0 and l2 = 0.5"""
    X, y = regression_data()
    for l2 in (0.0, 0.5):
        w = expect_shape(m.normal_equations(X, y, l2=l2), (3,), f"normal_equations(X, y, l2={l2})")
        expect_close((X.T @ X + l2 * np.eye(3)) @ w, X.T @ y, f"(X^T X + l2 I) w for l2={l2}", rtol=1e-6, atol=1e-8)
    expect_shape(m.normal_equations(X, y), (3,), "normal_equations(X, y) (l2 defaults to 0)")


@check("linear_models", "max_learning_rate", "mse_grad")
def _(m):
    """max_learning_rate: gradient descent converges just below it and diverges just above"""
    X, y = regression_data(13, n=30, d=3)
    lr_max = float(np.asarray(m.max_learning_rate(X)))
    require(np.isfinite(lr_max) and lr_max > 0, f"max_learning_rate must be a positive number; got {lr_max}")

    def grad_norm_after(lr, steps=600):
        w = np.zeros(3)
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(steps):
                w = w - lr * np.asarray(m.mse_grad(X, y, w), dtype=float)
            return np.linalg.norm(np.asarray(m.mse_grad(X, y, w), dtype=float))
    start = np.linalg.norm(np.asarray(m.mse_grad(X, y, np.zeros(3)), dtype=float))
    below, above = grad_norm_after(0.95 * lr_max), grad_norm_after(1.05 * lr_max)
    require(below < 1e-3 * start, f"gradient descent with lr = 0.95 * max_learning_rate(X) = {0.95 * lr_max:.4g} "
            f"does not converge (gradient norm {start:.3g} -> {below:.3g}): your value is too large "
            "(this check uses your mse_grad)")
    require(not above < start, f"gradient descent with lr = 1.05 * max_learning_rate(X) = {1.05 * lr_max:.4g} "
            "still converges: your value is too small (2 / largest eigenvalue of X^T X / n)")


@check("linear_models", "linear_regression_gd", "mse_cost", "mse_grad")
def _(m):
    """linear_regression_gd: n_steps + 1 costs, first step is w0 - lr * grad, costs decrease"""
    X, y = regression_data()
    w0 = np.array([0.5, -0.5, 1.0])
    before = copies(w0=w0)
    w, costs = m.linear_regression_gd(X, y, 0.05, 30, w0=w0)
    unchanged(before, {"w0": w0}, "linear_regression_gd")
    w = expect_shape(w, (3,), "w returned by linear_regression_gd")
    costs = expect_shape(costs, (31,), "costs of linear_regression_gd(..., n_steps=30)")
    expect_close(costs[0], m.mse_cost(X, y, w0), "costs[0] (the cost at w0)")
    expect_close(costs[-1], m.mse_cost(X, y, w), "costs[-1] (the cost at the returned w)")
    require(np.all(np.diff(costs) <= 1e-12), f"costs must decrease with a small lr; got {fmt(costs)}")
    w1, _ = m.linear_regression_gd(X, y, 0.05, 1, w0=w0)
    expect_close(w1, w0 - 0.05 * np.asarray(m.mse_grad(X, y, w0), dtype=float), "w after one step")
    w_zero, costs_zero = m.linear_regression_gd(X, y, 0.05, 0)
    expect_close(w_zero, np.zeros(3), "w after 0 steps with w0=None (zeros)")


@check("linear_models", "logreg_predict_proba", "logreg_cost", "logreg_grad")
def _(m):
    """logistic regression: probabilities in [0, 1], gradient matches finite differences"""
    rng = np.random.default_rng(14)
    X = rng.normal(size=(12, 3))
    y = (rng.random(12) < 0.5).astype(int)
    w, b = rng.normal(size=3), 0.3
    p = expect_shape(m.logreg_predict_proba(X, w, b), (12,), "logreg_predict_proba(X, w, b)")
    require(np.all((p >= 0) & (p <= 1)), f"probabilities must be in [0, 1]; got {fmt(p)}")
    cost = float(np.asarray(m.logreg_cost(X, y, w, b)))
    require(cost > 0, f"logreg_cost must be > 0 here; got {cost}")
    dw, db = m.logreg_grad(X, y, w, b)
    expect_close(dw, fd_gradient(lambda t: m.logreg_cost(X, y, t, b), w), "dw of logreg_grad", rtol=1e-5, atol=1e-7,
                 hint="mean over examples: (1/n) X^T (sigma(Xw + b) - y)")
    expect_close(np.asarray(db, dtype=float).reshape(()), fd_gradient(lambda t: m.logreg_cost(X, y, w, t[0]),
                 np.array([b]))[0], "db of logreg_grad", rtol=1e-5, atol=1e-7)
    with strict("logreg_cost"):
        expect_finite(m.logreg_cost(X * 1e4, y, w, b), "logreg_cost with |Xw| near 1e4")


@check("linear_models", "accuracy")
def _(m):
    """accuracy: fraction of equal entries"""
    expect_close(m.accuracy(np.array([0, 1, 2, 3]), np.array([0, 1, 0, 0])), 0.5, "accuracy([0,1,2,3], [0,1,0,0])")
    expect_close(m.accuracy(np.array([1, 1]), np.array([1, 1])), 1.0, "accuracy(y, y)")


@check("linear_models", "linear_trsf", "softmax_regression_predict")
def _(m):
    """softmax regression: linear_trsf has shape (n, m), predict is its argmax"""
    rng = np.random.default_rng(15)
    X, W, b = rng.normal(size=(6, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    z = expect_shape(m.linear_trsf(X, W, b), (6, 3), "linear_trsf(X, W, b) for X (6, 4), W (3, 4)")
    expect_close(m.linear_trsf(np.zeros((2, 4)), W, b), np.tile(b, (2, 1)), "linear_trsf(0, W, b) (must be b)")
    expect_close(np.asarray(m.linear_trsf(X, W, b), dtype=float) - np.asarray(m.linear_trsf(X, W, 0 * b), dtype=float),
                 np.tile(b, (6, 1)), "linear_trsf(X, W, b) - linear_trsf(X, W, 0)")
    pred = expect_shape(m.softmax_regression_predict(X, W, b), (6,), "softmax_regression_predict(X, W, b)")
    require(np.array_equal(pred, z.argmax(axis=1)), f"softmax_regression_predict must be the argmax over classes "
            f"of linear_trsf; got {fmt(pred)}, argmax of your linear_trsf is {fmt(z.argmax(axis=1))}")


@check("linear_models", "cost_ce", "softmax_regression_grad")
def _(m):
    """softmax regression: cost_ce is ln(m) at zero weights, gradient matches finite differences"""
    rng = np.random.default_rng(16)
    X, y = rng.normal(size=(7, 3)), np.array([0, 1, 2, 3, 0, 1, 2])
    W, b = rng.normal(size=(4, 3)), rng.normal(size=4)
    expect_close(m.cost_ce(X, y, np.zeros((4, 3)), np.zeros(4)), np.log(4), "cost_ce at W = 0, b = 0 (ln 4)",
                 hint="the mean, not the sum, over examples")
    dW, db = m.softmax_regression_grad(X, y, W, b)
    expect_close(dW, fd_gradient(lambda t: m.cost_ce(X, y, t, b), W), "dW of softmax_regression_grad",
                 rtol=1e-5, atol=1e-7)
    expect_close(db, fd_gradient(lambda t: m.cost_ce(X, y, W, t), b), "db of softmax_regression_grad",
                 rtol=1e-5, atol=1e-7)


@check("linear_models", "train_softmax_regression", "cost_ce")
def _(m):
    """train_softmax_regression: shapes, one cost per epoch, costs decrease, same rng seed = same result"""
    X, y = blobs(np.random.default_rng(17), 20, [[0, 2], [2, 0], [-2, -2]])
    W, b, costs = m.train_softmax_regression(X, y, 3, 0.1, 8, 10, np.random.default_rng(0))
    W = expect_shape(W, (3, 2), "W of train_softmax_regression")
    b = expect_shape(b, (3,), "b of train_softmax_regression")
    costs = expect_shape(costs, (8,), "costs of train_softmax_regression (one per epoch, 8 epochs)")
    expect_close(costs[-1], m.cost_ce(X, y, W, b), "costs[-1] (cost_ce on all of X after the last epoch)")
    require(costs[-1] < costs[0] < np.log(3), f"costs must decrease (from below ln 3); got {fmt(costs)}")
    W2, b2, _ = m.train_softmax_regression(X, y, 3, 0.1, 8, 10, np.random.default_rng(0))
    expect_close(W2, W, "W of a second run with the same rng seed",
                 hint="use only the rng argument for randomness")


@check("linear_models", "train_softmax_regression", "softmax_regression_grad")
def _(m):
    """train_softmax_regression: with batch_size = n, one epoch is one gradient step from zeros"""
    X = np.random.default_rng(18).normal(size=(7, 2))
    y = np.array([0, 0, 0, 0, 1, 1, 2])  # unbalanced, so that the bias gradient is not 0
    W, b, _ = m.train_softmax_regression(X, y, 3, 0.5, 1, len(X), np.random.default_rng(0))
    dW, db = m.softmax_regression_grad(X, y, np.zeros((3, 2)), np.zeros(3))
    expect_close(W, -0.5 * as_floats(dW, "dW of softmax_regression_grad"), "W after one full-batch epoch (lr = 0.5)",
                 hint="from W = 0, one step W <- W - lr * dW")
    expect_close(b, -0.5 * as_floats(db, "db of softmax_regression_grad"), "b after one full-batch epoch (lr = 0.5)",
                 hint="from b = 0, one step b <- b - lr * db (minus: downhill)")


def replay_of_yours(m):
    """The gradient your softmax_regression_grad gives, as the replays below use it."""
    def gradient(params, X, y):
        dW, db = m.softmax_regression_grad(X, y, params["W"], params["b"])
        return {"W": as_floats(dW, "dW of softmax_regression_grad"), "b": as_floats(db, "db of softmax_regression_grad")}
    return gradient


SOFTMAX_WORDS = Words(step="W - lr * dW, b - lr * db with your softmax_regression_grad on the mini-batch (if its check "
                           "above fails, fix it first)",
                      initial="zeros", fresh_order=NUMPY_ORDER, together=NUMPY_TOGETHER)


def softmax_trained(m, X, y, classes, lr, epochs, batch_size, seed):
    """train_softmax_regression's W and b (in the dtype returned: float32 is allowed for float32 data)."""
    what = f"train_softmax_regression(X, y, {classes}, lr={lr}, epochs={epochs}, batch_size={batch_size}, rng)"
    W, b, _ = m.train_softmax_regression(X, y, classes, lr, epochs, batch_size, np.random.default_rng(seed))
    W, b = as_returned_array(W, what + " -> W"), as_returned_array(b, what + " -> b")
    assert_shape(W, (classes, X.shape[1]), what + " -> W")
    assert_shape(b, (classes,), what + " -> b")
    start = {"W": np.zeros((classes, X.shape[1])), "b": np.zeros(classes)}
    return Run(X, y, start, {"W": W, "b": b}), what


@check("linear_models", "train_softmax_regression", "softmax_regression_grad")
def _(m):
    """train_softmax_regression: a fresh order each epoch, every mini-batch used (the partial one too), X and y together"""
    rng = np.random.default_rng(19)
    runs = []
    for seed in (1, 2, 3):
        X = rng.normal(size=(5, 2)).astype(np.float32)
        run, what = softmax_trained(m, X, rng.permutation(np.array([0, 1, 2, 1, 1])), 3, 0.5, 2, 2, seed)
        runs.append(run)
    check_epochs(runs, replay_of_yours(m), SGD(0.5), 2, 2, what + " on 5 float32 points (3 mini-batches per epoch, "
                 "the last of 1 example)", SOFTMAX_WORDS)
    for seed in (4, 5):
        X = rng.normal(size=(6, 2)).astype(np.float32)
        run, what = softmax_trained(m, X, rng.permutation(np.array([0, 0, 1, 1, 2, 3])), 4, 0.5, 1, 6, seed)
        check_together(run, replay_of_yours(m), 0.5, what + " on 6 float32 points of 4 classes (one step on the whole "
                       "set)", SOFTMAX_WORDS)


@check("linear_models", "perceptron_update")
def _(m):
    """perceptron_update: unchanged when right, rows y and y_hat move when wrong, input not modified"""
    x = np.array([1.0, 2.0, -1.0])
    W = np.zeros((3, 3))
    before = copies(W=W)
    new = expect_shape(m.perceptron_update(W, x, 2), (3, 3), "perceptron_update(W, x, y)")
    unchanged(before, {"W": W}, "perceptron_update")
    expect_close(new, np.array([-x, 0 * x, x]), "perceptron_update(zeros, x, 2)",
                 hint="with all scores tied the prediction is class 0 (first index): row 2 += x, row 0 -= x")
    expect_close(m.perceptron_update(new, x, 2), new, "perceptron_update when the prediction is right",
                 hint="no update when argmax(W x) == y")


@check("linear_models", "train_perceptron", "perceptron_update")
def _(m):
    """train_perceptron: one epoch = updates in order from zeros; separable data gets fully learned"""
    X, y = blobs(np.random.default_rng(18), 10, [[0, 3, 1], [3, 0, 1], [-3, -3, 1]], spread=0.5)
    before = copies(X=X)
    W = np.zeros((3, 3))
    for xi, yi in zip(X, y):
        W = np.asarray(m.perceptron_update(W, xi, int(yi)), dtype=float)
    expect_close(m.train_perceptron(X, y, 3, 1), W, "train_perceptron(X, y, 3, epochs=1)")
    unchanged(before, {"X": X}, "train_perceptron")
    W = expect_shape(m.train_perceptron(X, y, 3, 20), (3, 3), "train_perceptron(X, y, 3, 20)")
    require(np.mean((X @ W.T).argmax(axis=1) == y) == 1.0, "after 20 epochs on separable data every example "
            "should be classified right")


# --------------------------------------------------------------------------- mlp.py

@check("mlp", "init_params")
def _(m):
    """init_params: shapes, zero biases, weights uniform within 1/sqrt(fan-in), drawn from rng"""
    d, dh, k = 50, 30, 10
    p = m.init_params(d, dh, k, np.random.default_rng(0))
    require(isinstance(p, dict) and {"W1", "b1", "W2", "b2"} <= set(p),
            f"init_params must return a dict with keys W1, b1, W2, b2; got {type(p).__name__} "
            f"{sorted(p) if isinstance(p, dict) else ''}")
    for key, shape in [("W1", (dh, d)), ("b1", (dh,)), ("W2", (k, dh)), ("b2", (k,))]:
        expect_shape(p[key], shape, f"params[{key!r}] for d={d}, dh={dh}, m={k}")
    expect_close(p["b1"], np.zeros(dh), "b1")
    expect_close(p["b2"], np.zeros(k), "b2")
    for key, fan_in in [("W1", d), ("W2", dh)]:
        bound, top = 1 / np.sqrt(fan_in), np.abs(p[key]).max()
        require(0.9 * bound <= top <= bound, f"{key} should be uniform in [-1/sqrt({fan_in}), 1/sqrt({fan_in})] "
                f"= +-{bound:.4f}, but its largest |entry| is {top:.4f} (fan-in of {key} is {fan_in})")
        require(np.abs(np.mean(p[key])) < 0.2 * bound, f"{key} should be centred on 0 (uniform in [-a, a])")
    again = m.init_params(d, dh, k, np.random.default_rng(0))
    other = m.init_params(d, dh, k, np.random.default_rng(1))
    require(np.array_equal(again["W1"], p["W1"]) and not np.array_equal(other["W1"], p["W1"]),
            "draw the weights from the rng argument (same seed: same weights, other seed: others)")
    # Rescaled to [-1, 1], independent uniform draws never coincide; reused draws all do.
    reused = common_values(np.asarray(p["W1"], dtype=float) * np.sqrt(d), np.asarray(p["W2"], dtype=float) * np.sqrt(dh))
    require(reused < np.size(p["W2"]) / 2,
            f"{reused} of the {np.size(p['W2'])} entries of W2 * sqrt({dh}) are also entries of W1 * sqrt({d}): "
            "W1 and W2 reuse the same random numbers. Hint: draw each matrix with its own call of rng.uniform, "
            "so that W2's numbers come after W1's in rng's stream.")


def common_values(A, B, tol=1e-9):
    """How many entries of B are within ``tol`` of an entry of A."""
    pool = np.sort(np.ravel(A))
    values = np.ravel(B)
    right = np.clip(np.searchsorted(pool, values), 0, len(pool) - 1)
    left = np.clip(right - 1, 0, len(pool) - 1)
    gap = np.minimum(np.abs(pool[right] - values), np.abs(pool[left] - values))
    return int(np.count_nonzero(gap <= tol))


@check("mlp", "fprop")
def _(m):
    """fprop: keys ha, hs, oa, os with the right shapes; hs = relu(ha); rows of os sum to 1"""
    rng = np.random.default_rng(20)
    params, X = small_params(rng), rng.normal(size=(6, 4))
    before = copies(params=params, X=X)
    f = m.fprop(params, X)
    unchanged(before, {"params": params, "X": X}, "fprop")
    require(isinstance(f, dict) and {"ha", "hs", "oa", "os"} <= set(f),
            f"fprop must return a dict with keys ha, hs, oa, os; got {sorted(f) if isinstance(f, dict) else f}")
    for key, shape in [("ha", (6, 5)), ("hs", (6, 5)), ("oa", (6, 3)), ("os", (6, 3))]:
        expect_shape(f[key], shape, f"fprop(...)[{key!r}] for X (6, 4), dh=5, m=3")
    expect_close(f["hs"], np.maximum(np.asarray(f["ha"], dtype=float), 0), "hs (must be relu(ha))")
    expect_close(np.asarray(f["os"], dtype=float).sum(axis=1), np.ones(6), "row sums of os")
    oa = np.asarray(f["oa"], dtype=float)
    e = np.exp(oa - oa.max(axis=1, keepdims=True))
    expect_close(f["os"], e / e.sum(axis=1, keepdims=True), "os (must be the row softmax of oa)")


@check("mlp", "loss")
def _(m):
    """loss: ln(m) with zero weights; the penalty adds l11|W1|_1 + l12|W1|^2 + l21|W2|_1 + l22|W2|^2"""
    rng = np.random.default_rng(21)
    params, X, y = small_params(rng), rng.normal(size=(6, 4)), np.array([0, 1, 2, 0, 1, 2])
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    expect_close(m.loss(zero, X, y), np.log(3), "loss with all parameters 0 (ln 3)",
                 hint="the mean, not the sum, over examples")
    base = float(np.asarray(m.loss(params, X, y)))
    W1, W2 = params["W1"], params["W2"]
    for reg, penalty in [((0.1, 0, 0, 0), 0.1 * np.abs(W1).sum()), ((0, 0.1, 0, 0), 0.1 * (W1 ** 2).sum()),
                         ((0, 0, 0.1, 0), 0.1 * np.abs(W2).sum()), ((0, 0, 0, 0.1), 0.1 * (W2 ** 2).sum())]:
        expect_close(float(np.asarray(m.loss(params, X, y, reg))) - base, penalty,
                     f"loss(..., reg={reg}) - loss(...) (the penalty)",
                     hint="reg = (l11, l12, l21, l22); biases are not penalised; ||W||_2^2 has no 1/2")


def mlp_problem(seed=22):
    rng = np.random.default_rng(seed)
    return small_params(rng), rng.normal(size=(6, 4)), np.array([0, 1, 2, 0, 2, 2])


def check_grads(m, function, reg):
    params, X, y = mlp_problem()
    before = copies(params=params, X=X)
    g = getattr(m, function)(params, X, y, reg)
    unchanged(before, {"params": params, "X": X}, function)
    require(isinstance(g, dict) and {"W1", "b1", "W2", "b2", "X"} <= set(g),
            f"{function} must return a dict with keys W1, b1, W2, b2, X; got "
            f"{sorted(g) if isinstance(g, dict) else type(g).__name__}")
    for key in ("W1", "b1", "W2", "b2"):
        expect_shape(g[key], params[key].shape, f"{function}(...)[{key!r}]")

        def f(value, key=key):
            changed = dict(params)
            changed[key] = value
            return m.loss(changed, X, y, reg)
        hint = ("biases are not penalised" if key.startswith("b") and any(reg) else
                "if the check without penalty passes, look at the penalty's gradient: "
                "l11 sign(W1) + 2 l12 W1 (same for W2)" if any(reg) else
                "mean over the batch: divide by n once; dW = delta^T input, not its transpose")
        expect_close(g[key], fd_gradient(f, params[key]), f"{function}(params, X, y, reg={reg})[{key!r}]",
                     rtol=1e-4, atol=1e-7, hint=hint)
    expect_close(g["X"], fd_gradient(lambda t: m.loss(params, t, y, reg), X), f"{function}(...)['X']",
                 rtol=1e-4, atol=1e-7)


@check("mlp", "bprop", "loss")
def _(m):
    """bprop: gradients match finite differences of your loss (no penalty)"""
    check_grads(m, "bprop", (0, 0, 0, 0))


@check("mlp", "bprop", "loss")
def _(m):
    """bprop: gradients match finite differences of your loss (with the elastic-net penalty)"""
    check_grads(m, "bprop", (0.01, 0.02, 0.03, 0.04))


@check("mlp", "bprop_loop", "loss")
def _(m):
    """bprop_loop: gradients match finite differences of your loss (with and without penalty)"""
    for reg in ((0, 0, 0, 0), (0.01, 0.02, 0.03, 0.04)):
        check_grads(m, "bprop_loop", reg)


@check("mlp", "bprop_loop", "bprop")
def _(m):
    """bprop_loop: equals bprop (with and without penalty)"""
    params, X, y = mlp_problem(23)
    for reg in ((0, 0, 0, 0), (0.01, 0.02, 0.03, 0.04)):
        loop, matrix = m.bprop_loop(params, X, y, reg), m.bprop(params, X, y, reg)
        for key in ("W1", "b1", "W2", "b2", "X"):
            require(isinstance(loop, dict) and key in loop, f"bprop_loop must return a dict with key {key!r}")
            require(isinstance(matrix, dict) and key in matrix, f"bprop must return a dict with key {key!r}")
            expect_close(loop[key], matrix[key], f"bprop_loop(..., reg={reg})[{key!r}] vs bprop(...)[{key!r}]",
                         rtol=1e-6, atol=1e-9, hint="the two must agree; the finite-difference checks above "
                         "tell which one is wrong")


@check("mlp", "finite_difference")
def _(m):
    """finite_difference: the gradient of a known function, and params left exactly as they were"""
    # Tiny entries such as 1e-7 do not survive (x - eps) + eps in floating point.
    params = {"a": np.array([[0.1, 1e-7], [-0.7, 1.23456e-6]]), "b": np.array([1 / 7, -0.3, 0.9])}
    before = copies(params=params)

    def f(p):
        return float(np.sum(p["a"] ** 2) + 3 * np.sum(p["b"]) + np.prod(p["b"]))
    g = m.finite_difference(f, params)
    require(isinstance(g, dict) and set(g) == {"a", "b"},
            f"finite_difference must return a dict with the keys of params; got {g if not isinstance(g, dict) else sorted(g)}")
    for key in params:
        changed = np.argwhere(params[key] != before["params"][key])
        if len(changed):
            index = tuple(int(i) for i in changed[0])
            raise Failed(f"finite_difference left params[{key!r}]{list(index)} = {float(params[key][index])!r} instead of "
                         f"{float(before['params'][key][index])!r}. Save each entry before perturbing it and put the saved "
                         "value back ((x - eps) + eps is not always x in floating point)")
    b = params["b"]
    # As in the grader: with eps = 1e-5, central (error ~1e-10) and one-sided (error ~1e-5) differences pass.
    expect_close(g["a"], 2 * params["a"], "finite_difference(f, params)['a'] for f = sum(a^2) + ...",
                 rtol=1e-6, atol=1e-4)
    expect_close(g["b"], 3 + np.prod(b) / b, "finite_difference(f, params)['b']", rtol=1e-6, atol=1e-4)


@check("mlp", "finite_difference")
def _(m):
    """finite_difference: uses the eps it is given (central or one-sided differences)"""
    eps = 0.1
    params = {"a": np.array([[0.5, -1.2], [2.0, 0.3]]), "b": np.array([0.7, -0.4, 1.5])}

    def curved(x):
        return x ** 3 + np.sin(x)

    def f(p):
        return float(np.sum(curved(p["a"])) + np.sum(curved(p["b"])))
    g = m.finite_difference(f, copies(params=params)["params"], eps)
    require(isinstance(g, dict) and set(g) == {"a", "b"},
            f"finite_difference must return a dict with the keys of params; got {g if not isinstance(g, dict) else sorted(g)}")
    for key, x in params.items():
        got = as_floats(g[key], f"finite_difference(f, params, eps={eps})[{key!r}]")
        # With eps = 0.1 the three usual schemes differ visibly from each other and from f'.
        schemes = {"central": (curved(x + eps) - curved(x - eps)) / (2 * eps),
                   "forward": (curved(x + eps) - curved(x)) / eps,
                   "backward": (curved(x) - curved(x - eps)) / eps}
        if got.shape == x.shape and any(np.allclose(got, s, rtol=1e-6, atol=1e-6) for s in schemes.values()):
            continue
        exact = 3 * x ** 2 + np.cos(x)
        ignored = got.shape == x.shape and np.allclose(got, exact, rtol=1e-3, atol=1e-3)
        expect_close(got, schemes["central"], f"finite_difference(f, params, eps={eps})[{key!r}] for "
                     "f = sum(x^3 + sin(x)) (one-sided differences with this eps are accepted too)",
                     rtol=1e-6, atol=1e-6,
                     hint="these are the exact derivatives, not finite differences with eps = 0.1: the eps "
                     "argument is ignored (a fixed eps is used); perturb each entry by the eps you are given"
                     if ignored else "perturb each entry by +eps and -eps and divide by 2 eps (or by +eps "
                     "alone and divide by eps)")


@check("mlp", "predict", "fprop")
def _(m):
    """predict: shape (n,), the argmax of your fprop's os"""
    rng = np.random.default_rng(24)
    params, X = small_params(rng), rng.normal(size=(8, 4))
    pred = expect_shape(m.predict(params, X), (8,), "predict(params, X) for X (8, 4)")
    want = np.asarray(m.fprop(params, X)["os"], dtype=float).argmax(axis=1)
    require(np.array_equal(pred, want), f"predict must be the argmax of os; got {fmt(pred)}, expected {fmt(want)}")


@check("mlp", "train_mlp", "loss", "predict")
def _(m):
    """train_mlp: history per epoch, train_loss decreases and equals your loss, on two circles"""
    X, y = two_circles(np.random.default_rng(25), 200)
    Xv, yv = two_circles(np.random.default_rng(26), 60)
    params, history = m.train_mlp(X, y, dh=16, lr=0.2, epochs=15, batch_size=10, reg=(0, 0, 0, 1e-4),
                                  rng=np.random.default_rng(0), X_valid=Xv, y_valid=yv)
    for key, shape in [("W1", (16, 2)), ("b1", (16,)), ("W2", (2, 16)), ("b2", (2,))]:
        expect_shape(params[key], shape, f"params[{key!r}] returned by train_mlp (d=2, dh=16, 2 classes)")
    require(isinstance(history, dict), f"history must be a dict; got {type(history).__name__}")
    for key in ("train_loss", "train_error", "valid_loss", "valid_error"):
        require(key in history, f"history has no {key!r} (keys: {sorted(history)})")
        expect_shape(history[key], (15,), f"history[{key!r}] (one entry per epoch, 15 epochs)")
    losses = np.asarray(history["train_loss"], dtype=float)
    expect_close(losses[-1], m.loss(params, X, y, (0, 0, 0, 1e-4)),
                 "history['train_loss'][-1] vs your loss on the whole training set (penalty included)", rtol=1e-5)
    expect_close(history["train_error"][-1], np.mean(np.asarray(m.predict(params, X)) != y),
                 "history['train_error'][-1] vs the fraction your predict gets wrong")
    require(losses[-1] < losses[0], f"train_loss should decrease on this easy problem; got {fmt(losses)}")
    require(history["train_error"][-1] < 0.2, f"after 15 epochs on two circles the training error should be "
            f"below 20%; got {history['train_error'][-1]}")
    _, plain = m.train_mlp(X, y, dh=8, lr=0.1, epochs=2, batch_size=32)
    require("valid_loss" not in plain or not len(plain["valid_loss"]),
            "without validation data, history should not report valid_loss")


MLP_WORDS = Words(step="params - lr * bprop(params, X_batch, y_batch, reg) with your bprop (if a bprop check above "
                       "fails, fix it first)",
                  initial="those train_mlp returns with lr = 0", fresh_order=NUMPY_ORDER, together=NUMPY_TOGETHER)


def your_bprop(m, reg=(0, 0, 0, 0)):
    def gradient(params, X, y):
        grads = m.bprop(params, X, y, reg)
        return {key: as_floats(grads[key], f"bprop(...)[{key!r}]") for key in params}
    return gradient


def mlp_trained(m, X, y, seed, **hp):
    """The parameters train_mlp starts from (lr = 0) and ends with, in the dtype returned."""
    ends = []
    for lr in (0.0, hp["lr"]):
        params = m.train_mlp(X, y, **{**hp, "lr": lr}, rng=np.random.default_rng(seed))[0]
        ends.append({key: as_returned_array(params[key], f"params[{key!r}] returned by train_mlp")
                     for key in ("W1", "b1", "W2", "b2")})
    return Run(X, y, *ends)


@check("mlp", "train_mlp", "bprop")
def _(m):
    """train_mlp: a fresh permutation each epoch, every mini-batch used (the partial one too)"""
    n, batch_size, lr = 5, 2, 0.5
    what = (f"train_mlp(X, y, dh=3, lr={lr}, epochs=2, batch_size={batch_size}, rng) on {n} float32 points "
            "(3 mini-batches per epoch, the last of 1 example)")
    rng = np.random.default_rng(27)
    runs = [mlp_trained(m, rng.normal(size=(n, 2)).astype(np.float32), rng.permutation(np.array([0, 1, 0, 1, 1])),
                        seed, dh=3, lr=lr, epochs=2, batch_size=batch_size) for seed in (1, 2, 3)]
    check_epochs(runs, your_bprop(m), SGD(lr), batch_size, 2, what, MLP_WORDS)


@check("mlp", "train_mlp", "bprop")
def _(m):
    """train_mlp: X and y shuffled together; the penalty reg is part of every step"""
    rng = np.random.default_rng(28)
    what = "train_mlp(X, y, dh=3, lr=0.5, epochs=1, batch_size=6, rng) on 6 float32 points of 4 classes (one step)"
    for seed in (1, 2):
        run = mlp_trained(m, rng.normal(size=(6, 2)).astype(np.float32), rng.permutation(np.array([0, 0, 1, 1, 2, 3])),
                          seed, dh=3, lr=0.5, epochs=1, batch_size=6)
        check_together(run, your_bprop(m), 0.5, what, MLP_WORDS)
    reg = (0.02, 0.03, 0.04, 0.05)
    X, y = rng.normal(size=(6, 2)).astype(np.float32), rng.permutation(np.array([0, 0, 1, 1, 2, 2]))
    run = mlp_trained(m, X, y, 3, dh=3, lr=0.5, epochs=1, batch_size=6, reg=reg)

    def step(gradient):
        return {key: as_floats(value, key) - 0.5 * gradient(run.start, X, y)[key] for key, value in run.start.items()}
    check_replayed(run, step(your_bprop(m, reg)),
                   {"the penalty is not trained on: each step uses bprop(params, X_batch, y_batch) without reg. Pass "
                    "reg on: bprop(params, X_batch, y_batch, reg)": step(your_bprop(m))},
                   what.replace("epochs=1", f"epochs=1, reg={reg}"),
                   f"one step params - lr * bprop(params, X, y, reg={reg}) with your bprop")


@check("mlp", "HYPERPARAMS", "train_mlp")
def _(m):
    """HYPERPARAMS: complete, and an estimate of your Fashion-MNIST training time"""
    hp = getattr(m, "HYPERPARAMS", None)
    problems = hyperparams_problems(hp, TRAIN_SUBSET)
    require(not problems, "\n".join(problems))
    rng = np.random.default_rng(0)
    n = 2000
    X = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    options = dict(hp, epochs=1)
    started = time.process_time()
    m.train_mlp(X, y, rng=np.random.default_rng(0), **options)
    seconds = (time.process_time() - started) * TRAIN_SUBSET / n * int(hp["epochs"])
    budget = TRAIN_CPU_SECONDS["numpy_mlp"]
    require(seconds < 0.8 * budget, f"training with HYPERPARAMS on {TRAIN_SUBSET:,} images would take about "
            f"{seconds:.0f} CPU seconds here; the grader allows {budget} s (on a similar machine): use fewer "
            "epochs, a smaller dh or a larger batch_size")
    return f"estimated training time on {TRAIN_SUBSET:,} images: about {seconds:.0f} CPU s of {budget} s allowed"


# --------------------------------------------------------------------------- conv.py

@check("conv", "conv_output_size")
def _(m):
    """conv_output_size: floor((n + 2 padding - k) / stride) + 1"""
    for args, want in [((28, 5), 24), ((28, 3, 1, 1), 28), ((7, 3, 2), 3), ((8, 3, 2), 3), ((5, 5), 1),
                       ((10, 4, 3, 2), 4)]:
        got = m.conv_output_size(*args)
        require(got == want and float(got).is_integer(), f"conv_output_size{args} returned {got!r}, expected {want}"
                " (round down: integer division //)")


@check("conv", "conv2d")
def _(m):
    """conv2d: output shape, cross-correlation (kernel not flipped), stride int or pair"""
    rng = np.random.default_rng(30)
    image = rng.normal(size=(7, 9))
    before = copies(image=image)
    expect_shape(m.conv2d(image, np.ones((3, 2))), (5, 8), "conv2d(image (7, 9), kernel (3, 2))")
    unchanged(before, {"image": image}, "conv2d")
    for stride, shape in [(2, (3, 4)), ((1, 2), (5, 4))]:
        expect_shape(m.conv2d(image, np.ones((3, 2)), stride=stride), shape,
                     f"conv2d(image (7, 9), kernel (3, 2), stride={stride})")
    for a, b in [(0, 0), (2, 1), (1, 0)]:
        kernel = np.zeros((3, 2))
        kernel[a, b] = 1.0
        expect_close(m.conv2d(image, kernel), image[a:a + 5, b:b + 8],
                     f"conv2d(image, kernel) with a single 1 at kernel[{a}, {b}]",
                     hint="out[i, j] = sum_ab image[i + a, j + b] kernel[a, b]: no kernel flip")
        expect_close(m.conv2d(image, kernel, stride=2), image[a:a + 5:2, b:b + 8:2],
                     f"conv2d(..., stride=2) with a single 1 at kernel[{a}, {b}]")


def torch_or_none():
    try:
        import torch
        return torch
    except ImportError:
        return None


@check("conv", "conv2d_multi")
def _(m):
    """conv2d_multi: shapes, channels, bias, padding, stride (and equal to torch's conv2d if installed)"""
    rng = np.random.default_rng(31)
    x, w, b = rng.normal(size=(2, 3, 6, 7)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    before = copies(x=x, w=w)
    out = expect_shape(m.conv2d_multi(x, w), (2, 4, 4, 6), "conv2d_multi(x (2, 3, 6, 7), w (4, 3, 3, 2))")
    unchanged(before, {"x": x, "w": w}, "conv2d_multi")
    for f, c, a, b_ in [(0, 0, 0, 0), (2, 1, 2, 1), (3, 2, 1, 0)]:
        delta = np.zeros_like(w)
        delta[f, c, a, b_] = 1.0
        single = expect_shape(m.conv2d_multi(x, delta), (2, 4, 4, 6), "conv2d_multi(x, w)")
        expect_close(single[:, f], x[:, c, a:a + 4, b_:b_ + 6],
                     f"conv2d_multi(x, w)[:, {f}] with a single 1 in w, at w[{f}, {c}, {a}, {b_}]",
                     hint="out[n, f, i, j] = sum over c, a, b of x[n, c, i + a, j + b] w[f, c, a, b]: "
                          "input channel c of x goes with w[:, c]; no kernel flip")
    expect_close(m.conv2d_multi(x, 2 * w), 2 * out, "conv2d_multi(x, 2 w) (must be twice conv2d_multi(x, w))")
    expect_close(m.conv2d_multi(x, w, b), out + b[None, :, None, None], "conv2d_multi(x, w, b) - bias")
    expect_shape(m.conv2d_multi(x, w, padding=1, stride=2), (2, 4, 3, 4), "conv2d_multi(..., stride=2, padding=1)")
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expect_close(m.conv2d_multi(x, w, b, padding=1), m.conv2d_multi(padded, w, b),
                 "conv2d_multi(x, w, b, padding=1) vs conv2d_multi(zero-padded x, w, b)")
    torch = torch_or_none()
    if torch is not None:
        for stride, padding in [(1, 0), (2, 1), ((2, 1), 2)]:
            want = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                              stride=stride, padding=padding).numpy()
            expect_close(m.conv2d_multi(x, w, b, stride=stride, padding=padding), want,
                         f"conv2d_multi(x, w, b, stride={stride}, padding={padding}) vs torch's conv2d")


@check("conv", "max_pool2d")
def _(m):
    """max_pool2d: shape (windows that do not fit are dropped), default stride = size, window maxima"""
    rng = np.random.default_rng(32)
    x = rng.normal(size=(2, 3, 7, 8))
    before = copies(x=x)
    out = expect_shape(m.max_pool2d(x, 2), (2, 3, 3, 4), "max_pool2d(x (2, 3, 7, 8), 2)")
    unchanged(before, {"x": x}, "max_pool2d")
    expect_shape(m.max_pool2d(x, 3, stride=2), (2, 3, 3, 3), "max_pool2d(x (2, 3, 7, 8), 3, stride=2)")
    expect_close(m.max_pool2d(x, 1), x, "max_pool2d(x, 1) (must be x)")
    for (i, j) in [(0, 0), (2, 3), (1, 2)]:
        expect_close(out[1, 2, i, j], x[1, 2, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max(),
                     f"max_pool2d(x, 2)[1, 2, {i}, {j}] (max of its 2x2 window)")
    torch = torch_or_none()
    if torch is not None:
        want = torch.nn.functional.max_pool2d(torch.tensor(x), 3, stride=2).numpy()
        expect_close(m.max_pool2d(x, 3, stride=2), want, "max_pool2d(x, 3, stride=2) vs torch's max_pool2d")


# --------------------------------------------------------------------------- torch_models.py

@check("torch_models", "autograd_descent")
def _(m):
    """autograd_descent: one step from zeros is 2 lr target x; converges to 0.2 for x = ones(5)"""
    x = np.array([1.0, 2.0, -1.0])
    w1 = expect_shape(to_numpy(m.autograd_descent(x, 1.0, 0.01, 1)), (3,), "autograd_descent(x (3,), 1, 0.01, 1)")
    expect_close(w1, 0.02 * x, "w after one step from zeros",
                 hint="the gradient of (target - x.w)^2 at w = 0 is -2 target x; step w -= lr * grad")
    w = to_numpy(m.autograd_descent(np.ones(5), 1.0, 0.05, 300))
    expect_close(w, np.full(5, 0.2), "autograd_descent(ones(5), 1.0, 0.05, 300)", rtol=1e-6, atol=1e-8,
                 hint="zero w.grad after each step: .backward() accumulates")


def to_numpy(value):
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


@check("torch_models", "dropout")
def _(m):
    """dropout: zeroes a fraction p, scales survivors by 1/(1-p), identity when not training"""
    x = np.ones((200, 500))
    before = copies(x=x)
    out = expect_shape(m.dropout(x, 0.3, True, np.random.default_rng(0)), x.shape, "dropout(x, 0.3, True, rng)")
    unchanged(before, {"x": x}, "dropout")
    zero = np.mean(out == 0)
    require(abs(zero - 0.3) < 0.01, f"dropout(x, p=0.3, training=True) zeroed {zero:.3f} of the entries, "
            "expected about 0.3 (p is the probability of DROPPING an entry)")
    survivors = np.unique(out[out != 0])
    expect_close(survivors, [1 / 0.7], "the surviving entries of dropout(ones, 0.3, True, rng)",
                 hint="inverted dropout scales survivors by 1 / (1 - p)")
    expect_close(m.dropout(x[:3, :4], 0.3, False, np.random.default_rng(0)), x[:3, :4],
                 "dropout(x, 0.3, training=False, rng)", hint="no dropout (and no scaling) when not training")
    a = to_numpy(m.dropout(x[:10], 0.5, True, np.random.default_rng(1)))
    b = to_numpy(m.dropout(x[:10], 0.5, True, np.random.default_rng(1)))
    c = to_numpy(m.dropout(x[:10], 0.5, True, np.random.default_rng(2)))
    require(np.array_equal(a, b) and not np.array_equal(a, c), "draw the mask from the rng argument "
            "(same seed: same mask, other seed: another mask)")


def torch_forward(model, x):
    import torch
    with torch.no_grad():
        return model(torch.as_tensor(x, dtype=torch.float32)).numpy()


@check("torch_models", "LogisticRegression", "MLP")
def _(m):
    """LogisticRegression and MLP: logits of shape (n, m); MLP dropout active in train(), off in eval()"""
    import torch
    x = np.random.default_rng(33).normal(size=(4, 6))
    model = m.LogisticRegression(6, 3)
    require(isinstance(model, torch.nn.Module), "LogisticRegression must be a torch.nn.Module")
    expect_shape(torch_forward(model, x), (4, 3), "LogisticRegression(6, 3)(x (4, 6))")
    torch.manual_seed(0)
    mlp = m.MLP(6, [32, 16], 3, dropout=0.5)
    require(isinstance(mlp, torch.nn.Module), "MLP must be a torch.nn.Module")
    expect_shape(torch_forward(mlp, x), (4, 3), "MLP(6, [32, 16], 3)(x (4, 6))")
    mlp.train()
    require(not np.array_equal(torch_forward(mlp, x), torch_forward(mlp, x)),
            "MLP(..., dropout=0.5) in train() mode gives the same output twice: is dropout used?")
    mlp.eval()
    require(np.array_equal(torch_forward(mlp, x), torch_forward(mlp, x)),
            "MLP in eval() mode must be deterministic (use nn.Dropout, which eval() switches off)")
    plain = m.MLP(6, [8], 3)
    plain.train()
    require(np.array_equal(torch_forward(plain, x), torch_forward(plain, x)),
            "MLP with dropout=0 must be deterministic")


@check("torch_models", "ConvNetDropout")
def _(m):
    """ConvNetDropout: a convolution and a dropout layer; (n, 1, 28, 28) -> (n, 10); dropout only in train()"""
    import torch
    torch.manual_seed(0)
    model = m.ConvNetDropout(p=0.5)
    kinds = [type(layer) for layer in model.modules()]
    require(any(issubclass(k, torch.nn.modules.conv._ConvNd) for k in kinds), "ConvNetDropout has no convolution layer")
    require(any(issubclass(k, (torch.nn.Dropout, torch.nn.Dropout2d)) for k in kinds),
            "ConvNetDropout has no nn.Dropout / nn.Dropout2d layer")
    x = np.random.default_rng(34).random((3, 1, 28, 28))
    model.train()
    a = expect_shape(torch_forward(model, x), (3, 10), "ConvNetDropout()(x (3, 1, 28, 28))")
    require(not np.array_equal(a, torch_forward(model, x)), "ConvNetDropout(p=0.5) in train() mode gives the same "
            "output twice: is its dropout used in forward()?")
    model.eval()
    require(np.array_equal(torch_forward(model, x), torch_forward(model, x)), "ConvNetDropout must be "
            "deterministic in eval() mode")


@check("torch_models", "train_torch")
def _(m):
    """train_torch: one mean loss per epoch, losses decrease, the same seed gives the same result"""
    import torch
    X, y = blobs(np.random.default_rng(35), 30, [[0, 2], [2, 0], [-2, -2]])
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)

    def run():
        torch.manual_seed(123)
        model = torch.nn.Linear(2, 3)
        losses = m.train_torch(model, Xt, yt, 6, 0.1, 16, 0)
        return model, losses
    model, losses = run()
    losses = expect_shape([float(v) for v in losses], (6,), "train_torch(..., epochs=6) (one loss per epoch)")
    require(losses[-1] < losses[0], f"the training loss should decrease; got {fmt(losses)}")
    model2, losses2 = run()
    expect_close(losses2, losses, "losses of a second run with the same seed",
                 hint="shuffle with a generator seeded from `seed` (torch.Generator().manual_seed(seed))")


@check("torch_models", "train_torch")
def _(m):
    """train_torch: each epoch's loss is the mean cross-entropy per example"""
    import torch
    X, y = blobs(np.random.default_rng(36), 30, [[0, 2], [2, 0], [-2, -2]])
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)
    torch.manual_seed(7)
    model = torch.nn.Linear(2, 3)
    with torch.no_grad():
        expected = float(torch.nn.functional.cross_entropy(model(Xt), yt))
    losses = m.train_torch(model, Xt, yt, 2, 0.0, 15, 0)  # lr = 0: the model stays as it is
    losses = expect_shape([float(v) for v in losses], (2,), "train_torch(..., epochs=2)")
    expect_close(losses, [expected, expected], "the losses of train_torch with lr = 0 (90 examples, batches of 15)",
                 rtol=1e-4, hint="report the mean loss per example over the epoch, not the sum of the batch losses")


def linear_gradient(params, X, y):
    """The gradient of the mean cross-entropy of X W^T + b (torch's autograd, in float64)."""
    import torch
    W = torch.tensor(np.asarray(params["W"], dtype=float), requires_grad=True)
    b = torch.tensor(np.asarray(params["b"], dtype=float), requires_grad=True)
    torch.nn.functional.cross_entropy(torch.as_tensor(np.asarray(X, dtype=float)) @ W.T + b,
                                      torch.as_tensor(np.asarray(y, dtype=np.int64))).backward()
    return {"W": W.grad.numpy(), "b": b.grad.numpy()}


TORCH_WORDS = Words(step="W - lr * (gradient of the mini-batch's mean cross-entropy)",
                    initial="the model's parameters before train_torch", fresh_order=TORCH_ORDER,
                    together=TORCH_TOGETHER)


def linear_trained(m, X, y, classes, epochs, lr, batch_size, seed, **options):
    """An nn.Linear before and after your train_torch on (X, y)."""
    import torch
    torch.manual_seed(seed)
    model = torch.nn.Linear(X.shape[1], classes)

    def parameters():
        return {"W": model.weight.detach().numpy().copy(), "b": model.bias.detach().numpy().copy()}
    start = parameters()
    m.train_torch(model, torch.tensor(X), torch.tensor(y, dtype=torch.int64), epochs, lr, batch_size, seed, **options)
    return Run(X, y, start, parameters())


@check("torch_models", "train_torch")
def _(m):
    """train_torch: a fresh order each epoch, every mini-batch used (the partial one too), X and y together"""
    rng = np.random.default_rng(38)
    # Batches of 3 of 5 points: 10 ways to cut an epoch, few enough to replay with autograd here.
    what = "train_torch(nn.Linear(2, 2), X, y, epochs=2, lr=0.5, batch_size=3, seed) on 5 points (2 mini-batches per epoch)"
    runs = [linear_trained(m, rng.normal(size=(5, 2)).astype(np.float32), rng.permutation(np.array([0, 1, 0, 1, 1])),
                           2, 2, 0.5, 3, seed) for seed in (1, 2, 3, 4)]
    check_epochs(runs, linear_gradient, SGD(0.5), 3, 2, what, TORCH_WORDS)
    what = "train_torch(nn.Linear(2, 4), X, y, epochs=1, lr=0.5, batch_size=6, seed) on 6 points (one step)"
    for seed in (4, 5):
        run = linear_trained(m, rng.normal(size=(6, 2)).astype(np.float32),
                             rng.permutation(np.array([0, 0, 1, 1, 2, 3])), 4, 1, 0.5, 6, seed)
        check_together(run, linear_gradient, 0.5, what, TORCH_WORDS)


@check("torch_models", "train_torch")
def _(m):
    """train_torch: momentum=0.9 is SGD's momentum, in one optimizer for all the epochs"""
    rng = np.random.default_rng(37)
    lr, momentum = 0.5, 0.9
    run = linear_trained(m, rng.normal(size=(4, 2)).astype(np.float32), rng.permutation(np.array([0, 0, 1, 1])), 2, 3,
                         lr, 2, 0, momentum=momentum)
    words = Words(step=f"SGD with momentum {momentum} (velocity = {momentum} * velocity + gradient, W -= lr * "
                       "velocity) carried across the epochs: torch.optim.SGD(model.parameters(), lr=lr, **options) "
                       "made once, before the epoch loop",
                  initial=TORCH_WORDS.initial, fresh_order=TORCH_ORDER, together=TORCH_TOGETHER)
    check_rule(run, SGD(lr, momentum), momentum_mistakes(lr, momentum), linear_gradient, 2, 3,
               f"train_torch(nn.Linear(2, 2), X, y, epochs=3, lr={lr}, batch_size=2, seed, momentum={momentum}) on 4 "
               "points (2 mini-batches per epoch)", words)


@check("torch_models", "train_torch")
def _(m):
    """train_torch: every training step in train() mode (dropout active), also after evaluating"""
    import torch
    torch.manual_seed(39)
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(16, 3))
    modes = []

    def record(module, inputs, output):
        if output.requires_grad:
            mode = module.training
            output.register_hook(lambda grad: modes.append(mode))
    model[2].register_forward_hook(record)
    before = [p.detach().clone() for p in model.parameters()]
    X, y = blobs(np.random.default_rng(39), 20, [[0, 2, 0, 0, 0], [2, 0, 0, 0, 0], [-2, -2, 0, 0, 0]])
    m.train_torch(model, torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64), 3, 0.1, 16, 0)
    moved = any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    check_train_mode(modes, moved, "train_torch(model with an nn.Dropout(0.5), X, y, epochs=3, lr=0.1, batch_size=16, "
                                   "seed)")


@check("torch_models", "TORCH_HYPERPARAMS")
def _(m):
    """TORCH_HYPERPARAMS: logreg, mlp and convnet, each with epochs, lr and batch_size"""
    problems = torch_hyperparams_problems(getattr(m, "TORCH_HYPERPARAMS", None), TRAIN_SUBSET)
    require(not problems, "\n".join(problems))


# --------------------------------------------------------------------------- running

def symbols():
    try:
        "✓✗".encode(sys.stdout.encoding or "ascii")
        return "✓", "✗"
    except (UnicodeEncodeError, LookupError):
        return "ok", "XX"


@contextlib.contextmanager
def time_limit(seconds):
    if not hasattr(signal, "SIGALRM") or seconds <= 0:
        yield
        return

    def expired(signum, frame):
        raise CheckTimeout()
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def where_in_student_code(error, folder):
    """'file.py, line N' of the deepest frame in the student's files, if any."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        if os.path.dirname(os.path.abspath(frame.filename)) == folder:
            found = f"{os.path.basename(frame.filename)}, line {frame.lineno}: {frame.line}"
    return found


def describe_error(error, folder):
    if isinstance(error, Failed):
        return str(error)
    if isinstance(error, CheckTimeout):
        return "took too long (an infinite loop, or a Python loop over many entries?)"
    if isinstance(error, NotImplementedError):
        frames = traceback.extract_tb(error.__traceback__)
        which = str(error) or (frames[-1].name if frames else "")
        return f"not implemented yet ({which})" if which else "not implemented yet"
    where = where_in_student_code(error, folder)
    text = f"raised {type(error).__name__}: {error}".strip()
    return text + (f"\n  at {where}" if where else "")


def import_student_modules(folder, wanted, limit):
    """name -> module or error message (or None when the file is absent)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here or here == folder]
    sys.path.insert(0, folder)
    modules = {}
    for name in wanted:
        if not os.path.isfile(os.path.join(folder, name + ".py")):
            modules[name] = None
            continue
        try:
            with time_limit(max(limit, 60)):
                modules[name] = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if name == "torch_models" and err.name == "torch":
                modules[name] = "torch is not installed here, so torch_models.py was not checked"
            else:
                modules[name] = f"{name}.py could not be imported: {describe_error(err, folder)}"
        except BaseException as err:  # noqa: BLE001 - anything at import time is the student's to see
            if isinstance(err, KeyboardInterrupt):
                raise
            modules[name] = f"{name}.py could not be imported: {describe_error(err, folder)}"
    return modules


def run(folder, wanted, limit, out=sys.stdout):
    ok, ko = symbols()
    folder = os.path.abspath(folder)
    modules = import_student_modules(folder, wanted, limit)
    print(f"Checking the files in {folder}\n", file=out)
    passed, failed, to_fix, skipped = 0, 0, [], []
    for name in wanted:
        module = modules[name]
        if module is None:
            print(f"{name}.py: not found, skipped\n", file=out)
            skipped.append(name)
            continue
        if isinstance(module, str):
            symbol = "-" if module.startswith("torch is not installed") else ko
            print(f"{name}.py\n  {symbol} " + module.replace("\n", "\n      ") + "\n", file=out)
            if symbol == ko:
                failed += 1
                to_fix.append(f"{name}.py")
            else:
                skipped.append(name)
            continue
        print(f"{name}.py", file=out)
        for module_name, names, title, function in CHECKS:
            if module_name != name:
                continue
            absent = [n for n in names if not hasattr(module, n)]
            started = time.monotonic()
            try:
                if absent:
                    raise Failed(f"{name}.py does not define {', '.join(absent)}")
                with time_limit(limit):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        note = function(module)
            except KeyboardInterrupt:
                raise
            except BaseException as err:  # noqa: BLE001 - a check never stops the others
                failed += 1
                if names[0] not in to_fix:
                    to_fix.append(names[0])
                message = describe_error(err, folder).replace("\n", "\n      ")
                print(f"  {ko} {title}\n      {message}", file=out)
                continue
            passed += 1
            seconds = time.monotonic() - started
            print(f"  {ok} {title}" + (f"  ({seconds:.1f} s)" if seconds > 2 else ""), file=out)
            if note:
                print(f"      ({note})", file=out)
        print(file=out)
    total = passed + failed
    if len(skipped) == len(wanted) and not failed:
        print(f"No homework file ({', '.join(n + '.py' for n in wanted)}) was found in {folder}: run this "
              "in the folder that holds your files, or give that folder: python check.py FOLDER", file=out)
    print(f"Summary: {passed} of {total} checks pass.", file=out)
    if to_fix:
        print(f"To fix: {', '.join(to_fix)}.", file=out)
    if skipped:
        print(f"Not checked: {', '.join(n + '.py' for n in skipped)}.", file=out)
    print("\nThese checks are necessary, not sufficient: the autograder also compares your values with\n"
          "the instructor's on hidden inputs and trains on Fashion-MNIST (the first "
          f"{TRAIN_SUBSET:,} training images;\nmlp test error below {MLP_MAX_TEST_ERROR:.0%}; torch test accuracy at least "
          + ", ".join(f"{k} {v:.0%}" for k, v in TORCH_MIN_TEST_ACCURACY.items()) + ").", file=out)
    return 0 if failed == 0 and passed > 0 else 1


def notebook_parts(folder, workdir):
    """Copy the folder's .py files into ``workdir`` and add the parts its notebooks hold (as the
    grader reads them: definitions only, a .py file wins). Returns (line maps, notes)."""
    names = sorted(n for n in os.listdir(folder) if n.endswith(".ipynb"))
    for name in os.listdir(folder):
        if name.endswith(".py") and os.path.isfile(os.path.join(folder, name)):
            shutil.copyfile(os.path.join(folder, name), os.path.join(workdir, name))
    try:
        import nbformat  # noqa: F401 - comes with Jupyter
    except ImportError:
        return {}, [f"{', '.join(names)} not checked: reading notebooks needs nbformat (pip install nbformat)."]
    notebooks, notes = [], []
    for name in names:
        try:
            notebook = read_notebook(os.path.join(folder, name), name)
        except NotebookError as err:
            notes.append(str(err))
            continue
        notes += notebook.notes
        notebooks.append(notebook)
    chosen, more = assign_parts(notebooks, [m for m in MODULES if os.path.isfile(os.path.join(folder, m + ".py"))])
    line_maps = {}
    for part, notebook in chosen.items():
        source, line_maps[f"{part}.py"] = notebook.module_source(part)
        with open(os.path.join(workdir, f"{part}.py"), "w", encoding="utf-8") as f:
            f.write(source)
    return line_maps, notes + more


class Relocating:
    """Writes to ``out`` with "part.py, line N" of a notebook's part turned into its cell and line."""

    def __init__(self, out, line_maps, replace):
        self.out, self.line_maps, self.replace = out, line_maps, replace

    def write(self, text):
        return self.out.write(relocate(text.replace(*self.replace), self.line_maps))

    def flush(self):
        self.out.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", help="folder with your .py files or notebooks (default: here)")
    parser.add_argument("--only", help="comma-separated files to check, e.g. calculus,mlp")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help="seconds per check")
    args = parser.parse_args(argv)
    folder = args.folder
    if folder is None:
        here = os.getcwd()
        has_files = any(os.path.isfile(os.path.join(here, n + ".py")) for n in MODULES) or \
            any(n.endswith(".ipynb") for n in os.listdir(here))
        folder = here if has_files else os.path.dirname(os.path.abspath(__file__))
    if not os.path.isdir(folder):
        parser.error(f"{folder} is not a folder")
    wanted = MODULES
    if args.only:
        wanted = tuple(n.strip().removesuffix(".py") for n in args.only.split(",") if n.strip())
        unknown = [n for n in wanted if n not in MODULES]
        if unknown:
            parser.error(f"unknown file(s) {unknown}; choose from {', '.join(MODULES)}")
    if not any(name.endswith(".ipynb") for name in os.listdir(folder)):
        return run(folder, wanted, args.time_limit)
    workdir = tempfile.mkdtemp(prefix="check-")
    try:
        line_maps, notes = notebook_parts(folder, workdir)
        for note in notes:
            print(note)
        out = Relocating(sys.stdout, line_maps, (os.path.abspath(workdir), os.path.abspath(folder)))
        return run(workdir, wanted, args.time_limit, out=out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
