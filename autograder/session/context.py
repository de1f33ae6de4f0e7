"""The state of one grading, shared by the graded tests: sandbox, student modules, data, budget.

The graded tests never touch processes or files themselves; they ask a
:class:`~autograder.session.student_module.StudentModule` to call a function, read a value or
run a task, and get back plain data (or a :class:`~autograder.errors.StudentError` whose
message is for the student).
"""
import time

from autograder import config
from autograder.results.safe import safe_json
from autograder.sandbox.budget import MemoryBudget, settle_library_pages
from autograder.sandbox.sandbox import Sandbox
from autograder.session.fashion import FashionData
from autograder.session.fixtures import GradingFixtures
from autograder.session.keys import GradingKeys
from autograder.session.seeding import deployment_secret, submission_seed
from autograder.session.student_module import StudentModule


class GradingContext:
    def __init__(self, submission, *, hidden_seed=None, data_dir=None,
                 budget_seconds=config.TOTAL_BUDGET_SECONDS, use_spare_uid=None):
        self.submission = submission
        self.sandbox = Sandbox(submission.files, use_spare_uid=use_spare_uid)
        settle_library_pages()   # before any worker maps them: budget.py says why
        self.memory = MemoryBudget(self.sandbox.environment(1))
        # The same files always get the same seed (see seeding.py); --seed overrides it.
        self.hidden_seed = (int(hidden_seed) if hidden_seed is not None
                            else submission_seed(deployment_secret(), submission.files))
        self.keys = GradingKeys(self.hidden_seed)   # every value drawn in this grading comes from these
        self.fashion = FashionData(self.keys, self.sandbox, data_dir)
        self.deadline = time.monotonic() + budget_seconds
        self._modules = {}
        self.cpu_seconds_student = 0.0
        self.peak_memory = 0
        self.artifacts = {}        # test id -> {key: JSON-able value}, for reports
        self.current_test = None   # set by the results plugin
        self.needs_a_look = []     # for the instructor only (results.json's extra_data), never the student

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
        self.fashion.close()
        self.sandbox.close()

    def record(self, key, value):
        """Keep a JSON-able value (e.g. a learning curve) in this test's ``extra_data``."""
        self.artifacts.setdefault(self.current_test, {})[key] = safe_json(value)  # bounded at once

    def flag(self, text):
        """Note something the instructor should look at (a sign of training done elsewhere): it
        costs no points and is not shown to the student."""
        self.needs_a_look.append(safe_json(str(text)))

    def remaining(self):
        return self.deadline - time.monotonic()
