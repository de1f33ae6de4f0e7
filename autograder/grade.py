"""Grade one submission: locate its files, run the graded tests, write results.json.

The order matters for safety: the results file is written only after every
process of the student's has been killed, and atomically (a temporary file
renamed over the target), so nothing the student's code did to that path
survives. Writing and printing are inside the protection too: ``grade`` always
leaves a valid, strict-JSON results file and returns normally.
"""
import fcntl
import io
import json
import os
import resource
import shutil
import stat
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager, redirect_stdout

import pytest

from . import config
from . import confine
from . import context as grading_context
from .results import MAX_OUTPUT_CHARS, ResultsPlugin
from .safe import printable, safe_json
from .submission import MODULES, Submission, SubmissionError, locate

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GRADED_DIR = os.path.join(HERE, "graded")


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


def grade(submission_path, results_path, *, parts=None, hidden_seed=None, data_dir=None,
          budget_seconds=None, training=True, rescale=False, stream=sys.stdout):
    """Grade ``submission_path`` (folder or zip) and write Gradescope JSON to ``results_path``.

    ``parts`` restricts grading to some modules (points are not rescaled here);
    ``training=False`` leaves out the tests that train on Fashion-MNIST (a quick check);
    ``rescale=True`` scales the points of the graded tests to add up to 100.
    ``hidden_seed`` None (the default) derives the seed from the deployment's secret and the
    submission's files (autograder/seeding.py): regrading the same files gives the same results.
    Returns the results dict. Never raises because of what the student did, and
    leaves a valid results file whatever happens (a bug of ours included).
    """
    started = time.monotonic()
    parts = list(parts or MODULES)
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
        with protect_files_for_grading(data_dir, log) as chmodded, \
                grading_context.GradingContext(submission, **kwargs) as ctx:
            plugin = ResultsPlugin(ctx.artifacts, lambda nodeid: setattr(ctx, "current_test", nodeid))
            isolation = list(ctx.sandbox.isolation) + (["chmod while grading"] if chmodded else [])
            spare_uid, summary = ctx.sandbox.uid, ctx.sandbox.summary
            pytest_output = io.StringIO()
            with redirect_stdout(pytest_output):
                exit_code = pytest.main(_pytest_args(parts, training), plugins=[plugin, ctx.fixtures()])
            peak, student_cpu = ctx.peak_memory, ctx.cpu_seconds_student
            memory = ctx.memory.describe()
            log += ctx.memory.notes()
        # Only now, with every student process gone, is the results file written.
        log += plugin.log
        if exit_code not in (0, 1) or not plugin.results:
            log.append(f"pytest exit code {exit_code}:\n{pytest_output.getvalue()[-4000:]}")
        entries = rescaled(plugin.entries()) if rescale else plugin.entries()
        for entry in entries:
            if entry.get("output"):
                entry["output"] = submission.explain(entry["output"])[:2 * MAX_OUTPUT_CHARS]
        results = build_results(entries, submission, notes, time.monotonic() - started)
        if config.LEADERBOARD and leaderboard(entries):
            results["leaderboard"] = leaderboard(entries)
        results["extra_data"] = {"isolation": isolation, "isolation_summary": summary, "spare_uid": spare_uid,
                                 "student_cpu_seconds": round(student_cpu, 2),
                                 "student_peak_memory_mb": round(peak / 2 ** 20, 1),
                                 "grader_peak_memory_mb": round(_own_peak_memory_mb(), 1),
                                 "hidden_seed": ctx.hidden_seed, "memory": memory,
                                 "seed_from": "--seed" if hidden_seed is not None else "the submission's files"}
        if not results["tests"]:
            results = internal_error_results("no graded test ran", time.monotonic() - started)
    except Exception:  # a bug of ours: still leave a valid, honest results file
        log.append(traceback.format_exc())
        results = internal_error_results("the grader itself failed", time.monotonic() - started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    try:
        results = write_results(results, results_path)
    except Exception:  # e.g. a value no sanitising foresaw: the honest fallback, then give up quietly
        log.append(traceback.format_exc())
        results = internal_error_results("the results could not be written", time.monotonic() - started)
        try:
            write_results(results, results_path)
        except Exception:
            log.append(traceback.format_exc())
    try:
        print_table(results, stream)
        if log:
            print(printable("\nGrader log (for the instructor):\n" + "\n".join(map(str, log))[-20000:], 30000),
                  file=stream)
    except Exception:  # printing must never undo a written results file
        pass
    return results


def _own_peak_memory_mb():
    """Peak resident memory of this process since it started. VmHWM, not getrusage's ru_maxrss:
    that one also counts the memory of the process that forked us, before our exec."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    found = [submission.describe(m) for m in MODULES if submission.has(m)]
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


MAX_RESULTS_BYTES = 900_000   # Gradescope accepts 1 MB; a margin for what batch adds


def write_results(results, path):
    """Write ``results`` as strict JSON, atomically (temporary file renamed over ``path``).

    Everything is made safe first (see :func:`results.safe_json`); if it is still too
    large, extra data and then long messages are dropped. Returns what was written.
    """
    results = safe_json(results)
    text = json.dumps(results, indent=1, allow_nan=False)
    if len(text) > MAX_RESULTS_BYTES:
        for test in results.get("tests", []):
            test.pop("extra_data", None)
        text = json.dumps(results, indent=1, allow_nan=False)
    if len(text) > MAX_RESULTS_BYTES:
        share = max(200, MAX_RESULTS_BYTES // (2 * max(1, len(results.get("tests", [])))))
        for test in results.get("tests", []):
            if len(test.get("output", "")) > share:
                test["output"] = test["output"][:share] + "\n[...]"
        results["output"] = results.get("output", "")[:MAX_RESULTS_BYTES // 4]
        text = json.dumps(results, indent=1, allow_nan=False)
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".results-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
    return results


def print_table(results, stream):
    tests = results["tests"]
    encoding = getattr(stream, "encoding", None) or "utf-8"

    def show(text):
        print(printable(text, 100_000).encode(encoding, "replace").decode(encoding), file=stream)
    width = min(max((len(t["name"]) for t in tests), default=10), 70)
    show(f"{'#':>6}  {'test':<{width}}  {'points':>11}  message")
    for test in tests:
        first = (test.get("output") or "").strip().splitlines()
        message = first[0][:90] if first else ""
        points = f"{test['score']:g}/{test['max_score']:g}"
        show(f"{test['number']:>6}  {test['name'][:width]:<{width}}  {points:>11}  {message}")
    total = sum(t["max_score"] for t in tests)
    show(f"\nTotal: {results['score']:g} / {total:g}")
    if results.get("output"):
        show(results["output"])
