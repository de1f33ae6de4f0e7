"""Hostile or broken submissions (hostile_cases.py): the grading finishes, its results are valid and
honest, it says what happened, and nothing of the student's outlives it."""
import os
import re

import pytest

from autograder.sandbox.sandbox import SHARED_TEMP_DIRS
from tests.corpus.gradings import finished
from tests.corpus.hostile_cases import HOSTILE_BY_NAME, HOSTILE_CASES
from tests.corpus.plan import hostile_key, variant_key
from tests.corpus.variants import BASE_VARIANT, REPO
from tests.helpers_results import lost_points, summary, tagged_with

pytestmark = [pytest.mark.timeout(1800), pytest.mark.grading]   # the corpus may be graded in the first test
BASELINE_KEY = variant_key(BASE_VARIANT)   # the same functions without the trick
WRITER = HOSTILE_BY_NAME["results_writer"]
# Tricks whose containment depends on the interpreter or the torch build, graded on Python 3.10 too
# (marked interpreter): frames and the gc, patched builtins/pytest/numpy, numpy's protocols, ctypes
# crashes, SyntaxError locations, surrogates in messages, memory above the torch build's baseline.
INTERPRETER_SENSITIVE = {"frame_inspection", "builtins_and_pytest_patch", "numpy_monkeypatch", "lying_objects",
                         "segfault_function", "segfault_import", "syntax_error", "surrogate_message", "memory_hog"}


def _hostile_params(cases):
    return [pytest.param(case.name, marks=[pytest.mark.corpus(hostile_key(case), BASELINE_KEY)]
                         + ([pytest.mark.interpreter] if case.name in INTERPRETER_SENSITIVE else []))
            for case in cases]


@pytest.mark.parametrize("name", _hostile_params(HOSTILE_CASES))
def test_hostile_submission_is_contained(corpus, name):
    """A hostile or broken submission: grading finishes, results are valid and honest, nothing is left behind."""
    case = HOSTILE_BY_NAME[name]
    g = finished(corpus, hostile_key(case))
    results = g.results
    assert not g.late_leftovers, f"{g.describe()}: processes still alive 3 s after the grading: {g.late_leftovers}"
    assert not g.results_changed_later, f"{g.describe()}: results.json changed after the grading ended"
    assert results["score"] < 1000 and all(t["name"] not in ("HOSTILE-DAEMON", "HOSTILE-RESULTS-WRITER")
                                           for t in results["tests"]), "the results file was forged"
    if case.max_tree_mb:
        extra = results["extra_data"]
        tree = extra["grader_peak_memory_mb"] + extra["student_peak_memory_mb"]
        assert tree < case.max_tree_mb, f"{g.describe()}: grader and student peaked at {tree:.0f} MB together"
    tests = [t for t in results["tests"] if t["tags"][0] in case.parts]
    assert tests, f"{g.describe()}: no test of {case.parts} in the results"
    assert {t["tags"][0] for t in results["tests"]} == set(case.parts)
    if case.check is not None:
        case.check(corpus, g, case, results)
        return
    checked = _check_scores(corpus, g, case, tests)
    if case.message:
        unclear = [t for t in checked if lost_points(t) and not re.search(case.message, t.get("output") or "")]
        assert not unclear, (f"{g.describe()} ({case.why}): messages do not say /{case.message}/:\n"
                             + summary(unclear, 600))
    for t in checked:
        if lost_points(t):
            assert (t.get("output") or "").strip(), f"test {t['number']} lost points without a message"
    if case.also_check is not None:
        case.also_check(g)


def _check_scores(corpus, g, case, tests):
    """Nothing but the trick scores 0; a trick beside correct functions scores no more than they do
    alone and costs points where it acts, not elsewhere. Returns the tests whose messages must be clear."""
    if not case.base:
        scored = [t for t in tests if t["score"] > 0 and not set(t["tags"][1:]) & set(case.may_score)]
        assert not scored, (f"{g.describe()} ({case.why}): a submission that is nothing but the trick scored "
                            "points:\n" + summary(scored, 400))
        return tests
    baseline = corpus.gradings[BASELINE_KEY].results if BASELINE_KEY in corpus.gradings else None
    base_score = {t["number"]: t["score"] for t in (baseline or {"tests": []})["tests"]}
    higher = [t for t in tests if t["score"] > base_score.get(t["number"], t["max_score"]) + 1e-9]
    assert not higher, f"{g.describe()}: scored more than without the trick:\n" + summary(higher)
    checked = []
    for function in case.affected:
        affected = tagged_with({"tests": tests}, function)
        assert affected, f"no test tagged {function!r}"
        not_lost = [t for t in affected if not lost_points(t)]
        assert not not_lost, (f"{g.describe()} ({case.why}): tests of {function} did not lose points:\n"
                              + summary(not_lost))
        checked += affected
    for number in case.affected_tests:
        (test,) = [t for t in tests if t["number"] == number]
        assert lost_points(test), f"{g.describe()} ({case.why}): test {number} did not lose points"
        checked.append(test)
    others = [t for t in tests if not any(f in t["tags"][1:] for f in case.affected)
              and t["number"] not in case.affected_tests]
    passing = [t for t in others if not lost_points(t)]
    assert len(passing) >= case.min_other_share * len(others), (
        f"{g.describe()} ({case.why}): the grading did not recover; {len(others) - len(passing)} of the "
        f"{len(others)} tests of functions without the trick lost points:\n"
        + summary([t for t in others if lost_points(t)], 300))
    return checked


# ----------------------------------------------------------------------------- what the corpus left

@pytest.mark.corpus(hostile_key(WRITER))
def test_grader_files_are_unchanged_by_the_corpus(corpus):
    """No submission changed a file of autograder/, reference/ or tests/."""
    before, after = corpus.digest_before, corpus.digest_after
    assert before, "no file of the grader was read"
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, ("files of the grader changed while the corpus was graded (if someone was editing "
                         f"the repository meanwhile, run again): {changed}")


@pytest.mark.corpus(hostile_key(WRITER), BASELINE_KEY)   # the baseline: something graded even without root
def test_no_student_files_outlive_the_grading(corpus):
    """Files a submission wrote to the shared temporary folders are gone when its grading ends.

    Otherwise, in batch grading, one student's code could leave data for another's
    (or fill the disk for the next gradings).
    """
    assert corpus.gradings, "nothing was graded"
    left = {k: g.files_left for k, g in corpus.gradings.items() if g.files_left}
    assert not left, "files of the student's uid left in " + ", ".join(SHARED_TEMP_DIRS) + ":\n" + "\n".join(
        f"  {k}: {v[:6]}" for k, v in left.items())


@pytest.mark.parametrize("name", [pytest.param(c.name, marks=pytest.mark.corpus(hostile_key(c)))
                                  for c in HOSTILE_CASES if c.cleanup is not None])
def test_hostile_writes_stay_outside_the_grader(corpus, name):
    """What a case managed to write outside its sandbox went only to world-writable scratch places,
    never near the grader."""
    key = hostile_key(HOSTILE_BY_NAME[name])
    if key in corpus.skipped:
        pytest.skip(corpus.skipped[key])
    g = corpus.gradings[key]
    near = [p for p in g.litter if p.startswith((REPO + os.sep, "/autograder", os.path.dirname(corpus.workdir)))]
    assert not near, f"forged results files next to the grader: {near}"
