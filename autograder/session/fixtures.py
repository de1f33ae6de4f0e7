"""The pytest plugin through which the graded tests get one grading's state."""
import pytest


def _module_fixture(name):
    @pytest.fixture(scope="module")
    def fixture(self):
        yield self.context.module(name)
        self.context.close_module(name)  # kills every process the module's code started
    return fixture


class GradingFixtures:
    """A pytest plugin, passed by ``grade`` to ``pytest.main``: the fixture ``grading`` (this
    grading: data set, budget, seed) and one :class:`StudentModule` proxy per contract module
    (``calculus``, ``linear_models``, ``mlp``, ``conv``, ``torch_models``)."""

    def __init__(self, context):
        self.context = context

    @pytest.fixture
    def grading(self):
        return self.context

    calculus = _module_fixture("calculus")
    linear_models = _module_fixture("linear_models")
    mlp = _module_fixture("mlp")
    conv = _module_fixture("conv")
    torch_models = _module_fixture("torch_models")
