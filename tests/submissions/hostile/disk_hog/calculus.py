"""Hostile: correct functions that fill the disk.

softmax writes one file larger than the per-file limit (it must fail, with a
clear message); log_softmax writes 20 files of 50 MB (1 GB, each under the
limit) in its working directory and then answers correctly. Nothing of it may
remain after the grading.
"""
import os

import calculus_base
from calculus_base import *  # noqa: F401,F403

_MB = b"\0" * (1 << 20)
_written = []


def softmax(z):
    with open("one_big_file.bin", "wb") as f:
        for _ in range(100):
            f.write(_MB)
    return calculus_base.softmax(z)


def log_softmax(z):
    if not _written:
        for i in range(20):
            name = f"chunk_{i}.bin"
            with open(name, "wb") as f:
                for _ in range(50):
                    f.write(_MB)
            _written.append(os.path.abspath(name))
    return calculus_base.log_softmax(z)
