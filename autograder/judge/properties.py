"""Calls of the student's functions that check a property on the way: no NumPy warnings, inputs left unchanged."""
import numpy as np

from autograder import config
from autograder.judge import answers
from autograder.judge.compare import assert_true, format_inputs, preview
from autograder.judge.expect import expect
from autograder.sandbox import calls


def call_returning_inputs(module, name, *args, what, timeout=config.CALL_TIMEOUT, **kwargs):
    """``calls.call_returning_inputs`` with its answer checked (``answers.returning_inputs``):
    ``{"value", "args_after", "kwargs_after"}``."""
    return expect(calls.call_returning_inputs(module, name, *args, timeout=timeout, **kwargs),
                  answers.returning_inputs(len(args), kwargs), what)


def call_stable(module, name, args):
    """Call ``module.name(*args)`` recording NumPy overflow/divide/invalid warnings.

    Returns ``(value, warnings)``; check the value first, then ``assert_no_warnings``.
    """
    value, warnings = calls.call_recording_warnings(module, name, *args)
    return value, expect(warnings, answers.WARNINGS, f"{name}(...) (the warnings it raised)")


def assert_no_warnings(warnings, what, inputs, *, advice, returned="value"):
    """Fail if ``warnings`` (from ``call_stable``) is not empty.

    The message: "<what> returned the right <returned> but raised NumPy warnings:
    <warnings>. <advice><inputs>", so ``advice`` says what "stable" means for the
    function at hand and how to get there.
    """
    assert_true(not warnings,
                f"{what} returned the right {returned} but raised NumPy warnings: {'; '.join(warnings)}. "
                + advice + format_inputs(inputs))


def call_unmodified(module, name, args, arg_names, what, kwargs=None, *,
                    in_place="`{arg} -= ...`, `{arg} += ...` or `{arg}[i] = ...`",
                    fix="start from a copy, e.g. `{arg} = {arg}.copy()` or `np.array({arg}, dtype=float)`."):
    """Call ``module.name(*args, **kwargs)``; fail if it changed any array argument.

    ``arg_names`` names ``args`` in the message. ``in_place`` (examples of in-place
    operations) and ``fix`` (how to avoid them) are worded with ``{arg}`` standing
    for the argument's name. Returns the call's value.
    """
    kwargs = dict(kwargs or {})
    out = call_returning_inputs(module, name, *args, what=what, **kwargs)
    pairs = list(zip(args, out["args_after"], arg_names))
    pairs += [(kwargs[k], out["kwargs_after"].get(k), k) for k in kwargs]
    for sent, after, arg in pairs:
        if isinstance(sent, np.ndarray):
            after = np.asarray(after)
            assert_true(after.shape == sent.shape and np.array_equal(after, sent),
                        f"{what} modified its input `{arg}` (an in-place operation such as "
                        f"{in_place.format(arg=arg)} on the caller's array). "
                        "Functions must return new arrays and leave their inputs unchanged; "
                        f"{fix.format(arg=arg)}"
                        f"\nInput before the call:\n  {arg} = {preview(sent)}"
                        f"\nafter the call:\n  {arg} = {preview(after)}")
    return out["value"]
