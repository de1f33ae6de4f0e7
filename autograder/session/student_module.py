"""Proxy for one student module running in the sandbox: calls, values and tasks as plain data."""
from autograder import config
from autograder.errors import MissingName, ModuleUnavailable, StudentError, StudentTimeout
from autograder.sandbox.budget import baseline_kind
from autograder.sandbox.sandbox import Limits


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
                            address_space_mb=budget.address_space_mb(self.name, Limits.address_space_mb),
                            baseline_mb=budget.baseline(baseline_kind(self.name))["peak_mb"],
                            container_mb=budget.container_mb)
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
            raise MissingName(f"{self.name}.py does not define {function}.", part=self.name)
        if not process.names[function]:
            raise MissingName(f"{self.name}.{function} is not a function.", part=self.name)
        return self._run(function, lambda p, *a, **k: p.call(function, *a, **k), *args,
                         timeout=timeout, cpu_budget=cpu_budget, **kwargs)

    def get(self, name, timeout=config.CALL_TIMEOUT):
        process = self._ensure()
        if name not in process.names:
            raise MissingName(f"{self.name}.py does not define {name}.", part=self.name)
        return self._run(name, lambda p, **k: p.get(name, **k), timeout=timeout)

    def task(self, task, /, *, exercises, what=None, timeout, cpu_budget=None, **kwargs):
        """Run tasks.``task`` beside this module (use the typed functions of sandbox/calls.py).

        ``exercises``: the contract names the task uses (a missing one is a :class:`MissingName`
        before anything runs); ``what`` names the run in messages and for timeouts (default: the
        first name).
        """
        process = self._ensure()
        names = (exercises,) if isinstance(exercises, str) else tuple(exercises)
        for name in names:
            if name not in process.names:
                raise MissingName(f"{self.name}.py does not define {name}.", part=self.name)
        what = what or names[0]
        return self._run(what, lambda p, **k: p.task(task, what=what, **k), timeout=timeout,
                         cpu_budget=cpu_budget, **kwargs)

    def __getattr__(self, function):
        if function.startswith("_"):
            raise AttributeError(function)
        return lambda *args, **kwargs: self.call(function, *args, **kwargs)

    def close(self):
        if self._process is not None:
            self._process.close()
            self._process = None
