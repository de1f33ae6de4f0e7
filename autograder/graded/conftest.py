"""Seeded inputs for the graded tests.

The fixtures ``grading`` and ``calculus``, ``linear_models``, ``mlp``, ``conv``,
``torch_models`` (one proxy per student module) come from the plugin that
``grade`` passes to pytest (``autograder.session.context.GradingFixtures``).
"""
import zlib

import numpy as np
import pytest


def _seeded(grading, request, stream):
    return np.random.default_rng([grading.hidden_seed, stream, zlib.crc32(request.node.name.encode())])


@pytest.fixture
def rng(grading, request):
    """Inputs drawn from the submission's seed: the same on every regrade of the same files,
    different once a file changes, so answers shown in one grading's feedback cannot be replayed."""
    return _seeded(grading, request, 0)


@pytest.fixture
def hidden_rng(grading, request):
    """Like ``rng``, for tests whose inputs are never shown before the due date
    (use with visibility 'after_due_date')."""
    return _seeded(grading, request, 1)
