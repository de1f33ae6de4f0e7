"""Hostile: correct functions, except that log_softmax forks children that each hold 200 MB.

No single process is large; only their sum is. The children rename themselves
"ag-hostile-mem" so the corpus can check that none outlives the grading, and they
exit by themselves after 60 s (so a failure of the grader cannot leave them forever).
"""
import ctypes
import os
import time

import numpy as np

from calculus_base import *  # noqa: F401,F403


def _mark():
    try:
        ctypes.CDLL(None).prctl(15, b"ag-hostile-mem", 0, 0, 0)
    except Exception:
        pass


def log_softmax(z):
    for _ in range(4):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            _mark()
            block = np.ones(200_000_000 // 8)  # noqa: F841  (200 MB, touched)
            time.sleep(60)
            os._exit(0)
    time.sleep(60)
    return z
