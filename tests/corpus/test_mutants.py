"""One-bug mutants of the reference (tests/mutants.py) lose points where they are wrong, and mostly only there."""
import os
import re

import pytest

from tests import mutants as mutant_table
from tests.corpus.gradings import finished
from tests.corpus.plan import MODULES, mutant_key
from tests.corpus.variants import REPO
from tests.helpers_results import lost_points, of_module, summary

pytestmark = pytest.mark.timeout(1800)   # the corpus may be graded in this module's first test
MIN_OTHER_SHARE = 0.3


def test_every_mutant_applies_to_the_reference():
    """Each mutant's snippet occurs exactly once in the reference (no silent drift)."""
    for mutant in mutant_table.MUTANTS:
        assert mutant.module in MODULES
        mutated = mutant_table.mutated_source(mutant)
        with open(os.path.join(REPO, "reference", f"{mutant.module}.py"), encoding="utf-8") as f:
            assert mutated != f.read()
    covered = {m.module for m in mutant_table.MUTANTS}
    assert covered == set(MODULES), f"modules without mutants: {set(MODULES) - covered}"


@pytest.mark.grading
@pytest.mark.parametrize("name", [pytest.param(m.name, marks=pytest.mark.corpus(mutant_key(m)))
                                  for m in mutant_table.MUTANTS])
def test_mutant_loses_points_where_it_is_wrong(corpus, name):
    """A one-bug mutant loses points in a test tagged with its function; the module's other tests mostly pass."""
    mutant = mutant_table.BY_NAME[name]
    g = finished(corpus, mutant_key(mutant))
    module_tests = of_module(g.results, mutant.module)
    tagged = [t for t in module_tests if mutant.function in t["tags"][1:]]
    assert tagged, f"no test of {mutant.module} is tagged {mutant.function!r}"
    lost = [t for t in tagged if lost_points(t)]
    assert lost, (f"{g.describe()}: mutant {name} ({mutant.description}) was not caught; the tests tagged "
                  f"{mutant.function!r}:\n" + summary(tagged))
    for t in lost:
        assert (t.get("output") or "").strip(), f"test {t['number']} lost points without a message"
    if mutant.message:
        assert any(re.search(mutant.message, t.get("output") or "") for t in lost), (
            f"{g.describe()}: mutant {name} ({mutant.description}) was caught, but no message names the mistake "
            f"(/{mutant.message}/):\n" + summary(lost, 600))
    others = [t for t in module_tests if mutant.function not in t["tags"][1:]]
    passing = [t for t in others if not lost_points(t)]
    if others:
        assert len(passing) >= MIN_OTHER_SHARE * len(others), (
            f"{g.describe()}: mutant {name} ({mutant.description}) also sank {len(others) - len(passing)} of the "
            f"{len(others)} other tests of {mutant.module}:\n" + summary([t for t in others if lost_points(t)]))
