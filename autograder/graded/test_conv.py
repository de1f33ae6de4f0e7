"""Part 4: conv.py — convolution (cross-correlation) and max pooling by hand (12 points)."""
import numpy as np

from autograder.errors import CheckFailed
from autograder.judge.compare import assert_number, assert_true, score_cases
from autograder.judge.conv import (check_conv2d, check_conv2d_multi, check_max_pool, check_output,
                                   conv2d_mistakes, conv2d_rule, conv2d_shape_hints, positions)
from autograder.judge.properties import call_returning_inputs
from autograder.results.marks import graded
from reference import conv as ref


@graded("4.1", 2, tags=("conv", "conv_output_size"), partial=True)
def test_conv_output_size(conv, set_score=None):
    """conv_output_size: floor((n + 2 padding - k) / stride) + 1"""

    def check(n, k, stride=None, padding=None):
        kwargs = {}
        if stride is not None:
            kwargs["stride"] = stride
        if padding is not None:
            kwargs["padding"] = padding
        s, p = stride or 1, padding or 0
        what = f"conv_output_size({n}, {k}" + "".join(f", {a}={v}" for a, v in kwargs.items()) + ")"
        expected = positions(n, k, s, p)
        got = assert_number(conv.conv_output_size(n, k, **kwargs), what)
        if got == expected:
            return
        mistakes = [((n + 2 * p - k) / s + 1, "no floor: the result must be a whole number"),
                    ((n + 2 * p - k) // s, "a missing +1 (off by one)"),
                    ((n + 2 * p - k) // s + 2, "an extra +1 (off by one)"),
                    (-(-(n + 2 * p - k) // s) + 1, "ceil instead of floor (windows that do not fit are dropped)"),
                    ((n + p - k) // s + 1, "padding counted on one side only (it is added on both sides)"),
                    ((n - k) // s + 1, "the padding is ignored"),
                    ((n + 2 * p - k) + 1, "the stride is ignored")]
        names = [name for value, name in mistakes if value == got and value != expected]
        hint = f" This looks like {' or '.join(dict.fromkeys(names))}." if names else ""
        shown_got = int(got) if float(got).is_integer() else got
        raise CheckFailed(f"{what} returned {shown_got!r}; expected {expected}: {expected} windows of size {k} fit "
                          f"in {n} + 2*{p} positions at stride {s}.{hint}")

    def group(*calls):
        def run():
            for args in calls:
                check(*args)
        return run

    score_cases([
        ("defaults: stride 1, no padding", group((28, 5), (5, 5), (7, 1))),
        ("with padding", group((28, 3, 1, 1), (6, 5, None, 2), (4, 3, 1, 0))),
        ("with a stride that divides evenly", group((7, 3, 2), (32, 4, 4, 0), (28, 2, 2))),
        ("with a stride that does not divide evenly (floor)", group((8, 3, 2), (10, 4, 3, 1), (32, 5, 2, 2),
                                                                    (9, 2, 4))),
    ], 2, set_score)


@graded("4.2", 2, tags=("conv", "conv2d"))
def test_conv2d(conv, rng):
    """conv2d: valid cross-correlation (no kernel flip), square and non-square shapes"""
    for shape, kshape in [((6, 6), (3, 3)), ((5, 8), (2, 3)), ((7, 4), (3, 1)), ((4, 4), (4, 4))]:
        check_conv2d(conv, rng.normal(size=shape), rng.normal(size=kshape))
    image, kernel = rng.normal(size=(5, 6)), rng.normal(size=(2, 2))
    sent = image.copy(), kernel.copy()
    what = "conv2d(image (5, 6), kernel (2, 2))"
    out = call_returning_inputs(conv, "conv2d", image, kernel, what=what)
    check_output(out["value"], ref.conv2d(image, kernel), what, {"image": image, "kernel": kernel},
                 conv2d_rule(5, 6, 2, 2, 1), mistakes=conv2d_mistakes(image, kernel, 1),
                 shape_hints=conv2d_shape_hints(5, 6, 2, 2, 1))
    for name, before, after in zip(("image", "kernel"), sent, out["args_after"]):
        after = np.asarray(after)
        assert_true(after.shape == before.shape and np.array_equal(after, before),
                    f"{what} modified its input {name}: functions must leave their inputs unchanged.")


@graded("4.3", 2, tags=("conv", "conv2d"), partial=True)
def test_conv2d_stride(conv, rng, set_score=None):
    """conv2d: strides given as an int or as a pair (sh, sw)"""
    cases = [((7, 7), (3, 3), 2), ((8, 8), (3, 3), 3), ((6, 9), (2, 3), (1, 2)), ((10, 8), (3, 2), (3, 2))]

    def case(shape, kshape, stride):
        image, kernel = rng.normal(size=shape), rng.normal(size=kshape)
        return (f"image {shape}, kernel {kshape}, stride={stride}",
                lambda: check_conv2d(conv, image, kernel, stride))

    score_cases([case(*c) for c in cases], 2, set_score)


@graded("4.4", 3, tags=("conv", "conv2d_multi"), partial=True)
def test_conv2d_multi(conv, rng, set_score=None):
    """conv2d_multi: channels, filters, bias, stride and zero padding (as torch.nn.functional.conv2d)"""
    x = rng.normal(size=(2, 3, 9, 9))
    w = rng.normal(size=(4, 3, 3, 3))
    b = rng.normal(size=4)
    x2 = rng.normal(size=(2, 2, 7, 6))
    w2 = rng.normal(size=(3, 2, 2, 3))
    b2 = rng.normal(size=3)
    cases = [
        ("with bias, stride 1, no padding", lambda: check_conv2d_multi(conv, x, w, b, 1, 0, unmodified=True)),
        ("b=None", lambda: check_conv2d_multi(conv, x, w, None, 1, 0)),
        ("stride 2", lambda: check_conv2d_multi(conv, x, w, b, 2, 0)),
        ("padding 1", lambda: check_conv2d_multi(conv, x, w, b, 1, 1)),
        ("non-square kernel and image, stride 2, padding 2",
         lambda: check_conv2d_multi(conv, x2, w2, b2, 2, 2)),
    ]
    score_cases(cases, 3, set_score)


@graded("4.5", 2, tags=("conv", "max_pool2d"), partial=True)
def test_max_pool2d(conv, rng, set_score=None):
    """max_pool2d: default stride = size, explicit stride, windows that do not fit are dropped"""
    x_even = rng.normal(size=(2, 3, 6, 6))
    x_odd = rng.normal(size=(1, 2, 7, 7))
    x_rect = rng.normal(size=(2, 2, 7, 9))
    x_wide = rng.normal(size=(1, 1, 5, 8))
    x_eight = rng.normal(size=(1, 2, 8, 8))
    cases = [
        ("size 2, default stride", lambda: check_max_pool(conv, x_even, 2)),
        ("size 2 on 7 x 7: the last row and column are dropped", lambda: check_max_pool(conv, x_odd, 2)),
        ("size 3, default stride, on 8 x 8", lambda: check_max_pool(conv, x_eight, 3)),
        ("size 3, stride 2, on 7 x 9", lambda: check_max_pool(conv, x_rect, 3, 2)),
        ("size 2, stride 1 (overlapping windows)", lambda: check_max_pool(conv, x_wide, 2, 1)),
    ]
    score_cases(cases, 2, set_score)


@graded("4.6", 1, tags=("conv", "conv2d", "conv2d_multi", "max_pool2d"), visibility="after_due_date")
def test_conv_hidden(conv, hidden_rng):
    """conv2d, conv2d_multi and max_pool2d: values on inputs drawn from a hidden seed"""
    r = hidden_rng
    H, W, kh, kw = int(r.integers(5, 10)), int(r.integers(5, 10)), int(r.integers(1, 4)), int(r.integers(1, 4))
    stride = (int(r.integers(1, 3)), int(r.integers(1, 3)))
    check_conv2d(conv, r.normal(size=(H, W)), r.normal(size=(kh, kw)), stride)
    N, C, F = int(r.integers(1, 3)), int(r.integers(1, 4)), int(r.integers(1, 4))
    x = r.normal(size=(N, C, H, W))
    w = r.normal(size=(F, C, kh, kw))
    check_conv2d_multi(conv, x, w, r.normal(size=F), int(r.integers(1, 3)), int(r.integers(0, 3)))
    check_max_pool(conv, x, int(r.integers(2, 4)), int(r.integers(1, 4)))

