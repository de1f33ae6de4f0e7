"""Correct submissions written independently from the contract get full marks."""
import pytest

from tests.corpus.gradings import finished
from tests.corpus.plan import MODULES, TRAINING_KEY, variant_key
from tests.corpus.variants import VARIANT_STYLES
from tests.helpers_results import lost_points, summary

# The whole corpus is graded in the first corpus test's setup: give it room on a busy machine.
pytestmark = [pytest.mark.timeout(1800), pytest.mark.grading]


@pytest.mark.interpreter   # full marks on Gradescope's Python 3.10 too
@pytest.mark.parametrize("style", [pytest.param(style, marks=pytest.mark.corpus(variant_key(style)))
                                   for style in sorted(VARIANT_STYLES)])
def test_correct_variant_gets_full_marks(corpus, style):
    """A correct submission written independently from the contract passes every test (no training)."""
    g = finished(corpus, variant_key(style))
    results = g.results
    failed = [t for t in results["tests"] if t["status"] != "passed" or lost_points(t)]
    assert not failed, f"{g.describe()} ({VARIANT_STYLES[style]}): false failures\n" + summary(failed, 400)
    assert results["extra_data"]["needs_a_look"] == [], "an honest submission flagged for the instructor"
    assert {t["tags"][0] for t in results["tests"]} == set(MODULES)
    assert "Missing" not in results.get("output", ""), results.get("output")


@pytest.mark.slow
@pytest.mark.corpus(TRAINING_KEY)
def test_variant_gets_full_marks_with_training(corpus):
    """The zipped variant, all five modules with Fashion-MNIST training: 100/100."""
    g = finished(corpus, TRAINING_KEY)
    results = g.results
    failed = [t for t in results["tests"] if t["status"] != "passed" or lost_points(t)]
    assert not failed, f"{g.describe()}: false failures\n" + summary(failed, 600)
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(100)
    assert results["score"] == pytest.approx(100)
    assert results["extra_data"]["needs_a_look"] == [], "an honest submission flagged for the instructor"
