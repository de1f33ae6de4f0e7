"""What ships to students, generated from one source each (``python -m autograder build --student``).

- ``student_template/homework.ipynb``: the template as a notebook, from ``student_template/*.py``
  (:mod:`autograder.student.notebook_template`).
- ``student_template/check.py``: the self-check, from ``autograder/student/checks/``
  with the grader's numbers and hyper-parameter rules rendered in (:mod:`autograder.student.checks`).

Both are committed; tests/test_student_build.py fails when a committed copy differs from a fresh build.
"""
import os

from autograder.student import checks as student_checks
from autograder.student import notebook_template as student_notebook

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "student_template")


def generated(template_dir=TEMPLATE):
    """``{path: text}`` of every generated file."""
    return {os.path.join(template_dir, "homework.ipynb"): student_notebook.render(template_dir),
            os.path.join(template_dir, "check.py"): student_checks.render()}


def build_student(template_dir=TEMPLATE):
    """Write the generated files; returns their paths."""
    files = generated(template_dir)
    for path, text in files.items():
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    return sorted(files)
