"""Hostile: tries to kill the grader and everything else it can signal.

It signals its parent, the parent's process group and every process listed in
/proc with SIGKILL, and (only when it runs under one of the grader's spare
uids, never as a real user) kill(-1), which reaches every process it may
signal. The grading must finish anyway, with 0 points here.
"""
import os
import signal

_uid = os.getuid()
_sandboxed = 61000 <= _uid < 61500
if _sandboxed:
    for pid in [os.getppid()] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
        if pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    try:
        os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)
    except OSError:
        pass


def sigmoid(x):
    if _sandboxed:
        try:
            os.kill(-1, signal.SIGKILL)   # every process this uid may signal, this one included
        except OSError:
            pass
    raise RuntimeError("HOSTILE-KILLER: still here")


softmax = log_softmax = softplus = relu = sigmoid
