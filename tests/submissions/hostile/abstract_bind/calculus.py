"""Hostile: softmax binds an abstract AF_UNIX name, which every process of the machine shares.

Two gradings of `batch --jobs 2` could pass bits through it (EADDRINUSE when the other holds the
name). softmax answers correctly only when the bind worked, so the trick alone decides its
points: it must score nothing for them. A socketpair's end is tried too (it can take a name).
"""
import os
import socket

import calculus_base
from calculus_base import *  # noqa: F401,F403

NAME = "\0autograder-corpus-channel-" + str(os.getpid())


def _bound():
    for make in (lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM), lambda: socket.socketpair()[0]):
        try:
            s = make()
            s.bind(NAME)
            s.close()
            return True
        except OSError:
            continue
    return False


def softmax(z):
    if _bound():
        return calculus_base.softmax(z)
    return 0 * calculus_base.softmax(z) + 0.5
