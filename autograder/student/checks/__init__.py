"""The students' self-check, defined once here and rendered into ``student_template/check.py``.

    machinery.py        the student-facing docstring, helpers, and the check registry
    calculus.py ...     the checks of each part (one file per part of the contract)
    runner.py           importing the student's files (or notebooks), running, printing

Inside this repository the sources import the grader's numbers (``config.py``),
hyper-parameter rules (``hyperparams.py``), comparisons (``compare.py``), replays of
training (``rounding.py``, ``replays.py``, ``training.py``) and notebook reader (``notebook.py``);
:func:`render` writes their values and source in instead and joins the files, so
the copy that ships to students is one standalone file with no solution inside.
"""
import ast
import os

from autograder import config, contract
from autograder.judge import compare, hyperparams, replays, rounding, training
from autograder.load import notebook

HERE = os.path.dirname(os.path.abspath(__file__))
MACHINERY = os.path.join(HERE, "machinery.py")
CHECK_FILES = contract.PARTS + ("runner",)
SHARED_NAMESPACE = "from .machinery import *"
BLOCKS = {"# BEGIN GRADER DEFINITIONS": "# END GRADER DEFINITIONS",
          "# BEGIN GRADER COMPARE": "# END GRADER COMPARE",
          "# BEGIN GRADER REPLAYS": "# END GRADER REPLAYS",
          "# BEGIN NOTEBOOK READER": "# END NOTEBOOK READER"}
# What compare.py takes from the codec, for values that come from the sandbox; here values are the student's own.
CODEC_STANDINS = ["class StudentError(Exception):", '    """(In the grader: the root of its exceptions.)"""', "", "",
                  "class CheckFailed(StudentError):",
                  '    """A check failed; the message says what to fix."""', "", "",
                  "class Unsupported:", '    """(In the grader: a value with no data-only encoding; never made here.)"""',
                  '    description = ""', "", "", "class Tensor(np.ndarray):",
                  '    """(In the grader: a torch tensor sent back as an array; never made here.)"""']
CONSTANTS = ("TRAIN_SUBSET", "MLP_MAX_TEST_ERROR", "TORCH_MIN_TEST_ACCURACY", "TRAIN_CPU_SECONDS")


def _module_body(module):
    """A module's source without its docstring and its imports from the grader's own package
    (one line each; what they import is rendered in: see :func:`render`)."""
    with open(module.__file__, encoding="utf-8") as f:
        source = f.read()
    tree = ast.parse(source)
    start = tree.body[1].lineno if ast.get_docstring(tree) else 1
    return "\n".join(line for line in source.splitlines()[start - 1:] if not line.startswith("from autograder"))


def _replace_block(lines, begin, end, rendered):
    first = next(i for i, line in enumerate(lines) if line.startswith(begin))
    last = next(i for i, line in enumerate(lines) if line.startswith(end))
    return lines[:first] + rendered + lines[last + 1:]


def render():
    """The text of the standalone check.py."""
    with open(MACHINERY, encoding="utf-8") as f:
        lines = f.read().splitlines()
    definitions = ["# What the autograder uses (generated from autograder/config.py by "
                   "`python -m autograder build --student`; do not edit).", ""]
    definitions += [f"{name} = {getattr(config, name)!r}" for name in CONSTANTS]
    definitions += [f"PARTS = {contract.PARTS!r}", f"PART_NAMES = {contract.PART_NAMES!r}"]
    definitions += ["", "", "# Valid hyper-parameters (generated from autograder/judge/hyperparams.py).",
                    _module_body(hyperparams).rstrip()]
    reader = ["", "", "# Reading notebooks as the grader does (generated from autograder/load/notebook.py).",
              _module_body(notebook).rstrip(), "", "", "read_notebook = read"]
    comparing = ["# Comparing and messages, as in the graded tests (generated from autograder/judge/compare.py)."]
    comparing += _module_body(compare).splitlines()
    first_definition = next(i for i, line in enumerate(comparing) if line.startswith(("RTOL", "class", "def")))
    comparing = comparing[:first_definition] + CODEC_STANDINS + ["", ""] + comparing[first_definition:]
    comparing += ["", "", "as_returned_array = as_array"]
    replaying = ["", "", "# Replays of training and the rounding they allow, as in the graded tests (generated from "
                 "autograder/judge/rounding.py, replays.py and training.py)."]
    for module in (rounding, replays, training):
        replaying += ["", ""] + _module_body(module).strip().splitlines()
    rendered = dict(zip(BLOCKS.items(), (definitions, comparing, replaying, reader)))
    for (begin, end), block in rendered.items():
        lines = _replace_block(lines, begin, end, block)
    for part in CHECK_FILES:
        with open(os.path.join(HERE, f"{part}.py"), encoding="utf-8") as f:
            source = f.read().splitlines()
        start = next(i for i, line in enumerate(source) if line.startswith(SHARED_NAMESPACE))
        lines += source[start + 1:]
    return "\n".join(lines) + "\n"
