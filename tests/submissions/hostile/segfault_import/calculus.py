"""Hostile: crashes the interpreter while being imported (SIGSEGV via ctypes)."""
import ctypes

ctypes.string_at(0)


def sigmoid(x):
    return x
