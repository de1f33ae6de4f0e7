"""The checks of conv.py."""
import numpy as np

from autograder.student.checks.expect import copies, expect_close, expect_shape, require, unchanged
from autograder.student.checks.registry import check


@check("conv", "conv_output_size")
def conv_output_size_formula(m):
    """conv_output_size: floor((n + 2 padding - k) / stride) + 1"""
    for args, want in [((28, 5), 24), ((28, 3, 1, 1), 28), ((7, 3, 2), 3), ((8, 3, 2), 3), ((5, 5), 1),
                       ((10, 4, 3, 2), 4)]:
        got = m.conv_output_size(*args)
        require(got == want and float(got).is_integer(), f"conv_output_size{args} returned {got!r}, expected {want}"
                " (round down: integer division //)")


@check("conv", "conv2d")
def conv2d_shapes_and_cross_correlation(m):
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
def conv2d_multi_channels_bias_padding_stride(m):
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
def max_pool2d_windows(m):
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
