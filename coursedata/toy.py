"""The homework's toy problem: two concentric circles (numpy only)."""

import numpy as np


def two_circles(n: int, noise: float = 0.1, factor: float = 0.5, rng=None):
    """The homework's two-circles data set: a ring of radius 1 around a ring of radius ``factor``.

    Returns ``(X, y)``: ``X`` float64 ``(n, 2)``, ``y`` int64 ``(n,)`` with
    class 0 on the outer circle (``n - n // 2`` points) and class 1 on the
    inner one (``n // 2`` points), in random order. A point is
    ``r (cos t, sin t) + noise * N(0, I)`` with ``t`` uniform in [0, 2π).
    ``rng`` is a ``numpy.random.Generator``, an int seed, or None (fresh
    randomness).
    """
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n_inner = n // 2
    y = np.zeros(n, dtype=np.int64)
    y[n - n_inner:] = 1
    radius = np.where(y == 1, factor, 1.0)
    t = rng.uniform(0.0, 2.0 * np.pi, size=n)
    X = np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1)
    X += noise * rng.standard_normal((n, 2))
    shuffled = rng.permutation(n)
    return X[shuffled], y[shuffled]
