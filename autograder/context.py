"""The state of one grading, shared by the graded tests: sandbox, student modules, data, budget.

The graded tests never touch processes or files themselves; they ask a
:class:`StudentModule` to call a function, read a value or run a task, and get
back plain data (or a :class:`~autograder.sandbox.StudentError` whose message is
for the student).
"""
import os
import time

import numpy as np
import pytest

from . import config
from .budget import MemoryBudget
from .safe import safe_json
from .sandbox import Limits, ModuleUnavailable, Sandbox, StudentError, StudentTimeout
from .seeding import deployment_secret, submission_seed
from .submission import MODULES, Submission

class GradingContext:
    def __init__(self, submission: Submission, *, hidden_seed=None, data_dir=None,
                 budget_seconds=config.TOTAL_BUDGET_SECONDS, use_spare_uid=None):
        self.submission = submission
        self.sandbox = Sandbox(submission.files, use_spare_uid=use_spare_uid)
        self.memory = MemoryBudget(self.sandbox.environment(1))
        # The same files always get the same seed (see seeding.py); --seed overrides it.
        self.hidden_seed = (int(hidden_seed) if hidden_seed is not None
                            else submission_seed(deployment_secret(), submission.files))
        self.label_permutation = label_permutation(self.hidden_seed)
        self.data_dir = data_dir
        self.deadline = time.monotonic() + budget_seconds
        self._modules = {}
        self._fashion = None
        self.cpu_seconds_student = 0.0
        self.peak_memory = 0
        self.artifacts = {}        # test id -> {key: JSON-able value}, for reports
        self.current_test = None   # set by the results plugin

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fixtures(self):
        """The pytest plugin that gives the graded tests this grading (see :class:`GradingFixtures`)."""
        return GradingFixtures(self)

    def module(self, name):
        if name not in self._modules:
            self._modules[name] = StudentModule(self, name)
        return self._modules[name]

    def close_module(self, name):
        module = self._modules.pop(name, None)
        if module is not None:
            module.close()

    def close(self):
        for name in list(self._modules):
            self.close_module(name)
        self.sandbox.close()

    def record(self, key, value):
        """Keep a JSON-able value (e.g. a learning curve) in this test's ``extra_data``."""
        self.artifacts.setdefault(self.current_test, {})[key] = safe_json(value)  # bounded at once

    def remaining(self):
        return self.deadline - time.monotonic()

    def fashion_mnist(self):
        """Write the training subset and the test images (never test labels) for the sandbox.

        The training labels the student's code sees are relabelled by this grading's
        ``label_permutation`` (class k becomes ``label_permutation[k]``), so a model
        that answers the public test labels (a lookup table, weights trained at home)
        is wrong here; :meth:`original_classes` maps predictions back.
        Returns ``(test_images, test_labels)`` (uint8 (10000, 28, 28), int64 (10000,),
        labels not relabelled), which stay in the grader's process. Raises
        ``FashionDataMissing`` (a message for the instructor) if no data is found.
        """
        if self._fashion is None:
            from coursedata.fashion_mnist import load_fashion_mnist
            try:
                data = load_fashion_mnist(self.data_dir)
            except Exception as err:  # the loader's own error lists where it looked
                raise FashionDataMissing(
                    "The grader could not load Fashion-MNIST, so this test could not run; "
                    f"this is not your fault, please tell your instructor. ({err})") from None
            X_train, y_train, X_test, y_test = data
            n = config.TRAIN_SUBSET
            relabelled = self.label_permutation[np.asarray(y_train[:n], dtype=np.int64)]
            for name, array in [("train_images", X_train[:n]), ("train_labels", relabelled),
                                ("test_images", X_test)]:
                path = os.path.join(self.sandbox.data_dir, name + ".npy")
                np.save(path, np.ascontiguousarray(array), allow_pickle=False)
                self.sandbox.share(path)
            self._fashion = (np.asarray(X_test), np.asarray(y_test, dtype=np.int64))
        return self._fashion

    def original_classes(self, predictions):
        """Predicted classes in the relabelled space the student trained on -> Fashion-MNIST classes."""
        predictions = np.asarray(predictions, dtype=np.int64)
        return np.argsort(self.label_permutation)[predictions]


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


def label_permutation(seed, classes=10):
    """A permutation of the classes without fixed points, drawn from ``seed``.

    No class keeps its label, so a model that predicts the public labels gets
    (almost) every test image wrong once its predictions are mapped back.
    """
    rng = np.random.default_rng([int(seed), 0x1abe1])
    while True:
        permutation = rng.permutation(classes)
        if not np.any(permutation == np.arange(classes)):
            return permutation


class FashionDataMissing(AssertionError):
    """The grader's data is missing: not the student's fault."""


class StudentModule:
    """Proxy for one student module running in the sandbox.

    ``m.call("sigmoid", x)`` or ``m.sigmoid(x)`` returns the value;
    ``m.get("HYPERPARAMS")`` reads a module-level value; ``m.task(...)`` runs a
    grader-written step from tasks.py beside the student's code.
    """

    def __init__(self, context, name):
        self.context, self.name = context, name
        self._process = None
        self._unavailable = None
        self._timed_out = set()

    def _ensure(self):
        if self._unavailable:
            raise ModuleUnavailable(self._unavailable)
        if not self.context.submission.has(self.name):
            self._unavailable = self._missing_message()
            raise ModuleUnavailable(self._unavailable)
        if self._process is None:
            budget = self.context.memory
            limits = Limits(memory_mb=budget.memory_mb(self.name),
                            address_space_mb=budget.address_space_mb(self.name, Limits.address_space_mb))
            import_timeout = max(1.0, min(config.IMPORT_TIMEOUT, self.context.remaining()))
            try:
                self._process = self.context.sandbox.start(self.name, limits, import_timeout)
            except ModuleUnavailable as err:
                self._unavailable = str(err)
                raise
            except StudentError as err:  # hang, crash or exit while importing: same for every test
                self._unavailable = f"{self.name}.py could not be imported: {err}"
                raise ModuleUnavailable(self._unavailable) from None
        return self._process

    def _missing_message(self):
        message = f"{self.name}.py was not found in your submission, so its tests score 0."
        found = sorted(self.context.submission.files)
        message += f" Files found: {', '.join(found) if found else 'none'}."
        notes = [n for n in self.context.submission.notes if f"{self.name}.py" in n or ".ipynb" in n]
        return message + ("\n" + "\n".join(notes) if notes else "")

    def has(self, function):
        return function in self._ensure().names

    def _budget(self, timeout, key):
        if key in self._timed_out:
            raise StudentTimeout(f"{key} ran out of time in an earlier test, so it was not called again.")
        remaining = self.context.remaining()
        if remaining < 2:
            raise StudentTimeout("The grading time budget is used up (earlier tests ran too long), "
                                 "so this test could not run.")
        return min(timeout, remaining)

    def _run(self, key, method, /, *args, timeout, **kwargs):
        process = self._ensure()
        timeout = self._budget(timeout, key)
        try:
            result = method(process, *args, timeout=timeout, **kwargs)
        except StudentTimeout:
            self._timed_out.add(key)
            raise
        self.context.cpu_seconds_student += result.cpu_seconds
        self.context.peak_memory = max(self.context.peak_memory, result.peak_memory)
        return result.value

    def call(self, function, *args, timeout=config.CALL_TIMEOUT, cpu_budget=None, **kwargs):
        process = self._ensure()
        if function not in process.names:
            raise StudentError(f"{self.name}.py does not define {function}.")
        if not process.names[function]:
            raise StudentError(f"{self.name}.{function} is not a function.")
        return self._run(function, lambda p, *a, **k: p.call(function, *a, **k), *args,
                         timeout=timeout, cpu_budget=cpu_budget, **kwargs)

    def get(self, name, timeout=config.CALL_TIMEOUT):
        process = self._ensure()
        if name not in process.names:
            raise StudentError(f"{self.name}.py does not define {name}.")
        return self._run(name, lambda p, **k: p.get(name, **k), timeout=timeout)

    def task(self, task, /, *, key, timeout, cpu_budget=None, **kwargs):
        """Run tasks.``task`` with this module; ``key`` names the student function it exercises."""
        return self._run(key, lambda p, **k: p.task(task, what=key, **k), timeout=timeout,
                         cpu_budget=cpu_budget, **kwargs)

    def __getattr__(self, function):
        if function.startswith("_"):
            raise AttributeError(function)
        return lambda *args, **kwargs: self.call(function, *args, **kwargs)

    def close(self):
        if self._process is not None:
            self._process.close()
            self._process = None


__all__ = ["GradingContext", "GradingFixtures", "StudentModule", "MODULES", "FashionDataMissing",
           "label_permutation"]
