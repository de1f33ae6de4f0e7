"""Hostile: correct functions, except that softmax ends the process with os._exit(3)."""
import os

from calculus_base import *  # noqa: F401,F403


def softmax(z):
    os._exit(3)
