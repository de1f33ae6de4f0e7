"""Checks of a results.json written by the grader: Gradescope's schema and this project's promises."""
import json
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _shared_dir():
    """shared/ (the contract, the results schema): AUTOGRADER_SHARED if set, else beside the
    repository, else, in a git worktree, beside the main checkout."""
    if os.environ.get("AUTOGRADER_SHARED"):
        return os.environ["AUTOGRADER_SHARED"]
    beside = os.path.join(os.path.dirname(REPO), "shared")
    git_file = os.path.join(REPO, ".git")
    if not os.path.isdir(beside) and os.path.isfile(git_file):   # "gitdir: <main>/.git/worktrees/<name>"
        with open(git_file, encoding="utf-8") as f:
            gitdir = f.read().partition(":")[2].strip()
        main_checkout = os.path.dirname(os.path.dirname(os.path.dirname(gitdir)))
        if os.path.isdir(os.path.join(os.path.dirname(main_checkout), "shared")):
            return os.path.join(os.path.dirname(main_checkout), "shared")
    return beside


SHARED = _shared_dir()
SCHEMA_PATH = os.path.join(SHARED, "gradescope-results.schema.json")
MAX_RESULTS_BYTES = 1_000_000
_schema = []


def schema():
    """The results schema from shared/ beside the repository (the test is skipped without it)."""
    if not _schema:
        if not os.path.exists(SCHEMA_PATH):
            pytest.skip(f"{SCHEMA_PATH} is absent (shared/ is not beside the repository), "
                        "so results.json cannot be validated")
        with open(SCHEMA_PATH, encoding="utf-8") as f:
            _schema.append(json.load(f))
    return _schema[0]


def validate(results, path=None):
    """Fail unless ``results`` is valid Gradescope JSON as this project promises to write it.

    The schema, then what it cannot say: each score within [0, max_score], the
    total equal to the sum of the tests' scores, and the file under 1 MB.
    """
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(results, schema())
    for test in results["tests"]:
        assert 0 <= test["score"] <= test["max_score"] + 1e-9, f"score out of range: {test}"
    if "score" in results:
        total = sum(t["score"] for t in results["tests"])
        assert abs(results["score"] - total) < 1e-3, f"total {results['score']} != sum of tests {total}"
    size = os.path.getsize(path) if path else len(json.dumps(results))
    assert size < MAX_RESULTS_BYTES, f"results.json is {size} bytes"


def tagged_with(results, name):
    """The tests whose tags (after the module) include ``name``."""
    return [t for t in results["tests"] if name in t["tags"][1:]]


def of_module(results, module):
    return [t for t in results["tests"] if t["tags"][0] == module]


def lost_points(test):
    return test["score"] < test["max_score"] - 1e-9


def summary(tests, width=160):
    """One line per test (number, points, first line of the message), for assertion messages."""
    lines = []
    for t in tests:
        first = (t.get("output") or "").strip().splitlines()
        lines.append(f"  {t['number']:>6} {t['score']:g}/{t['max_score']:g} {t['name'][:60]}"
                     + (f" | {first[0][:width]}" if first else ""))
    return "\n".join(lines)
