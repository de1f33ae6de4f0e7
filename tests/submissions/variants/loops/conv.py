"""Homework part 4 -- convolution and pooling with explicit loops over output positions."""
import numpy as np


def conv_output_size(n, k, stride=1, padding=0):
    return (n + 2 * padding - k) // stride + 1


def _two(v):
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[1])
    return int(v), int(v)


def conv2d(image, kernel, stride=1):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    sh, sw = _two(stride)
    kh, kw = kernel.shape
    H, W = image.shape
    Ho = (H - kh) // sh + 1
    Wo = (W - kw) // sw + 1
    out = np.zeros((Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            total = 0.0
            for a in range(kh):
                for b in range(kw):
                    total += image[i * sh + a, j * sw + b] * kernel[a, b]
            out[i, j] = total
    return out


def conv2d_multi(x, w, b=None, stride=1, padding=0):
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    sh, sw = _two(stride)
    ph, pw = _two(padding)
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    padded = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    padded[:, :, ph:ph + H, pw:pw + W] = x
    Ho = conv_output_size(H, kh, sh, ph)
    Wo = conv_output_size(W, kw, sw, pw)
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    patch = padded[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    out[n, f, i, j] = np.sum(patch * w[f])
            if b is not None:
                out[n, f] += float(b[f])
    return out


def max_pool2d(x, size, stride=None):
    x = np.asarray(x, dtype=float)
    if stride is None:
        stride = size
    N, C, H, W = x.shape
    Ho = (H - size) // stride + 1
    Wo = (W - size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, c, i, j] = x[n, c, i * stride:i * stride + size,
                                        j * stride:j * stride + size].max()
    return out
