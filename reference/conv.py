"""2-D convolution (cross-correlation) and max pooling, vectorised with NumPy.

Like torch.nn.functional.conv2d, "convolution" here is cross-correlation:
the kernel is not flipped.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(v):
    """An int or a pair of ints -> (v_h, v_w)."""
    if np.ndim(v) == 0:
        return int(v), int(v)
    a, b = v
    return int(a), int(b)


def conv_output_size(n, k, stride=1, padding=0):
    """Output length of a convolution along one axis:

    floor((n + 2 padding - k) / stride) + 1.
    """
    return (n + 2 * padding - k) // stride + 1


def conv2d(image, kernel, stride=1):
    """Single-channel valid cross-correlation.

    image (H, W), kernel (kh, kw), stride int or (sh, sw) -> (Ho, Wo) with
      out[i, j] = sum_{a, b} image[i sh + a, j sw + b] kernel[a, b],
    Ho = (H - kh) // sh + 1, Wo = (W - kw) // sw + 1.
    """
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    sh, sw = _pair(stride)
    # windows[i, j] is the (kh, kw) patch whose top-left corner is (i sh, j sw)
    windows = sliding_window_view(image, kernel.shape)[::sh, ::sw]
    return np.tensordot(windows, kernel, axes=([2, 3], [0, 1]))


def conv2d_multi(x, w, b=None, stride=1, padding=0):
    """Multi-channel cross-correlation, same as torch.nn.functional.conv2d.

    x (N, C, H, W), w (F, C, kh, kw), b (F,) or None, stride and padding an
    int or a pair; x is zero-padded by `padding` on each side.  -> (N, F, Ho, Wo):
      out[n, f, i, j] = b[f] + sum_{c, a, b'} xpad[n, c, i sh + a, j sw + b'] w[f, c, a, b'],
    Ho = conv_output_size(H, kh, sh, ph), Wo = conv_output_size(W, kw, sw, pw).
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    kh, kw = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    # windows: (N, C, Ho, Wo, kh, kw); contract C, kh, kw with w -> (N, Ho, Wo, F)
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))
    out = out.transpose(0, 3, 1, 2)
    if b is not None:
        out = out + np.asarray(b, dtype=float)[None, :, None, None]
    return np.ascontiguousarray(out)


def max_pool2d(x, size, stride=None):
    """Max pooling over (size, size) windows of each channel.

    x (N, C, H, W), size and stride ints (stride defaults to size) ->
    (N, C, Ho, Wo), out[n, c, i, j] = max of x[n, c, i s : i s + size, j s : j s + size],
    Ho = (H - size) // stride + 1: windows that do not fit are dropped.
    """
    x = np.asarray(x, dtype=float)
    kh, kw = _pair(size)
    sh, sw = _pair(size if stride is None else stride)
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    return windows.max(axis=(4, 5))
