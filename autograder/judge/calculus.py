"""What the graded tests of calculus.py call: expected values, classic mistakes, replays and checks."""
import numpy as np

from autograder.judge.compare import assert_true
from reference import calculus as ref


# Inputs of elementwise derivatives: exact zeros (where the derivative convention
# matters), tiny values of both signs, and ordinary ones.
WITH_ZEROS = np.array([-3.5, -1.0, -1e-300, 0.0, 1e-300, 0.25, 2.0, 0.0, 7.0])


# How this part words two shared messages (helpers.assert_no_warnings, helpers.call_unmodified).
STABLE = {"returned": "values",
          "advice": "\"Stable\" means no overflow, divide-by-zero or invalid-value warning for inputs up "
                    "to |x| = 1e4 (np.where evaluates both branches, so np.exp must never see a large "
                    "positive argument in either of them)."}


IN_PLACE = {"in_place": "`{arg} -= ...` or `{arg}[...] = ...`", "fix": "work on a copy."}


def check_dtype_float(got, what):
    assert_true(got.dtype.kind == "f",
                f"{what} returned an array of dtype {got.dtype}; the assignment asks for a "
                "float array (e.g. use .astype(float)).")


def softmax_axis(z, axis):
    """Softmax normalised over another axis (to recognise that mistake)."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_mistakes(z, f=ref.softmax):
    mistakes = {}
    if z.ndim >= 2:
        s_first = softmax_axis(z, 0)
        mistakes["normalised over the first axis instead of the last one"] = (
            s_first if f is ref.softmax else np.log(s_first))
        if z.ndim >= 3:
            s_second = softmax_axis(z, 1)
            mistakes["normalised over axis 1, which is the last axis only for 2-D input: use axis=-1"] = (
                s_second if f is ref.softmax else np.log(s_second))
        e = np.exp(z - z.max())
        s_all = e / e.sum()
        mistakes["normalised over all entries at once instead of over the last axis"] = (
            s_all if f is ref.softmax else np.log(s_all))
        if z.shape[-1] == z.shape[-2]:
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            s_keep = e / e.sum(axis=-1)[..., None, :]
            mistakes["sum without keepdims=True (the row sums broadcast along the wrong axis)"] = (
                s_keep if f is ref.softmax else np.log(s_keep))
    return mistakes

