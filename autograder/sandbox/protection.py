"""Without Landlock, as root: the grader's files and the test labels locked from the student's uid
while gradings run (their modes restored when the last grading on the machine ends)."""
import fcntl
import json
import os
import stat
import sys
from contextlib import contextmanager

from autograder.sandbox import confine

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTECTION_LOCK = "/run/lock/autograder-protection"   # shared by every grading on the machine
SYSTEM_LABEL_DIRS = ("/usr/share/datasets/fashion-mnist",)


def _protected_paths(data_dir):
    """What the student's uid must not read when no file allow-list holds it: the checkout
    (virtual environments aside: the student's interpreter needs one) and the test labels."""
    venv = os.path.realpath(sys.prefix)
    paths = []
    for name in os.listdir(REPO):
        path = os.path.join(REPO, name)
        is_a_venv = os.path.exists(os.path.join(path, "pyvenv.cfg"))  # packages only, nothing secret
        if not (os.path.islink(path) or os.path.realpath(path) == venv or is_a_venv):
            paths.append(path)
    folders = [data_dir, os.environ.get("FASHION_MNIST_DIR"), *SYSTEM_LABEL_DIRS,
               os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "fashion-mnist")]
    for folder in filter(None, folders):
        for name in ("t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"):
            if os.path.isfile(os.path.join(folder, name)):
                paths.append(os.path.join(folder, name))
    return paths


@contextmanager
def protect_files_for_grading(data_dir, log):
    """Without Landlock, as root: strip group/other permissions from the grader's files and the
    test labels while gradings run, and put every mode back when the last one ends.

    Gradings running at the same time share one record of the original modes
    (``PROTECTION_LOCK.json``). Each holds a shared lock on ``PROTECTION_LOCK``
    while it grades; the one that ends last (it can then take that lock
    exclusively) restores the modes. ``PROTECTION_LOCK.mutex`` orders starts and ends.
    """
    if os.geteuid() != 0 or any(layer.startswith("landlock") for layer in confine.available_layers()):
        yield []
        return
    record = PROTECTION_LOCK + ".json"
    os.makedirs(os.path.dirname(PROTECTION_LOCK), exist_ok=True)
    users = open(PROTECTION_LOCK, "a")
    protected = []
    try:
        with _mutex():
            try:
                if not os.path.exists(record):
                    modes = {path: stat.S_IMODE(os.stat(path).st_mode) for path in _protected_paths(data_dir)}
                    with open(record, "w") as f:
                        json.dump(modes, f)
                    for path, mode in modes.items():
                        os.chmod(path, mode & 0o700)
                with open(record) as f:
                    protected = sorted(json.load(f))
            except (OSError, ValueError) as err:  # e.g. a read-only folder: grade anyway, and say so
                log.append(f"could not protect the grader's files: {err}")
            fcntl.flock(users, fcntl.LOCK_SH)
        yield protected
    finally:
        with _mutex():
            fcntl.flock(users, fcntl.LOCK_UN)
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # another grading still runs: it restores the modes when it ends
                pass
            else:
                _restore_modes(record, log)
            users.close()


@contextmanager
def _mutex():
    with open(PROTECTION_LOCK + ".mutex", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _restore_modes(record, log):
    try:
        if os.path.exists(record):
            with open(record) as f:
                modes = json.load(f)
            for path, mode in modes.items():
                try:
                    os.chmod(path, mode)
                except OSError as err:
                    log.append(f"could not restore the mode of {path}: {err}")
            os.unlink(record)
    except (OSError, ValueError) as err:
        log.append(f"could not restore the grader's file modes: {err}")
