"""Helpers shared by several graded test files (grader side, never sent to the sandbox).

Each used to be copied into the test files that needed it; one copy here keeps
them in step. What students read is unchanged: where parts word a message
differently, the caller passes its own wording (see ``assert_no_warnings`` and
``call_unmodified``).
"""
import numpy as np
from gradescope_utils.autograder_utils import decorators

from autograder import config
from autograder.compare import assert_true, format_inputs, preview


def graded(number, points, tags, *, visibility=None, partial=False):
    """The gradescope-utils attributes of a graded test, in one decorator.

    ``number`` orders and names the test ("3.16"), ``points`` is its weight,
    ``tags`` its module first and then every contract name it exercises;
    ``partial=True`` passes ``set_score`` for partial credit (see ``score_cases``);
    ``visibility`` e.g. "after_due_date" for tests on inputs not shown before.
    """
    def decorate(test):
        if partial:
            test = decorators.partial_credit(points)(test)
        test = decorators.weight(points)(test)
        test = decorators.number(number)(test)
        test = decorators.tags(*tags)(test)
        if visibility is not None:
            test = decorators.visibility(visibility)(test)
        return test
    return decorate


def lazy(function):
    """``function()`` computed once, on first use; a failure is remembered too, so every
    case that needs the value fails with the same message (and the student's code is
    not called again), while the other cases of the test still run."""
    cache = {}

    def get():
        if "error" in cache:
            raise cache["error"]
        if "value" not in cache:
            try:
                cache["value"] = function()
            except AssertionError as err:
                cache["error"] = err
                raise
        return cache["value"]
    return get


def call_stable(module, name, args):
    """Call ``module.name(*args)`` recording NumPy overflow/divide/invalid warnings.

    Returns ``(value, warnings)``; check the value first, then ``assert_no_warnings``.
    """
    out = module.task("call_recording_warnings", key=name, timeout=config.CALL_TIMEOUT,
                      function=name, args=list(args))
    return out["value"], out["warnings"]


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
    out = module.task("call_function_and_return_inputs", key=name, timeout=config.CALL_TIMEOUT,
                      function=name, args=list(args), kwargs=kwargs)
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


def numerical_gradient(f, x, eps=1e-6):
    """Central finite differences of the scalar ``f`` at the array ``x``, computed here
    (trusted side) with the reference's functions: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)
    for every index i. ``x`` itself is never changed."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (f(plus) - f(minus)) / (2 * eps)
    return grad
