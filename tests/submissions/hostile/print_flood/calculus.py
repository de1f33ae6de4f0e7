"""Hostile: correct functions that print 100 MB to stdout and stderr (once at import, once in softmax)."""
import sys

import calculus_base
from calculus_base import *  # noqa: F401,F403

_LINE = ("x" * 999 + "\n")
for _ in range(20_000):           # 20 MB at import, half to stderr
    sys.stdout.write(_LINE)
    sys.stderr.write(_LINE)
print('{"score": 100, "tests": []}  <- printed, not a results file')

_flooded = []


def softmax(z):
    if not _flooded:
        _flooded.append(True)
        for _ in range(100_000):  # 100 MB
            sys.stdout.write(_LINE)
        sys.stdout.flush()
    return calculus_base.softmax(z)
