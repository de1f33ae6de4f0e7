"""Hostile: correct functions, except that softmax crashes the interpreter (SIGSEGV via ctypes)."""
import ctypes

from calculus_base import *  # noqa: F401,F403


def softmax(z):
    ctypes.string_at(0)  # reads address 0: segmentation fault
    return z
