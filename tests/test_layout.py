"""The layout keeps its promises (autograder/README.md): one-way imports, graded files that hold
only tests, no decision on a message's text, and files short enough to read."""
import ast
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(REPO, "autograder")
MAX_LINES = 450
GENERATED = {os.path.join("student_template", "check.py")}


def python_files(*folders):
    for folder in folders:
        for root, dirs, names in os.walk(os.path.join(REPO, folder)):
            dirs[:] = [d for d in dirs if d not in ("__pycache__", "submissions")]
            for name in names:
                if name.endswith(".py"):
                    yield os.path.join(root, name)


def module_name(path):
    relative = os.path.relpath(path, REPO)[:-3].replace(os.sep, ".")
    return relative[:-len(".__init__")] if relative.endswith(".__init__") else relative


def imported_modules(path, known):
    """Every autograder module ``path`` imports, at top level or inside functions."""
    name = module_name(path)
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if m in known and m != name}


def test_no_import_cycle_in_the_grader():
    paths = list(python_files("autograder"))
    known = {module_name(p) for p in paths}
    graph = {module_name(p): imported_modules(p, known) for p in paths}
    # A package's __init__ is imported on the way to its modules; that is not a dependency.
    graph = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}
    state, cycle = {}, []

    def visit(module, path):
        state[module] = "open"
        for dependency in sorted(graph[module]):
            if state.get(dependency) == "open":
                cycle.append(path + [dependency])
            elif dependency not in state:
                visit(dependency, path + [dependency])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycle, f"import cycles: {cycle[:3]}"


@pytest.mark.parametrize("path", sorted(python_files("autograder", "reference", "coursedata", "bench", "tests")),
                         ids=lambda p: os.path.relpath(p, REPO))
def test_hand_written_files_stay_readable(path):
    if os.path.relpath(path, REPO) in GENERATED:
        return
    with open(path, encoding="utf-8") as f:
        lines = sum(1 for _ in f)
    assert lines <= MAX_LINES, f"{os.path.relpath(path, REPO)} has {lines} lines (at most {MAX_LINES})"


@pytest.mark.parametrize("path", sorted(python_files(os.path.join("autograder", "graded"))),
                         ids=os.path.basename)
def test_graded_files_define_only_tests(path):
    if not os.path.basename(path).startswith("test_"):
        return
    tree = ast.parse(open(path, encoding="utf-8").read())
    defined = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    assigned = [node for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))]
    assert all(name.startswith("test_") for name in defined), \
        f"helpers belong in autograder/judge/: {[n for n in defined if not n.startswith('test_')]}"
    assert not assigned, "constants belong in autograder/judge/ or config.py"


def test_no_verdict_is_taken_on_a_messages_text():
    """`"... " in str(err)` decides on wording that anyone may change: decide on the error's type."""
    pattern = re.compile(r"""["'][^"']*["']\s+(not\s+)?in\s+str\((err|error|exc|e)\)""")
    offenders = [f"{os.path.relpath(p, REPO)}:{n}" for p in python_files("autograder")
                 for n, line in enumerate(open(p, encoding="utf-8"), 1) if pattern.search(line)]
    assert not offenders, offenders
