"""The student template as one notebook: ``homework.ipynb`` from ``student_template/*.py``.

    python -m autograder build --student        (writes student_template/homework.ipynb)

One section per part: a markdown cell from the module's docstring, a code cell
with its imports, then for each function, class or constant a markdown cell
from its docstring and a code cell with its signature, the gap to fill marked
``# YOUR CODE (START)`` ... ``# YOUR CODE (END)``. The ``.py`` files are the
single source, so the two forms never drift.
"""
import ast
import inspect
import json
import os
import re

from autograder.contract import PARTS

START, END = "# YOUR CODE (START)", "# YOUR CODE (END)"
_TODO = re.compile(r"^(\s*)raise NotImplementedError\b.*$")


def _markdown(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text):
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": text}


def _mark_gaps(lines):
    """Wrap every ``raise NotImplementedError(...)`` line in the YOUR CODE markers."""
    out = []
    for line in lines:
        todo = _TODO.match(line)
        if todo:
            indent = todo.group(1)
            out += [indent + START, line, indent + END]
        else:
            out.append(line)
    return out


def _without_docstring(node, lines):
    """The statement's source lines, its docstring left out (it becomes markdown)."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    doc = node.body[0]
    if len(node.body) == 1:
        return lines[first - 1:node.end_lineno]  # nothing but the docstring: keep it, or the body is empty
    return [line for number, line in enumerate(lines[first - 1:node.end_lineno], start=first)
            if not doc.lineno <= number <= doc.end_lineno]


def _title(node, lines):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return f"`{node.name}({ast.unparse(node.args)})`"
    if isinstance(node, ast.ClassDef):
        return f"class `{node.name}`"
    return "`" + ", ".join(ast.unparse(t) for t in getattr(node, "targets", [getattr(node, "target", node)])) + "`"


def part_cells(part, source):
    """The cells of one part, from its template module's source."""
    tree = ast.parse(source)
    lines = source.splitlines()
    cells = [_markdown(f"# {part}.py\n\n" + inspect.cleandoc(ast.get_docstring(tree) or ""))]
    imports = [ast.get_source_segment(source, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    if imports:
        cells.append(_code("\n".join(imports)))
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            continue
        doc = ast.get_docstring(node) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                          ast.ClassDef)) else None
        heading = f"## {_title(node, lines)}"
        if doc:
            heading += "\n\n" + doc
        cells.append(_markdown(heading))
        code = _without_docstring(node, lines) if doc else lines[node.lineno - 1:node.end_lineno]
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            comments = _comments_above(lines, node.lineno)
            code = comments + [START] + code + [END]
        cells.append(_code("\n".join(_mark_gaps(code))))
    return cells


def _comments_above(lines, lineno):
    """The comment lines right above a constant (they say what to choose)."""
    found = []
    index = lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("#"):
        found.insert(0, lines[index])
        index -= 1
    return found


def notebook(template_dir):
    """The homework notebook (a plain dict in nbformat 4) built from ``template_dir``."""
    cells = [_markdown("# Homework\n\nFill in every gap between `" + START + "` and `" + END + "`, "
                       "run the notebook top to bottom, and submit it (or the `.py` files). The grader uses what "
                       "the notebook defines -- imports, functions, classes, `HYPERPARAMS`, "
                       "`TORCH_HYPERPARAMS` -- and does not run the rest (your own tests, training runs, "
                       "plots). Cells are counted from the top when a message names one.")]
    for part in PARTS:
        with open(os.path.join(template_dir, f"{part}.py"), encoding="utf-8") as f:
            cells += part_cells(part, f.read())
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"cell-{number}"  # fixed ids: the same template gives the same notebook
        cell["source"] = cell["source"].rstrip("\n")
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def render(template_dir):
    """The notebook as the text written to disk (stable: the same template gives the same bytes)."""
    return json.dumps(notebook(template_dir), indent=1, ensure_ascii=False) + "\n"


def write(template_dir, out_path):
    text = render(template_dir)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)
    return out_path
