"""Hostile: correct functions, except sigmoid and softmax, which print and raise messages
holding lone surrogates, terminal escape sequences and a direction override."""
import sys

from calculus_base import *  # noqa: F401,F403


def _raise(*_args, **_kwargs):
    text = "bad \udcff\ud800 value \x1b[2J\x1b[31m\u202e" * 50
    sys.stdout.buffer.write(b"\xff\xfe\x1b[2J not utf-8\n")
    print(text.encode("utf-8", "surrogatepass").decode("utf-8", "surrogateescape"))
    raise ValueError(text)


sigmoid = softmax = _raise
