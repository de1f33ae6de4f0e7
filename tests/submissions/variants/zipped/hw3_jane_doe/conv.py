import numpy as np

from utils import as_float, pair


def conv_output_size(n, k, stride=1, padding=0):
    size = 0
    start = 0
    while start + k <= n + 2 * padding:   # count the windows that fit
        size += 1
        start += stride
    return size


def conv2d(image, kernel, stride=1):
    image, kernel = as_float(image), as_float(kernel)
    sh, sw = pair(stride)
    kh, kw = kernel.shape
    Ho = conv_output_size(image.shape[0], kh, sh)
    Wo = conv_output_size(image.shape[1], kw, sw)
    out = np.zeros((Ho, Wo))
    # shift-and-add: one term of the sum per kernel entry
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * image[a:a + sh * (Ho - 1) + 1:sh, b:b + sw * (Wo - 1) + 1:sw]
    return out


def conv2d_multi(x, w, b=None, stride=1, padding=0):
    x, w = as_float(x), as_float(w)
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    xp[:, :, ph:ph + H, pw:pw + W] = x
    Ho = conv_output_size(H, kh, sh, ph)
    Wo = conv_output_size(W, kw, sw, pw)
    out = np.zeros((N, F, Ho, Wo))
    for a in range(kh):
        for c in range(kw):
            window = xp[:, :, a:a + sh * (Ho - 1) + 1:sh, c:c + sw * (Wo - 1) + 1:sw]  # (N, C, Ho, Wo)
            out += np.tensordot(window, w[:, :, a, c], axes=([1], [1])).transpose(0, 3, 1, 2)
    if b is not None:
        out += as_float(b).reshape(1, F, 1, 1)
    return out


def max_pool2d(x, size, stride=None):
    x = as_float(x)
    stride = size if stride is None else stride
    Ho = conv_output_size(x.shape[2], size, stride)
    Wo = conv_output_size(x.shape[3], size, stride)
    out = np.full(x.shape[:2] + (Ho, Wo), -np.inf)
    for a in range(size):
        for c in range(size):
            out = np.maximum(out, x[:, :, a:a + stride * (Ho - 1) + 1:stride, c:c + stride * (Wo - 1) + 1:stride])
    return out
