"""What check.py defines in place of the grader's errors and codec, which compare.py imports: in the
self-check every value is the student's own, never decoded from a sandbox."""
import numpy as np


class StudentError(Exception):
    """(In the grader: the root of its exceptions.)"""

    def __init__(self, *args, causes=()):
        super().__init__(*args)
        self.causes = list(causes)

    def detached(self):
        """(In the grader: the error without the frames it passed through.)"""
        return self.with_traceback(None)


class CheckFailed(StudentError):
    """A check failed; the message says what to fix."""


class Unsupported:
    """(In the grader: a value with no data-only encoding; never made here.)"""
    description = ""


class Tensor(np.ndarray):
    """(In the grader: a torch tensor sent back as an array; never made here.)"""
