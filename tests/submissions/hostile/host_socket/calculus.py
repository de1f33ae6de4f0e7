"""Hostile: sigmoid talks to a service of the host over a path-named AF_UNIX socket (mode 0777).

The corpus runs such a service at HOST_SERVICE (tests/corpus/tricks.py), which answers
"host secrets" to anyone who connects. sigmoid answers correctly only when it got through,
so the trick alone decides its points: it must score nothing for them, and the service
must never see a connection.
"""
import socket

import calculus_base
from calculus_base import *  # noqa: F401,F403

HOST_SERVICE = "/tmp/autograder-corpus-host-service.sock"


def _host_talks():
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(HOST_SERVICE)
            return s.recv(100) == b"host secrets"
    except OSError:
        pass
    try:   # a datagram pair needs no socket() call: then send to the service's path
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        a.sendto(b"hello", HOST_SERVICE)
        return True
    except OSError:
        return False


def sigmoid(x):
    if _host_talks():
        return calculus_base.sigmoid(x)
    return 0 * calculus_base.sigmoid(x) + 0.25
