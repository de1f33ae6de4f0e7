"""How a check says what does not hold: the graded tests' comparisons and messages, plus a hint for the fix."""
import contextlib
import warnings

import numpy as np

from autograder.errors import CheckFailed
from autograder.judge.compare import as_array, assert_close, assert_finite, assert_shape, assert_true


def require(condition, message):
    assert_true(condition, message)


def fmt(value, width=160):
    text = np.array2string(np.asarray(value), precision=6, threshold=12, max_line_width=100) \
        if isinstance(value, (np.ndarray, list, tuple)) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width] + " ..."


def as_floats(value, what):
    """The returned value as a float array, or a failure that says what came back (as the grader says it)."""
    return as_array(value, what).astype(float)


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
                raise CheckFailed(f"{what} is not stable: numpy reported '{err}'. Rewrite it so that "
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
