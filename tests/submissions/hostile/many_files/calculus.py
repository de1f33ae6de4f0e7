"""Hostile: softmax creates 100,001 empty files, then 600 MB in ten files, and answers correctly.

Before, the folder walk stopped counting at 100,000 entries, so the 600 MB behind them went
unseen. The number of files counts against the scratch budget, and the walk never goes past
that number: softmax must be stopped, and nothing may remain after the grading.
"""
import os

import calculus_base
from calculus_base import *  # noqa: F401,F403

_MB = b"\0" * (1 << 20)


def softmax(z):
    for i in range(100_001):
        os.close(os.open(f"empty_{i}", os.O_CREAT | os.O_WRONLY, 0o600))
    for i in range(10):
        with open(f"zz_big_{i}.bin", "wb") as f:
            for _ in range(60):
                f.write(_MB)
    return calculus_base.softmax(z)
