"""Hostile: correct functions, except that softmax calls sys.exit(0)."""
import sys

from calculus_base import *  # noqa: F401,F403


def softmax(z):
    sys.exit(0)
