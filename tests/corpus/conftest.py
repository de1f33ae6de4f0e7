"""The corpus is graded once per session, in parallel: exactly the gradings that the selected
tests name in their ``corpus`` marker (so ``pytest -k`` grades only part of it)."""
import os

import pytest

from tests.corpus.gradings import grade_corpus
from tests.corpus.plan import all_gradings

JOBS = int(os.environ.get("CORPUS_JOBS", "3"))


@pytest.fixture(scope="session")
def corpus(request, tmp_path_factory):
    wanted = {key for item in request.session.items for mark in item.iter_markers("corpus") for key in mark.args}
    planned = all_gradings()
    unknown = wanted - set(planned)
    assert not unknown, f"corpus markers name gradings that tests/corpus/plan.py does not plan: {sorted(unknown)}"
    return grade_corpus([p for key, p in planned.items() if key in wanted], str(tmp_path_factory.mktemp("corpus")),
                        JOBS)

