"""Hostile: softmax answers correctly, then a thread it started allocates 1.3 GB (every page
touched) while the grader judges the answer (as issue 14 found it done after train_mlp).

Before, the watchdog looked only while a call ran: it recorded a student peak of 30 MB while
the worker reached 1,410 MB. Now nothing of the student's runs between calls (the process is
stopped as soon as it has answered), and when the thread runs again, during a later call, the
watchdog stops it there: the whole tree stays under 768 MB.
"""
import threading

import numpy as np

import calculus_base
from calculus_base import *  # noqa: F401,F403

_BLOCKS = []


def _allocate():
    for _ in range(130):
        _BLOCKS.append(np.ones(10 * 2 ** 17))   # 10 MB each
    threading.Event().wait()


def softmax(z):
    answer = calculus_base.softmax(z)
    threading.Thread(target=_allocate, daemon=True).start()
    return answer
