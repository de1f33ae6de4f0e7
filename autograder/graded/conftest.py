"""Seeded inputs for the graded tests.

The fixtures ``grading`` and ``calculus``, ``linear_models``, ``mlp``, ``conv``,
``torch_models`` (one proxy per student module) come from the plugin that
``grade`` passes to pytest (``autograder.session.fixtures.GradingFixtures``).
"""
import pytest


@pytest.fixture
def rng(grading, request):
    """Inputs drawn from the submission's seed: the same on every regrade of the same files,
    different once a file changes, so answers shown in one grading's feedback cannot be replayed.
    Each test has a key of its own (session/keys.py): what one test shows tells nothing of another's
    inputs, nor of the grading's secrets (training data, renaming)."""
    return grading.keys.generator("inputs", request.node.name)


@pytest.fixture
def hidden_rng(grading, request):
    """Like ``rng``, for tests whose inputs are never shown before the due date
    (use with visibility 'after_due_date')."""
    return grading.keys.generator("hidden inputs", request.node.name)
