"""Hostile: correct functions, except two that forge an answer frame on the grader's pipe.

sigmoid writes one well-formed 64 MiB frame of nested JSON (more than an answer
may carry); softmax a 40 MiB frame whose JSON structure alone is 40 MiB (more
than a structure may take). The grader must refuse both before spending memory
on them, and go on.
"""
import os
import stat

from calculus_base import *  # noqa: F401,F403


def _answer_pipes():
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and os.get_blocking(fd) is not None:
                yield fd
        except OSError:
            pass


def _forge(size):
    depth = size // 2
    header = b'{"tree":' + b"[" * depth + b"]" * depth + b',"arrays":[]}'
    message = len(header).to_bytes(8, "big") + header
    frame = len(message).to_bytes(8, "big") + message
    for fd in _answer_pipes():
        try:
            os.write(fd, frame)
        except OSError:
            pass
    return 0.5


def sigmoid(x):
    return _forge(64 << 20)


def softmax(z):
    return _forge(40 << 20)
