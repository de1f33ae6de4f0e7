"""Hostile: softmax writes 1.2 GB in twenty 60 MB files (each under the per-file limit), deletes
each file while keeping it open, and answers correctly.

A folder walk sees none of it, yet the blocks stay taken until the process lets go. The
scratch budget counts deleted files still open: softmax must be stopped (its tests lose their
points, with a message that says so), and nothing may remain after the grading.
"""
import os

import calculus_base
from calculus_base import *  # noqa: F401,F403

_MB = b"\0" * (1 << 20)
_HELD = []


def softmax(z):
    for i in range(20):
        handle = open(f"hidden_{len(_HELD)}.bin", "wb")
        os.unlink(handle.name)
        for _ in range(60):
            handle.write(_MB)
        handle.flush()
        _HELD.append(handle)
    return calculus_base.softmax(z)
