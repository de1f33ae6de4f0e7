"""reference/conv.py checked against torch.nn.functional.conv2d / max_pool2d."""
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st

from .helpers import SETTINGS, check_template_matches, load, t

conv = load("conv")
RNG = np.random.default_rng(3)

FUNCTIONS = ["conv_output_size", "conv2d", "conv2d_multi", "max_pool2d"]


def test_template_matches_reference():
    check_template_matches("conv", FUNCTIONS)


def test_conv_output_size():
    assert conv.conv_output_size(28, 5) == 24
    assert conv.conv_output_size(28, 3, padding=1) == 28
    assert conv.conv_output_size(7, 3, stride=2) == 3
    assert conv.conv_output_size(8, 3, stride=2) == 3
    assert conv.conv_output_size(8, 3, stride=2, padding=1) == 4
    assert conv.conv_output_size(5, 5) == 1


@pytest.mark.parametrize("shape, kshape, stride", [
    ((5, 5), (3, 3), 1), ((6, 7), (2, 3), 1), ((9, 8), (3, 2), 2), ((10, 11), (3, 3), (2, 3)),
    ((4, 4), (4, 4), 1), ((7, 9), (1, 1), (3, 2)),
])
def test_conv2d_matches_torch(shape, kshape, stride):
    image, kernel = RNG.normal(size=shape), RNG.normal(size=kshape)
    out = conv.conv2d(image, kernel, stride)
    expected = F.conv2d(t(image)[None, None], t(kernel)[None, None], stride=stride)[0, 0].numpy()
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-13)


def test_conv2d_is_cross_correlation_by_hand():
    image = np.arange(16.0).reshape(4, 4)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])  # not symmetric: a flip would change the sign
    np.testing.assert_array_equal(conv.conv2d(image, kernel), np.full((3, 3), -5.0))
    np.testing.assert_array_equal(conv.conv2d(image, np.ones((2, 2)), 2), [[10.0, 18.0], [42.0, 50.0]])
    np.testing.assert_array_equal(conv.conv2d(image.tolist(), np.ones((1, 1)).tolist()), image)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 0), ((1, 2), 1), (3, 2), ((2, 1), 0)])
def test_conv2d_multi_matches_torch(bias, stride, padding):
    x, w = RNG.normal(size=(2, 3, 9, 8)), RNG.normal(size=(4, 3, 3, 2))
    b = RNG.normal(size=4) if bias else None
    out = conv.conv2d_multi(x, w, b, stride=stride, padding=padding)
    expected = F.conv2d(t(x), t(w), None if b is None else t(b), stride=stride, padding=padding).numpy()
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-11, atol=1e-12)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 5), st.integers(1, 5),
       st.integers(1, 3), st.integers(1, 3), st.integers(0, 2), st.booleans(), st.data())
def test_conv2d_multi_random_shapes(N, C, F_, kh, kw, sh, sw, padding, bias, data):
    H = data.draw(st.integers(max(1, kh - 2 * padding), 12))
    W = data.draw(st.integers(max(1, kw - 2 * padding), 12))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x, w = rng.normal(size=(N, C, H, W)), rng.normal(size=(F_, C, kh, kw))
    b = rng.normal(size=F_) if bias else None
    stride = sh if sh == sw else (sh, sw)
    out = conv.conv2d_multi(x, w, b, stride=stride, padding=padding)
    expected = F.conv2d(t(x), t(w), None if b is None else t(b), stride=stride, padding=padding).numpy()
    assert out.shape == expected.shape == (N, F_, conv.conv_output_size(H, kh, sh, padding),
                                           conv.conv_output_size(W, kw, sw, padding))
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-11)


def test_conv2d_multi_is_fast_and_leaves_inputs_alone():
    x = RNG.random((64, 1, 28, 28)).astype(np.float32)
    w, b = RNG.normal(size=(8, 1, 5, 5)), RNG.normal(size=8)
    x0, w0 = x.copy(), w.copy()
    start = time.perf_counter()
    out = conv.conv2d_multi(x, w, b, stride=1, padding=2)
    elapsed = time.perf_counter() - start
    assert out.shape == (64, 8, 28, 28) and out.dtype == np.float64
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
    expected = F.conv2d(t(x), t(w), t(b), padding=2).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize("shape, size, stride", [
    ((2, 3, 8, 8), 2, None), ((1, 2, 7, 9), 2, None), ((2, 1, 7, 7), 3, None), ((1, 1, 10, 11), 3, 2),
    ((2, 2, 5, 6), 2, 1), ((1, 1, 4, 4), 4, None), ((1, 1, 9, 9), 2, 3),
])
def test_max_pool2d_matches_torch(shape, size, stride):
    x = RNG.normal(size=shape)
    out = conv.max_pool2d(x, size, stride) if stride is not None else conv.max_pool2d(x, size)
    expected = F.max_pool2d(t(x), size, stride).numpy()
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.data())
def test_max_pool2d_random_shapes(N, C, size, stride, data):
    H = data.draw(st.integers(size, 13))
    W = data.draw(st.integers(size, 13))
    x = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).normal(size=(N, C, H, W))
    expected = F.max_pool2d(t(x), size, stride).numpy()
    out = conv.max_pool2d(x, size, stride)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)


def test_max_pool2d_by_hand():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    np.testing.assert_array_equal(conv.max_pool2d(x, 2), [[[[6.0, 8.0], [16.0, 18.0]]]])
    np.testing.assert_array_equal(conv.max_pool2d(-x, 3, 1)[0, 0, 0], [0.0, -1.0, -2.0])
