"""Fixtures for the graded tests: one proxy per student module, and seeded inputs."""
import zlib

import numpy as np
import pytest

from autograder.context import current


def _student_module(name):
    @pytest.fixture(scope="module")
    def fixture():
        grading = current()
        yield grading.module(name)
        grading.close_module(name)  # kills every process the module's code started
    return fixture


calculus = _student_module("calculus")
linear_models = _student_module("linear_models")
mlp = _student_module("mlp")
conv = _student_module("conv")
torch_models = _student_module("torch_models")


@pytest.fixture
def grading():
    """The grading in progress (data set, budget)."""
    return current()


def _seeded(request, stream):
    return np.random.default_rng([current().hidden_seed, stream, zlib.crc32(request.node.name.encode())])


@pytest.fixture
def rng(request):
    """Inputs drawn from the submission's seed: the same on every regrade of the same files,
    different once a file changes, so answers shown in one grading's feedback cannot be replayed."""
    return _seeded(request, 0)


@pytest.fixture
def hidden_rng(request):
    """Like ``rng``, for tests whose inputs are never shown before the due date
    (use with visibility 'after_due_date')."""
    return _seeded(request, 1)
