"""Hostile: correct functions, except that softmax starts a (bounded) fork bomb first.

Every process forks as fast as it can until forking fails or 200 processes
exist in its tree; each child renames itself "ag-hostile-frk" and sleeps 30 s.
The original process then answers correctly. The grader must bound it
(RLIMIT_NPROC for the spare uid) and kill every child.
"""
import ctypes
import os
import time

import calculus_base
from calculus_base import *  # noqa: F401,F403

_CAP = 200
_done = []


def _bomb():
    made = 0
    for _ in range(_CAP):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                ctypes.CDLL(None).prctl(15, b"ag-hostile-frk", 0, 0, 0)
            except Exception:
                pass
            for _ in range(3):      # each child forks a little too, still bounded
                try:
                    if os.fork() == 0:
                        break
                except OSError:
                    break
            time.sleep(30)
            os._exit(0)
        made += 1
    return made


def softmax(z):
    if not _done:
        _done.append(_bomb())
    return calculus_base.softmax(z)
