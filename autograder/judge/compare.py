"""Compare what the student's code returned with what was expected, and say why not.

Every graded check goes through these helpers so that all messages have the same
shape: what was called on which input, what was expected and what came back
(the first mismatching entry and the largest error), and, where the wrong
answer matches a classic mistake, its name.

Tolerances: values are compared with ``|got - expected| <= atol + rtol*|expected|``
entrywise. The defaults (rtol 1e-6, atol 1e-9) accept any correct float64
implementation, whatever its formula or summation order, and reject every
one-line bug we know of, whose errors are of order 1e-3 or more.
"""
import numpy as np

from autograder.errors import CheckFailed, StudentError
from autograder.sandbox.codec import Tensor, Unsupported

RTOL = 1e-6
ATOL = 1e-9
MAX_SEQUENCE = 100_000   # per-step values (costs, losses, curves): a few thousand at most in any test
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
    raise CheckFailed(f"{what} returned shape {got.shape}; expected {shape}.{shape_hint(got, shape)}"
                      + format_inputs(inputs))


def shape_hint(got, shape):
    """Why an array ``got`` may have come back where ``shape`` was expected (or "")."""
    if got.shape == shape[::-1] and len(shape) == 2:
        return " It looks transposed."
    if got.size == int(np.prod(shape)):
        return " Same number of entries: a missing reshape, or a (n, 1) column where (n,) is expected?"
    if got.shape == shape[1:]:
        return " The first (batch) axis is missing: did you sum or average over it?"
    return ""


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
    """True when ``got`` has ``expected``'s shape and is entrywise close to it (the shape is
    compared first: a returned value is never widened to float before)."""
    expected = np.asarray(expected, dtype=float)
    try:
        got = np.asarray(got)
        return got.shape == expected.shape and bool(np.all(_close(got.astype(float), expected, rtol, atol)))
    except (TypeError, ValueError):
        return False


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
    if len(array) > MAX_SEQUENCE:   # checked before the copy to float (a bool array of millions is 8x that)
        raise CheckFailed(f"{what} should be a list or 1-D array of per-step values, but has {len(array):,} entries.")
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
            causes.append(err.detached())
    for label, check in properties:
        try:
            check()
            passed_properties += 1
        except StudentError as err:
            failures.append(f"[{label}] {err}")
            causes.append(err.detached())
    total = len(cases) + len(properties)
    earned = passed_cases + (passed_properties if passed_cases else 0)
    set_score(weight * earned / total)
    if failures:
        summary = f"({total - len(failures)} of {total} checks passed.)"
        if passed_properties and not passed_cases:
            summary += " Properties such as 'input not modified' count only once a value is right."
        raise CheckFailed("\n\n".join(failures) + "\n\n" + summary, causes=causes)
