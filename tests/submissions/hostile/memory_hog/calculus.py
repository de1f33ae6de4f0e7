"""Hostile: correct functions, except that softmax allocates (and touches) memory without end."""
import numpy as np

from calculus_base import *  # noqa: F401,F403

_kept = []


def softmax(z):
    while True:
        _kept.append(np.ones(50_000_000 // 8))  # 50 MB at a time, every page written
