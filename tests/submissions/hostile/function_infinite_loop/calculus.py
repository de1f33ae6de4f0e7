"""Hostile: correct functions, except that sigmoid never returns (a busy loop)."""
from calculus_base import *  # noqa: F401,F403  (the correct functions, copied in by tests/corpus/hostile_cases.py)


def sigmoid(x):
    n = 0
    while True:
        n += 1
