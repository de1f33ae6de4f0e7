"""A pytest plugin that turns graded tests into Gradescope's results.json entries.

Tests carry gradescope-utils' decorators (weight, number, visibility, tags,
partial_credit, hide_errors); this plugin reads those attributes, the outcome
and the failure message. Messages of failed checks are the student's (they are
written for them); anything else that goes wrong in a test is reported as a
grader problem without a traceback, and logged for the instructor.
"""
import signal
import traceback

import pytest

from autograder.errors import GraderError, StudentError, TestTimeLimit
from autograder.results.assemble import test_order
from autograder.results.safe import bounded_extra_data, printable

MAX_OUTPUT_CHARS = 4000


class ResultsPlugin:
    def __init__(self, artifacts=None, on_test_start=None, explain=None):
        self.results = {}      # nodeid -> test entry
        self.log = []          # tracebacks of grader errors, for the instructor
        self.artifacts = artifacts if artifacts is not None else {}   # nodeid -> extra_data
        self.on_test_start = on_test_start
        self.explain = explain  # (message, error) -> message, e.g. notebook places for generated lines

    # pytest-timeout's backstop, raising a type of ours instead of pytest.fail("Timeout ..."),
    # so that the verdict "the grader's fault" is decided on the type.
    @pytest.hookimpl
    def pytest_timeout_set_timer(self, item, settings):
        def stop(signum, frame):
            raise TestTimeLimit(f"{item.nodeid} ran for more than {settings.timeout:g} s")
        signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, settings.timeout)
        return True

    @pytest.hookimpl
    def pytest_timeout_cancel_timer(self, item):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        return True

    @staticmethod
    def _function(item):
        return getattr(item, "obj", None)

    def pytest_runtest_setup(self, item):
        if self.on_test_start is not None:
            self.on_test_start(item.nodeid)
        function = self._function(item)
        if function is not None and hasattr(function, "__score__"):
            del function.__score__

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self._record(item, call, report)

    def _record(self, item, call, report):
        function = self._function(item)
        weight = float(getattr(function, "__weight__", 0.0))
        tags = [str(t) for t in getattr(function, "__tags__", ())]
        doc = (getattr(function, "__doc__", None) or "").strip()
        name = doc.splitlines()[0].strip() if doc else item.name
        entry = {
            "name": name,
            "number": str(getattr(function, "__number__", item.name)),
            "max_score": weight,
            "tags": tags or [item.module.__name__.split("_", 1)[-1]],
            "visibility": getattr(function, "__visibility__", "visible"),
        }
        passed = report.passed
        partial = getattr(function, "__score__", None)
        if partial is not None:
            score = min(max(float(partial), 0.0), weight)
        else:
            score = weight if passed else 0.0
        entry["score"] = round(score, 4)
        entry["status"] = "passed" if passed and score >= weight else "failed"
        message = "" if passed else self._message(item, call, report)
        hidden = getattr(function, "__hide_errors__", None)
        if message and hidden:
            message = str(hidden)
        if message:
            entry["output"] = printable(message, 2 * MAX_OUTPUT_CHARS)  # room for notebook notes
        if self.artifacts.get(item.nodeid):
            entry["extra_data"] = bounded_extra_data(self.artifacts[item.nodeid])
        self.results[item.nodeid] = entry

    def _message(self, item, call, report):
        excinfo = call.excinfo
        if excinfo is None:
            return "Failed."
        error = excinfo.value
        if isinstance(error, pytest.skip.Exception):
            return f"Not run: {error}"
        if isinstance(error, StudentError):  # the student's fault: the message is for them
            message = printable(error, MAX_OUTPUT_CHARS).strip() or "Failed."
            return self.explain(message, error) if self.explain else message
        self.log.append(f"{item.nodeid}:\n" + printable("".join(traceback.format_exception(
            type(error), error, error.__traceback__)), 20_000))
        if isinstance(error, GraderError) and error.student_message:
            return printable(error.student_message, MAX_OUTPUT_CHARS)
        return ("The autograder itself failed in this test "
                f"({type(error).__name__}). This is not a verdict on your work: please tell your instructor.")

    def entries(self):
        return sorted(self.results.values(), key=test_order)

