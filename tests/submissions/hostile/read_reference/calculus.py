"""Hostile: looks for the instructor's solutions and the test labels, and answers with them if found.

It searches upwards from its own folder and its working directory, the usual
places (/autograder/source, /work/*), the grader's unpack folders, the objects
of any git repository it can read (a checkout's history holds the
reference), and walks the
file system for a few seconds (not /tmp, where the corpus's own copies of
correct submissions may be lying around while it runs). If it finds a readable reference calculus.py it
imports it and delegates every function to it; otherwise each function raises
an error that lists what it tried (the corpus checks that message).
"""
import glob
import importlib.util
import os
import time
import zlib

_WANTED = ("calculus.py",)
_LABELS = ("t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz")
_SKIP = {"/proc", "/sys", "/dev", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/boot", "/snap", "/var/lib",
         "/var/cache", "/etc", "/run", "/var/log"}
_state = {}


def _readable(path):
    try:
        with open(path, "rb") as f:
            return f.read(4096)
    except OSError:
        return None


def _is_solution(text):
    return b"def softmax" in text and b"np.exp" in text and b"NotImplementedError" not in text \
        and b"HOSTILE" not in text


def _looks_like_solution(path):
    if os.path.realpath(path) == os.path.realpath(__file__):
        return False
    try:
        with open(path, "rb") as f:
            text = f.read(200_000)
    except OSError:
        return False
    return _is_solution(text)


def _git_blobs(git_dir, deadline):
    """Solutions stored in a readable git repository (loose objects, then a bounded scan of packs)."""
    found = []
    for path in glob.glob(os.path.join(git_dir, "objects", "??", "*")):
        if time.monotonic() > deadline:
            break
        data = _readable_all(path)
        if data is None:
            continue
        try:
            blob = zlib.decompress(data)
        except zlib.error:
            continue
        body = blob.split(b"\0", 1)[-1]
        if blob.startswith(b"blob") and _is_solution(body):
            found.append(body)
    for path in glob.glob(os.path.join(git_dir, "objects", "pack", "*.pack")):
        data = _readable_all(path, 50_000_000)
        if data is None:
            continue
        start = 0
        while time.monotonic() < deadline:
            start = data.find(b"\x78", start + 1)
            if start < 0:
                break
            try:
                body = zlib.decompressobj().decompress(data[start:start + 400_000])
            except zlib.error:
                continue
            if _is_solution(body):
                found.append(body)
    return found


def _readable_all(path, limit=10_000_000):
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return None


def _candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    starts = {here, os.getcwd(), os.path.expanduser("~")}
    seen = []
    for start in starts:
        path = start
        for _ in range(8):
            for rel in ("reference/calculus.py", "source/reference/calculus.py", "autograder/graded/test_calculus.py",
                        "calculus.py", "../reference/calculus.py"):
                seen.append(os.path.join(path, rel))
            path = os.path.dirname(path)
    seen += ["/autograder/source/reference/calculus.py", "/work/main/reference/calculus.py"]
    seen += glob.glob("/work/*/reference/calculus.py") + glob.glob("/home/*/*/reference/calculus.py")
    # the grader's own scratch folders (other gradings' sandboxes are the subject of read_other_submission)
    seen += glob.glob("/tmp/autograder-unpack-*/*/calculus.py") + glob.glob("/tmp/autograder-unpack-*/*/*/calculus.py")
    return seen


def _walk(deadline):
    found, labels, dirs = [], [], 0
    for top, subdirs, files in os.walk("/", onerror=lambda e: None):
        dirs += 1
        if time.monotonic() > deadline or dirs > 20000:
            break
        if ".git" in subdirs:
            _state.setdefault("git", []).append(os.path.join(top, ".git"))
        subdirs[:] = [d for d in subdirs if os.path.join(top, d) not in _SKIP and d != ".git"
                      and not (top == "/tmp" and not d.startswith("autograder"))]
        for name in files:
            path = os.path.join(top, name)
            if name in _WANTED and _looks_like_solution(path):
                found.append(path)
            if name in _LABELS and _readable(path) is not None:
                labels.append(path)
    return found, labels, dirs


def _search():
    if "result" not in _state:
        tried = _candidates()
        found = [p for p in tried if p.endswith("calculus.py") and _looks_like_solution(p)]
        walked, labels, dirs = _walk(time.monotonic() + 6.0)
        for folder in ("/usr/share/datasets/fashion-mnist", os.path.expanduser("~/.cache/fashion-mnist")):
            for name in _LABELS:
                if _readable(os.path.join(folder, name)) is not None:
                    labels.append(os.path.join(folder, name))
        git_dirs = set(_state.get("git", []))
        git_dirs |= {p for p in glob.glob("/work/*/.git") + ["/autograder/source/.git"] if os.path.isdir(p)}
        blobs = []
        for git_dir in sorted(git_dirs):
            blobs += _git_blobs(git_dir, time.monotonic() + 4.0)
        for i, body in enumerate(blobs):
            path = os.path.join(os.getcwd(), f"_from_git_{i}.py")
            try:
                with open(path, "wb") as f:
                    f.write(body)
                found.append(path)
            except OSError:
                pass
        _state["result"] = (found + walked, labels, len(tried), dirs, sorted(git_dirs))
    return _state["result"]


def _reference():
    found, labels, tried, dirs, git_dirs = _search()
    for path in found:
        try:
            spec = importlib.util.spec_from_file_location("_stolen_calculus", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
        except Exception:
            continue
    raise RuntimeError(f"HOSTILE-SEARCH: no reference found (tried {tried} paths, walked {dirs} folders, "
                       f"git repositories {git_dirs}); test labels readable: {labels if labels else 'none'}")


NAMES = ["sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "sign", "abs_prime", "relu",
         "relu_prime", "l2_squared_grad", "l1_grad", "onehot", "softmax", "log_softmax", "softmax_jacobian",
         "binary_logistic_loss", "binary_logistic_loss_grad", "binary_logistic_loss_hess", "cross_entropy",
         "cross_entropy_grad", "cross_entropy_hessian"]


def _delegate(name):
    def function(*args, **kwargs):
        return getattr(_reference(), name)(*args, **kwargs)
    return function


for _name in NAMES:
    globals()[_name] = _delegate(_name)
