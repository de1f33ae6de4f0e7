"""Hostile: writes garbage to every file descriptor it has open, then answers wrongly.

The worker's answer pipe is among them, so the grader reads a frame that
claims to be enormous, or is not valid data. It must report that clearly and
go on.
"""
import os

import numpy as np

for _fd in range(3, 64):
    try:
        os.write(_fd, b"\xff" * 16 + b"not a frame")
    except OSError:
        pass


def sigmoid(x):
    for fd in range(3, 64):
        try:
            os.write(fd, (10).to_bytes(8, "big") + b"{garbage}!")
        except OSError:
            pass
    return np.full(np.shape(x), 0.4242)


softmax = log_softmax = softplus = relu = sign = sigmoid
