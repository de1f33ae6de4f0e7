"""Part 4: conv.py — convolution (cross-correlation) and max pooling by hand (12 points)."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder import config
from autograder.compare import (CheckFailed, as_array, assert_close, assert_number, assert_true,
                                format_inputs, score_cases)
from autograder.graded.helpers import graded
from reference import conv as ref


# ---------------------------------------------------------------------------
# Helpers (grader side)
# ---------------------------------------------------------------------------

def positions(n, k, stride=1, padding=0):
    """How many windows of size k fit along n (+ padding both sides) at this stride, counted."""
    return len(range(0, n + 2 * padding - k + 1, stride))


def pair(v):
    return (v, v) if np.ndim(v) == 0 else tuple(v)


def check_output(got, expected, what, inputs, size_rule, mistakes=None, shape_hints=()):
    """Shape first (with a message about the output-size rule), then values.

    ``shape_hints`` is a list of (spatial shape a classic mistake gives, its name).
    """
    expected = np.asarray(expected, dtype=float)
    array = as_array(got, what, inputs=inputs)
    if array.shape != expected.shape:
        hint = ""
        if array.ndim == expected.ndim and array.shape[:-2] == expected.shape[:-2]:
            names = [name for shape, name in shape_hints
                     if tuple(shape) == array.shape[-2:] and tuple(shape) != expected.shape[-2:]]
            diff = np.array(array.shape[-2:]) - np.array(expected.shape[-2:])
            if names:
                hint = " This looks like " + ", or ".join(dict.fromkeys(names)) + "."
            elif np.all(np.abs(diff) <= 1):
                hint = " The spatial size is off by one (a missing or extra +1, or ceil instead of floor?)."
        elif array.ndim == expected.ndim - 1:
            hint = " An axis is missing (summed over the batch or the channels?)."
        raise CheckFailed(f"{what} returned an array of shape {array.shape}; expected {expected.shape} "
                          f"({size_rule}).{hint}" + format_inputs(inputs))
    return assert_close(array, expected, what, inputs=inputs, mistakes=mistakes)


def conv2d_rule(H, W, kh, kw, stride):
    sh, sw = pair(stride)
    return (f"Ho = (H - kh) // sh + 1 = ({H} - {kh}) // {sh} + 1, "
            f"Wo = (W - kw) // sw + 1 = ({W} - {kw}) // {sw} + 1")


def conv2d_shape_hints(H, W, kh, kw, stride):
    sh, sw = pair(stride)
    return [((positions(H, kh, sh) + 1, positions(W, kw, sw) + 1), "an extra +1 in the output size (off by one)"),
            ((positions(H, kh, sh) - 1, positions(W, kw, sw) - 1), "a missing +1 in the output size (off by one)"),
            ((-(-(H - kh) // sh) + 1, -(-(W - kw) // sw) + 1),
             "ceil instead of floor: windows that do not fit must be dropped"),
            ((positions(H, kh), positions(W, kw)), "the stride is ignored"),
            ((positions(H, kh, sh), positions(W, kw, sh)), "the first stride used for both axes"),
            ((positions(H, kh, sw), positions(W, kw, sh)), "the two strides (sh, sw) are swapped"),
            ((H, W), "a 'same' output size instead of a 'valid' one (no padding here)")]


def conv2d_mistakes(image, kernel, stride):
    return {"flipped kernel (that is convolution; the assignment asks for cross-correlation, "
            "as torch.nn.functional.conv2d)": ref.conv2d(image, kernel[::-1, ::-1], stride),
            "the kernel is transposed": (ref.conv2d(image, kernel.T, stride)
                                         if kernel.shape[0] == kernel.shape[1] else None)}


def check_conv2d(conv, image, kernel, stride=None):
    kwargs = {} if stride is None else {"stride": stride}
    stride_text = "" if stride is None else f", stride={stride}"
    what = f"conv2d(image {image.shape}, kernel {kernel.shape}{stride_text})"
    inputs = {"image": image, "kernel": kernel}
    expected = ref.conv2d(image, kernel, 1 if stride is None else stride)
    got = conv.conv2d(image, kernel, **kwargs)
    check_output(got, expected, what, inputs, conv2d_rule(*image.shape, *kernel.shape, stride or 1),
                 mistakes=conv2d_mistakes(image, kernel, 1 if stride is None else stride),
                 shape_hints=conv2d_shape_hints(*image.shape, *kernel.shape, stride or 1))


def multi_rule(x, w, stride, padding):
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    return (f"(N, F, Ho, Wo) with Ho = (H + 2 padding - kh) // stride + 1 "
            f"= ({H} + 2*{padding} - {kh}) // {stride} + 1 and Wo = ({W} + 2*{padding} - {kw}) // {stride} + 1")


def check_conv2d_multi(conv, x, w, b, stride, padding, unmodified=False):
    kwargs = {}
    if stride != 1:
        kwargs["stride"] = stride
    if padding != 0:
        kwargs["padding"] = padding
    extra = "".join(f", {k}={v}" for k, v in kwargs.items())
    what = f"conv2d_multi(x {x.shape}, w {w.shape}, b={'None' if b is None else f'b {b.shape}'}{extra})"
    inputs = {"x": x, "w": w, "b": b}
    expected = ref.conv2d_multi(x, w, b, stride, padding)
    mistakes = {"flipped kernel (that is convolution; torch.nn.functional.conv2d does not flip)":
                ref.conv2d_multi(x, w[:, :, ::-1, ::-1], b, stride, padding)}
    if w.shape[2] == w.shape[3]:
        mistakes["the kernel's rows and columns are swapped (transposed kernel)"] = ref.conv2d_multi(
            x, w.transpose(0, 1, 3, 2), b, stride, padding)
    if b is not None:
        mistakes["the bias b is not added"] = ref.conv2d_multi(x, w, None, stride, padding)
    if padding:
        p = padding
        one_side = np.pad(x, ((0, 0), (0, 0), (0, 2 * p), (0, 2 * p)))
        mistakes["padding added on one side only"] = ref.conv2d_multi(one_side, w, b, stride, 0)
    if unmodified:
        sent = (x.copy(), w.copy(), None if b is None else b.copy())
        out = conv.task("call_function_and_return_inputs", key="conv2d_multi", timeout=config.CALL_TIMEOUT,
                        function="conv2d_multi", args=[x, w, b], kwargs=kwargs)
        got = out["value"]
        for name, before, after in zip(("x", "w", "b"), sent, out["args_after"]):
            if before is not None:
                after = np.asarray(after)
                assert_true(after.shape == before.shape and np.array_equal(after, before),
                            f"{what} modified its input {name}: functions must leave their inputs unchanged "
                            "(pad into a new array, e.g. with np.pad).")
    else:
        got = conv.conv2d_multi(x, w, b, **kwargs)
    H, W = x.shape[2:]
    kh, kw = w.shape[2:]
    s, p = stride, padding
    hints = [((positions(H, kh, s, p) + 1, positions(W, kw, s, p) + 1), "an extra +1 in the output size (off by one)"),
             ((positions(H, kh, s, p) - 1, positions(W, kw, s, p) - 1), "a missing +1 in the output size (off by one)"),
             ((positions(H, kh, 1, p), positions(W, kw, 1, p)), "the stride is ignored"),
             ((positions(H, kh, s, 0), positions(W, kw, s, 0)), "the padding is ignored"),
             ((positions(H + p, kh, s), positions(W + p, kw, s)), "padding added on one side only"),
             ((-(-(H + 2 * p - kh) // s) + 1, -(-(W + 2 * p - kw) // s) + 1),
              "ceil instead of floor: windows that do not fit must be dropped")]
    check_output(got, expected, what, inputs, multi_rule(x, w, stride, padding), mistakes=mistakes,
                 shape_hints=hints)


def windows(x, size, stride):
    return sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]


def check_max_pool(conv, x, size, stride=None):
    s = size if stride is None else stride
    what = f"max_pool2d(x {x.shape}, size={size}" + ("" if stride is None else f", stride={stride}") + ")"
    expected = ref.max_pool2d(x, size, stride)
    H, W = x.shape[2:]
    rule = (f"Ho = (H - size) // stride + 1 = ({H} - {size}) // {s} + 1, Wo = ({W} - {size}) // {s} + 1"
            + ("; stride defaults to size" if stride is None else ""))
    mistakes = {"average pooling instead of max": windows(x, size, s).mean(axis=(4, 5)),
                "min instead of max": windows(x, size, s).min(axis=(4, 5))}
    got = conv.max_pool2d(x, size) if stride is None else conv.max_pool2d(x, size, stride=stride)
    hints = [((-(-(H - size) // s) + 1, -(-(W - size) // s) + 1),
              "windows that do not fit entirely are kept; they must be dropped (floor, not ceil), as in torch"),
             ((positions(H, size, size), positions(W, size, size)),
              "the stride argument is ignored (windows moved by size)"),
             ((positions(H, size, 1), positions(W, size, 1)),
              "stride 1 by default; the stride must default to the window size" if stride is None
              else "the stride is ignored (windows moved by 1)"),
             ((positions(H, size, s) + 1, positions(W, size, s) + 1), "an extra +1 in the output size (off by one)"),
             ((positions(H, size, s) - 1, positions(W, size, s) - 1), "a missing +1 in the output size (off by one)")]
    check_output(got, expected, what, {"x": x}, rule, mistakes=mistakes, shape_hints=hints)


# ---------------------------------------------------------------------------
# conv_output_size
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# conv2d
# ---------------------------------------------------------------------------

@graded("4.2", 2, tags=("conv", "conv2d"))
def test_conv2d(conv, rng):
    """conv2d: valid cross-correlation (no kernel flip), square and non-square shapes"""
    for shape, kshape in [((6, 6), (3, 3)), ((5, 8), (2, 3)), ((7, 4), (3, 1)), ((4, 4), (4, 4))]:
        check_conv2d(conv, rng.normal(size=shape), rng.normal(size=kshape))
    image, kernel = rng.normal(size=(5, 6)), rng.normal(size=(2, 2))
    sent = image.copy(), kernel.copy()
    out = conv.task("call_function_and_return_inputs", key="conv2d", timeout=config.CALL_TIMEOUT,
                    function="conv2d", args=[image, kernel])
    what = "conv2d(image (5, 6), kernel (2, 2))"
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


# ---------------------------------------------------------------------------
# conv2d_multi
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# max_pool2d
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Hidden inputs
# ---------------------------------------------------------------------------

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
