"""Grade one submission: locate its files, run the graded tests, write results.json.

The order matters for safety: the results file is written only after every
process of the student's has been killed, and atomically (a temporary file
renamed over the target), so nothing the student's code did to that path
survives. Writing and printing are inside the protection too: ``grade`` always
leaves a valid, strict-JSON results file and returns normally.
"""
import io
import os
import resource
import shutil
import sys
import tempfile
import time
import traceback
from contextlib import redirect_stdout

import pytest

from autograder import config
from autograder.contract import PARTS
from autograder.errors import SubmissionError
from autograder.load.payloads import scan_submission
from autograder.load.submission import Submission, locate
from autograder.results.assemble import build_results, internal_error_results, leaderboard, rescaled
from autograder.results.plugin import ResultsPlugin
from autograder.results.safe import printable
from autograder.results.table import print_table
from autograder.results.write import write_results
from autograder.sandbox.protection import protect_files_for_grading
from autograder.session.context import GradingContext

GRADED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "graded")


def grade(submission_path, results_path, *, parts=None, hidden_seed=None, data_dir=None,
          budget_seconds=None, training=True, rescale=False, stream=sys.stdout):
    """Grade ``submission_path`` (folder or zip) and write Gradescope JSON to ``results_path``.

    ``parts`` restricts grading to some modules (points are not rescaled here);
    ``training=False`` leaves out the tests that train on Fashion-MNIST (a quick check);
    ``rescale=True`` scales the points of the graded tests to add up to 100.
    ``hidden_seed`` None (the default) derives the seed from the deployment's secret and the
    submission's files (autograder/session/seeding.py): regrading the same files gives the same results.
    Returns the results dict. Never raises because of what the student did, and
    leaves a valid results file whatever happens (a bug of ours included).
    """
    started = time.monotonic()
    parts = list(parts or PARTS)
    workdir = tempfile.mkdtemp(prefix="autograder-unpack-")
    notes, log = [], []
    try:
        try:
            submission = locate(submission_path, workdir)
        except SubmissionError as err:
            submission = Submission()
            notes.append(str(err))
        notes += submission.notes
        # For the instructor only (extra_data), never shown to the student and worth no points.
        needs_a_look = [submission.explain(str(found)) for found in
                        scan_submission(submission.files, submission.other_files)]
        kwargs = {"hidden_seed": hidden_seed, "data_dir": data_dir}
        if budget_seconds is not None:
            kwargs["budget_seconds"] = budget_seconds
        with protect_files_for_grading(data_dir, log) as chmodded, \
                GradingContext(submission, **kwargs) as ctx:
            plugin = ResultsPlugin(ctx.artifacts, lambda nodeid: setattr(ctx, "current_test", nodeid),
                                   explain=submission.explain)
            isolation = list(ctx.sandbox.isolation) + (["chmod while grading"] if chmodded else [])
            spare_uid, summary = ctx.sandbox.uid, ctx.sandbox.summary
            pytest_output = io.StringIO()
            with redirect_stdout(pytest_output):
                exit_code = pytest.main(_pytest_args(parts, training), plugins=[plugin, ctx.fixtures()])
            peak, student_cpu = ctx.peak_memory, ctx.cpu_seconds_student
            needs_a_look += ctx.needs_a_look
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
        results["extra_data"] = {"isolation": isolation, "isolation_summary": summary, "spare_uid": spare_uid,
                                 "student_cpu_seconds": round(student_cpu, 2),
                                 "student_peak_memory_mb": round(peak / 2 ** 20, 1),
                                 "grader_peak_memory_mb": round(_own_peak_memory_mb(), 1),
                                 "hidden_seed": ctx.hidden_seed, "memory": memory,
                                 "seed_from": "--seed" if hidden_seed is not None else "the submission's files",
                                 "needs_a_look": needs_a_look}
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
            "-o", "console_output_style=classic", f"--timeout={config.TEST_TIME_LIMIT_SECONDS}", "--timeout-method=signal",
            "--rootdir", GRADED_DIR, "-c", os.path.join(GRADED_DIR, "pytest.ini")] + files


