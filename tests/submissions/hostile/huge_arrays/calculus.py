"""Hostile: correct functions, except five that return enormous or absurd values.

sigmoid: 320 MB of float64 (more than a message may carry); softmax: 240 MB;
relu: 10 million bytes; tanh_prime: a Python list of 5 million floats;
sign: a list nested 10,000 levels deep.
"""
import numpy as np

from calculus_base import *  # noqa: F401,F403


def sigmoid(x):
    return np.zeros(40_000_000)


def softmax(z):
    return np.ones(30_000_000)


def relu(x):
    return np.zeros(10_000_000, dtype=np.uint8)


def tanh_prime(x):
    return [0.5] * 5_000_000


def sign(x):
    nested = [0.0]
    for _ in range(10_000):
        nested = [nested]
    return nested
