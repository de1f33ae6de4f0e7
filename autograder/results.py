"""A pytest plugin that turns graded tests into Gradescope's results.json entries.

Tests carry gradescope-utils' decorators (weight, number, visibility, tags,
partial_credit, hide_errors); this plugin reads those attributes, the outcome
and the failure message. Messages of failed checks are the student's (they are
written for them); anything else that goes wrong in a test is reported as a
grader problem without a traceback, and logged for the instructor.
"""
import math
import traceback
import unicodedata

import numpy as np
import pytest

from .compare import CheckFailed
from .context import FashionDataMissing
from .sandbox import StudentError

MAX_OUTPUT_CHARS = 4000
MAX_TEXT_CHARS = 20_000       # any one string from student data
MAX_LIST_ITEMS = 2_000        # a learning curve is thinned to this many points
MAX_EXTRA_BYTES = 50_000      # one test's extra_data, serialised
MAX_DEPTH = 8
_KEEP_CONTROL = "\n\t"


def printable(text, limit=MAX_TEXT_CHARS):
    """``text`` as a string any terminal, file or JSON parser accepts.

    Lone surrogates become '?'; control and format characters (terminal escapes,
    direction overrides) become U+FFFD; the length is capped.
    """
    if not isinstance(text, str):
        try:
            text = str(text)
        except Exception:
            text = "(unprintable)"
    if len(text) > limit:
        text = text[:limit] + "\n[...]"
    text = text.encode("utf-8", "replace").decode("utf-8")  # surrogates cannot be encoded: '?'
    return "".join(c if c in _KEEP_CONTROL or unicodedata.category(c)[0] != "C"
                   else "\ufffd" for c in text)


def safe_json(value, depth=0):
    """A copy of ``value`` that strict JSON accepts: non-finite numbers and unknown objects as
    strings, text made printable, long lists thinned, nesting cut."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value) if abs(int(value)) < 2 ** 63 else float(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return printable(value)
    if depth >= MAX_DEPTH:
        return "(nested too deeply)"
    if isinstance(value, np.ndarray):
        value = value.ravel()[:MAX_LIST_ITEMS * 10].tolist() if value.dtype.kind in "biuf" else repr(value.dtype)
        if isinstance(value, str):
            return printable(f"(array of {value})")
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST_ITEMS:  # evenly spaced points, the last one kept
            step = len(value) / MAX_LIST_ITEMS
            value = [value[int(i * step)] for i in range(MAX_LIST_ITEMS - 1)] + [value[-1]]
        return [safe_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        items = list(value.items())[:MAX_LIST_ITEMS]
        return {printable(k, 200): safe_json(v, depth + 1) for k, v in items}
    return printable(f"({type(value).__name__})", 200)
MODULE_ORDER = ("calculus", "linear_models", "mlp", "conv", "torch_models")


class ResultsPlugin:
    def __init__(self, artifacts=None, on_test_start=None):
        self.results = {}      # nodeid -> test entry
        self.log = []          # tracebacks of grader errors, for the instructor
        self.artifacts = artifacts if artifacts is not None else {}   # nodeid -> extra_data
        self.on_test_start = on_test_start

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
            entry["output"] = printable(message, MAX_OUTPUT_CHARS)
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
        if isinstance(error, (CheckFailed, StudentError)):  # the student's fault: the message is for them
            return printable(error, MAX_OUTPUT_CHARS).strip() or "Failed."
        self.log.append(f"{item.nodeid}:\n" + printable("".join(traceback.format_exception(
            type(error), error, error.__traceback__)), 20_000))
        if isinstance(error, pytest.fail.Exception) and "Timeout" in str(error):
            return ("The autograder stopped this test after its overall time limit. This is a problem "
                    "of the autograder, not a verdict on your work: please tell your instructor.")
        if isinstance(error, FashionDataMissing):  # its message says whose problem it is
            return printable(error, MAX_OUTPUT_CHARS)
        return ("The autograder itself failed in this test "
                f"({type(error).__name__}). This is not a verdict on your work: please tell your instructor.")

    def entries(self):
        def order(entry):
            module = entry["tags"][0]
            rank = MODULE_ORDER.index(module) if module in MODULE_ORDER else len(MODULE_ORDER)
            number = [int(p) if p.isdigit() else 0 for p in entry["number"].split(".")]
            return rank, number
        return sorted(self.results.values(), key=order)


def bounded_extra_data(data):
    """A test's extra_data, strict-JSON safe and at most MAX_EXTRA_BYTES once serialised."""
    import json
    data = safe_json(data)
    if len(json.dumps(data, allow_nan=False)) <= MAX_EXTRA_BYTES:
        return data
    kept = {}
    for key, value in (data.items() if isinstance(data, dict) else [("value", data)]):
        if len(json.dumps(value, allow_nan=False)) < MAX_EXTRA_BYTES // 4:
            kept[key] = value
        else:
            kept[key] = "(omitted: too large)"
    return kept
