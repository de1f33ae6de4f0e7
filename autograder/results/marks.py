"""How a graded test is marked: its number, points, tags and visibility, in one decorator
(gradescope-utils' attributes, read by the results plugin); and ``lazy`` for values that
several cases of one test share."""
from gradescope_utils.autograder_utils import decorators

from autograder.errors import StudentError


def graded(number, points, tags, *, visibility=None, partial=False):
    """The gradescope-utils attributes of a graded test, in one decorator.

    ``number`` orders and names the test ("3.16"), ``points`` is its weight,
    ``tags`` its module first and then every contract name it exercises;
    ``partial=True`` passes ``set_score`` for partial credit (see ``score_cases``);
    ``visibility`` e.g. "after_due_date" for tests on inputs not shown before.
    """
    def decorate(test):
        if partial:
            test = decorators.partial_credit(points)(test)
        test = decorators.weight(points)(test)
        test = decorators.number(number)(test)
        test = decorators.tags(*tags)(test)
        if visibility is not None:
            test = decorators.visibility(visibility)(test)
        return test
    return decorate


def lazy(function):
    """``function()`` computed once, on first use; a failure is remembered too, so every
    case that needs the value fails with the same message (and the student's code is
    not called again), while the other cases of the test still run."""
    cache = {}

    def get():
        if "error" in cache:
            raise cache["error"]
        if "value" not in cache:
            try:
                cache["value"] = function()
            except StudentError as err:
                cache["error"] = err.detached()
                raise
        return cache["value"]
    return get
