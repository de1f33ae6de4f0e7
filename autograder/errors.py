"""The one exception hierarchy of the grader. Verdicts are decided on these types, never on a
message's text.

- :class:`StudentError` and its kinds: something the student's code did (or did not do). The
  message is written for the student and shown in the test's output; the test loses its points.
- :class:`GraderError` and its kinds: the grader or its machine failed. Never the student's
  fault: the student is told so, the instructor gets the details in the log.
- :class:`SubmissionError`: the submission as a whole cannot be read (a message for the student,
  shown once at the top of the results, not a test failure).

Code that runs inside the sandbox (worker, tasks, codec, confinement) does not import this: it
reports failures as data, which the grader turns into these types. Nor does the notebook reader,
which the students' self-check carries too: its ``NotebookError`` (a message for the student)
becomes a note on the submission.
"""


class StudentError(Exception):
    """A failure caused by the student's code; the message is for the student. ``causes``: the
    errors a check collected into this one (see ``judge.compare.score_cases``)."""

    def __init__(self, *args, causes=()):
        super().__init__(*args)
        self.causes = list(causes)

    def extended(self, text):
        """The same error, of the same type, with ``text`` added to its message."""
        extended = self._copy()
        extended.args = (f"{self}\n{text}",)
        return extended

    def detached(self):
        """The same error without its traceback, context or cause: what is kept of a failure for
        later (a collected cause, a remembered failure) must not keep alive the frames it passed
        through, whose locals can hold the student's whole answer."""
        kept = self._copy()
        kept.causes = [cause.detached() for cause in self.causes]
        return kept

    def _copy(self):
        """A new error of the same type with the same message and attributes, and no traceback,
        context or cause (copy.copy would call ``__init__`` again, which kinds with keyword-only
        arguments such as MissingName's ``part`` refuse)."""
        clone = type(self).__new__(type(self))
        clone.args = self.args
        clone.__dict__.update(self.__dict__)
        return clone

    def kinds(self):
        """This error and, recursively, the ones it collected."""
        return [self] + [kind for cause in self.causes for kind in cause.kinds()]


class CheckFailed(StudentError):
    """A graded check found a wrong value, shape or property."""


class WrongReturn(StudentError):
    """A value came back that the contract does not allow (type, shape, size), refused before the
    grader computes anything from it."""


class MissingName(StudentError):
    """The student's module does not define a name the contract promises (or defines it as
    something that is not a function)."""

    def __init__(self, message, *, part):
        super().__init__(message)
        self.part = part


class ModuleUnavailable(StudentError):
    """The student's module is missing or could not be imported."""


class StudentException(StudentError):
    """The student's code raised an exception."""


class StudentTimeout(StudentError):
    """The student's code ran out of wall-clock or CPU time (or the grading's time budget)."""


class StudentCrash(StudentError):
    """The student's process died (exit, signal) or broke the protocol."""


class OutOfMemory(StudentCrash):
    """The student's processes used more memory than their share (stopped by the watchdog or
    by the address-space limit, which shows as a MemoryError in the student's code)."""


class DiskBudgetExceeded(StudentCrash):
    """The student's processes wrote more than their scratch folder's budget."""


class GraderError(Exception):
    """The grader or its machine failed: not the student's fault. ``student_message`` (if any)
    is what the student is told; the rest goes to the instructor's log."""

    student_message = None


class SandboxError(GraderError):
    """The sandbox itself failed (e.g. a confinement layer could not be applied)."""


class FashionDataMissing(GraderError):
    """The grader's copy of Fashion-MNIST could not be loaded."""

    def __init__(self, detail):
        super().__init__(detail)
        self.student_message = ("The grader could not load Fashion-MNIST, so this test could not run; "
                                f"this is not your fault, please tell your instructor. ({detail})")


class TestTimeLimit(GraderError):
    """A graded test ran past the grader's own backstop (pytest-timeout)."""

    student_message = ("The autograder stopped this test after its overall time limit. This is a problem "
                       "of the autograder, not a verdict on your work: please tell your instructor.")


class SubmissionError(Exception):
    """The submission cannot be read at all (not a folder or zip, unsafe zip, ...); the message
    is for the student."""
