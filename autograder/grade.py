"""Grade one submission: locate its files, run the graded tests, write results.json.

The order matters for safety: the results file is written only after every
process of the student's has been killed, and atomically (a temporary file
renamed over the target), so nothing the student's code did to that path
survives.
"""
import io
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import traceback
from contextlib import redirect_stdout

import pytest

from . import config
from . import context as grading_context
from .results import ResultsPlugin
from .submission import MODULES, Submission, SubmissionError, locate

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GRADED_DIR = os.path.join(HERE, "graded")


def protect_grader_files():
    """As root, make the grader's checkout unreadable to the student's uid.

    Everything at the top of the repository (reference, tests, the git history,
    ...) loses its group and other permissions, except virtual environments,
    which the student's interpreter needs (whichever one the next grading uses). The student's process gets its worker
    code as a copy in the sandbox, so it needs nothing else from here.
    """
    if os.geteuid() != 0:
        return
    venv = os.path.realpath(sys.prefix)
    for name in os.listdir(REPO):
        path = os.path.join(REPO, name)
        is_a_venv = os.path.exists(os.path.join(path, "pyvenv.cfg"))  # packages only, nothing secret
        if os.path.islink(path) or os.path.realpath(path) == venv or is_a_venv:
            continue
        os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) & 0o700)


def protect_test_labels(data_dir):
    """As root, make Fashion-MNIST's test-label files readable only by root.

    Student code could otherwise read the answers from the system-wide copy.
    """
    if os.geteuid() != 0:
        return
    candidates = [data_dir, os.environ.get("FASHION_MNIST_DIR"), "/usr/share/datasets/fashion-mnist",
                  os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "fashion-mnist")]
    for folder in filter(None, candidates):
        for name in ("t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                os.chmod(path, 0o600)


def grade(submission_path, results_path, *, parts=None, hidden_seed=None, data_dir=None,
          budget_seconds=None, training=True, rescale=False, stream=sys.stdout):
    """Grade ``submission_path`` (folder or zip) and write Gradescope JSON to ``results_path``.

    ``parts`` restricts grading to some modules (points are not rescaled here);
    ``training=False`` leaves out the tests that train on Fashion-MNIST (a quick check);
    ``rescale=True`` scales the points of the graded tests to add up to 100.
    Returns the results dict. Never raises because of what the student did.
    """
    started = time.monotonic()
    parts = list(parts or MODULES)
    protect_grader_files()
    protect_test_labels(data_dir)
    workdir = tempfile.mkdtemp(prefix="autograder-unpack-")
    notes, log = [], []
    try:
        try:
            submission = locate(submission_path, workdir)
        except SubmissionError as err:
            submission = Submission()
            notes.append(str(err))
        notes += submission.notes
        kwargs = {"hidden_seed": hidden_seed, "data_dir": data_dir}
        if budget_seconds is not None:
            kwargs["budget_seconds"] = budget_seconds
        with grading_context.GradingContext(submission, **kwargs) as ctx:
            plugin = ResultsPlugin(ctx.artifacts, lambda nodeid: setattr(ctx, "current_test", nodeid))
            isolation = ctx.sandbox.isolation
            pytest_output = io.StringIO()
            with redirect_stdout(pytest_output):
                exit_code = pytest.main(_pytest_args(parts, training), plugins=[plugin])
            peak, student_cpu = ctx.peak_memory, ctx.cpu_seconds_student
            memory = ctx.memory.describe()
            log += ctx.memory.notes()
        # Only now, with every student process gone, is the results file written.
        log += plugin.log
        if exit_code not in (0, 1) or not plugin.results:
            log.append(f"pytest exit code {exit_code}:\n{pytest_output.getvalue()[-4000:]}")
        entries = rescaled(plugin.entries()) if rescale else plugin.entries()
        results = build_results(entries, submission, notes, time.monotonic() - started)
        if config.LEADERBOARD and leaderboard(entries):
            results["leaderboard"] = leaderboard(entries)
        results["extra_data"] = {"isolation": isolation, "student_cpu_seconds": round(student_cpu, 2),
                                 "student_peak_memory_mb": round(peak / 2 ** 20, 1),
                                 "hidden_seed": ctx.hidden_seed, "memory": memory}
        if not results["tests"]:
            results = internal_error_results("no graded test ran", time.monotonic() - started)
    except Exception:  # a bug of ours: still leave a valid, honest results file
        log.append(traceback.format_exc())
        results = internal_error_results("the grader itself failed", time.monotonic() - started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    write_results(results, results_path)
    print_table(results, stream)
    if log:
        print("\nGrader log (for the instructor):\n" + "\n".join(log)[-20000:], file=stream)
    return results


def _pytest_args(parts, training):
    files = [os.path.join(GRADED_DIR, f"test_{part}.py") for part in parts]
    selection = [] if training else ["-m", "not training"]
    return selection + ["-q", "--tb=no", "--no-header", "-p", "no:cacheprovider", "--assert=plain",
            "-o", "console_output_style=classic", "--timeout=480", "--timeout-method=signal",
            "--rootdir", GRADED_DIR, "-c", os.path.join(GRADED_DIR, "pytest.ini")] + files


def rescaled(entries, total=100.0):
    """Scale every test's points so that they add up to ``total``."""
    available = sum(e["max_score"] for e in entries)
    factor = total / available if available else 1.0
    for entry in entries:
        entry["max_score"] = round(entry["max_score"] * factor, 4)
        entry["score"] = round(entry["score"] * factor, 4)
    return entries


def build_results(entries, submission, notes, seconds):
    found = [f"{m}.py" for m in MODULES if submission.has(m)]
    missing = [f"{m}.py" for m in MODULES if not submission.has(m)]
    summary = [f"Files graded: {', '.join(found) if found else 'none'}."]
    if missing:
        summary.append(f"Missing (their tests score 0): {', '.join(missing)}.")
    summary += notes
    score = sum(e["score"] for e in entries)
    return {"score": round(score, 4), "execution_time": round(seconds, 2), "output": "\n".join(summary),
            "output_format": "text", "stdout_visibility": "hidden", "tests": entries}


# What the leaderboard shows, from the values the training tests record (computed here,
# from the predictions or weights the student's process returned).
LEADERBOARD_COLUMNS = [("test_accuracy", "LogisticRegression", "LogisticRegression test accuracy", "desc"),
                       ("test_accuracy", "MLP", "torch MLP test accuracy", "desc"),
                       ("test_accuracy", "ConvNetDropout", "ConvNetDropout test accuracy", "desc"),
                       ("test_error", "train_mlp", "numpy MLP test error", "asc")]


def leaderboard(entries):
    """Gradescope's ``leaderboard`` list: each torch model's test accuracy and the numpy MLP's
    test error, for the models that were trained in this grading."""
    board = []
    for key, tag, name, order in LEADERBOARD_COLUMNS:
        for entry in entries:
            value = (entry.get("extra_data") or {}).get(key)
            if tag in entry.get("tags", ()) and isinstance(value, float) and 0 <= value <= 1:
                board.append({"name": name, "value": round(value, 4), "order": order})
                break
    return board


def internal_error_results(reason, seconds):
    return {"score": 0, "execution_time": round(seconds, 2),
            "output": f"The autograder could not grade this submission ({reason}). "
                      "This is not a verdict on your work: please tell your instructor.",
            "tests": [{"name": "Autograder error", "number": "0", "score": 0, "max_score": 0,
                       "status": "failed", "tags": ["autograder"],
                       "output": f"The autograder failed: {reason}."}]}


def write_results(results, path):
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".results-", dir=folder)
    with os.fdopen(handle, "w") as out:
        json.dump(results, out, indent=2)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def print_table(results, stream):
    tests = results["tests"]
    width = min(max((len(t["name"]) for t in tests), default=10), 70)
    print(f"{'#':>6}  {'test':<{width}}  {'points':>11}  message", file=stream)
    for test in tests:
        first = (test.get("output") or "").strip().splitlines()
        message = first[0][:90] if first else ""
        points = f"{test['score']:g}/{test['max_score']:g}"
        print(f"{test['number']:>6}  {test['name'][:width]:<{width}}  {points:>11}  {message}", file=stream)
    total = sum(t["max_score"] for t in tests)
    print(f"\nTotal: {results['score']:g} / {total:g}", file=stream)
    if results.get("output"):
        print(results["output"], file=stream)
