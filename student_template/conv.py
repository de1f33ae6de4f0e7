"""Part 4 -- convolution and pooling by hand.

"Convolution" means cross-correlation, as in torch.nn.functional.conv2d:
the kernel is NOT flipped.  Vectorise: six nested Python loops are far too
slow for a batch of 64 images of 28 x 28.  Hint:
numpy.lib.stride_tricks.sliding_window_view gives every window as a view
(no copy); np.tensordot or np.einsum then does the multiply-and-sum.
"""
import numpy as np


def conv_output_size(n, k, stride=1, padding=0):
    """Output length along one axis: floor((n + 2 padding - k) / stride) + 1."""
    raise NotImplementedError("conv_output_size")


def conv2d(image, kernel, stride=1):
    """Single-channel valid cross-correlation.

    image (H, W), kernel (kh, kw), stride an int or a pair (sh, sw) -> (Ho, Wo):
        out[i, j] = sum_{a, b} image[i sh + a, j sw + b] kernel[a, b].
    """
    raise NotImplementedError("conv2d")


def conv2d_multi(x, w, b=None, stride=1, padding=0):
    """Multi-channel convolution layer, equal to torch.nn.functional.conv2d.

    x (N, C, H, W), w (F, C, kh, kw), b (F,) or None, stride an int or a
    pair, padding an int: zero-pad H and W by `padding` on each side (np.pad).
    Returns (N, F, Ho, Wo):
        out[n, f, i, j] = b[f] + sum_{c, a, b'} xpad[n, c, i sh + a, j sw + b'] w[f, c, a, b'].
    """
    raise NotImplementedError("conv2d_multi")


def max_pool2d(x, size, stride=None):
    """Max pooling: x (N, C, H, W), window size x size, stride (default: size).

    out[n, c, i, j] = max of x[n, c, i stride : i stride + size, j stride : j stride + size];
    windows that do not fit entirely are dropped (as in torch), so
    Ho = (H - size) // stride + 1.
    """
    raise NotImplementedError("max_pool2d")
