"""What the graded tests of conv.py call: expected values, classic mistakes, replays and checks."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograder.errors import CheckFailed
from autograder.judge.compare import as_array, assert_close, assert_true, format_inputs
from autograder.judge.properties import call_returning_inputs
from reference import conv as ref


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
        out = call_returning_inputs(conv, "conv2d_multi", x, w, b, what=what, **kwargs)
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

