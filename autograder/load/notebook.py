"""Turn a student's Jupyter notebook into the part modules the grader imports.

A notebook is untrusted JSON: it is read with ``nbformat`` (size bounded,
validated), and nothing in it is run here. Only source text is produced: for
each part, a module holding what the notebook *defines* -- imports, functions,
classes, assignments of constants such as ``HYPERPARAMS`` -- in notebook order
(so the last definition of a name wins, as when the notebook runs top to
bottom), and nothing that would run at import: training runs, plots,
``%magics``, ``!shell`` lines, ``display(...)`` and other bare expressions.
The sandbox imports that module like a ``.py`` file.

Which part a definition belongs to is decided by the contract's names
(:data:`PART_NAMES`): a part module gets the part's names the notebook defines
plus everything they use (helpers, constants, imports), found from the syntax
tree. Every generated line keeps where it came from (:class:`LineMap`), so that
messages can quote "homework.ipynb, cell 4, line 2" instead of a line of the
generated file. Cells are counted from the top of the notebook, markdown cells
included, starting at 1.

Reading costs bounded memory, whatever the notebook holds: the JSON is read by
:mod:`autograder.load.notebook_json` (outputs, metadata and long strings never
parsed, the number of values and the code's size bounded on the raw bytes), and
each cell's tokens are counted before ``ast`` sees it (``ast`` costs up to ~1 KB
a token: a cell ``CACHE = [0, 0, ...]`` of 2 MB would take 700 MB to parse). A
notebook or cell over a limit gets a message that names the limit.
"""
import ast
import builtins
import re
import warnings
from dataclasses import dataclass, field

from autograder.contract import PART_NAMES
from autograder.load.notebook_json import MAX_CODE_CHARS, NotebookError
from autograder.load.notebook_json import code_only, first_line_of, too_much_code, unreadable

MAX_CELLS = 2000
MAX_CELL_TOKENS = 50_000        # at most ~50 MB to parse; the longest reference module has 3,600 tokens

# Calls that may appear in a kept constant: building plain values, nothing that computes for long.
_VALUE_BUILDERS = {"dict", "list", "tuple", "set", "frozenset", "int", "float", "bool", "str",
                   "complex", "range", "slice", "len", "min", "max", "abs", "round", "sum"}
# Cell magics whose body is ordinary Python (the magic line itself is dropped).
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
_CONTRACT_CONSTANTS = {"HYPERPARAMS", "TORCH_HYPERPARAMS"}
_MAGIC_ASSIGNMENT = re.compile(r"^\s*[A-Za-z_][\w.,\s\[\]]*=\s*[!%]")
_HELP_LINE = re.compile(r"^\s*[?]*[A-Za-z_][\w.]*[?]{1,2}\s*$")



@dataclass
class LineMap:
    """Where each line of a generated module came from: ``cells[i]`` = (cell, line) of line i+1."""
    notebook: str
    cells: list = field(default_factory=list)

    def locate(self, line):
        if 1 <= line <= len(self.cells):
            cell, cell_line = self.cells[line - 1]
            return f"{self.notebook}, cell {cell}, line {cell_line}"
        return f"{self.notebook} (line {line} of the code taken from it)"


@dataclass
class Statement:
    cell: int
    lines: list          # source lines of this statement, as in the cell
    first_line: int      # its first line's number in the cell
    defines: set
    uses: set


@dataclass
class Notebook:
    """The definitions found in one notebook, and notes for the student."""
    name: str
    statements: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    known: set = field(default_factory=set)     # every name defined so far

    def parts(self):
        """The parts whose contract names this notebook defines, in contract order."""
        return [part for part, names in PART_NAMES.items() if self.known & set(names)]

    def module_source(self, part):
        """``(source, LineMap)`` of the module for ``part``: its names and everything they use."""
        wanted = _closure(set(PART_NAMES[part]), self.statements)
        out, line_map = [], LineMap(self.name)
        for statement in self.statements:
            if statement.defines & wanted or "*" in statement.defines:
                out += statement.lines
                line_map.cells += [(statement.cell, statement.first_line + i)
                                   for i in range(len(statement.lines))]
        return "\n".join(out) + "\n", line_map


def read(path, name=None):
    """Read the notebook at ``path`` (never run); raises :class:`NotebookError` for the student."""
    import nbformat  # a runtime dependency of grading (requirements.txt)

    name = name or path.rsplit("/", 1)[-1]
    text = code_only(path, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4, capture_validation_error={})
            nbformat.validate(notebook)
    except nbformat.ValidationError as err:
        raise NotebookError(f"{name} does not follow the Jupyter notebook format "
                            f"({first_line_of(err.message)}), so it was not read: open it in Jupyter, "
                            "save it, and submit it again.") from None
    except (ValueError, RecursionError, TypeError, AttributeError, KeyError) as err:
        raise unreadable(name, err) from None   # nbformat's errors for odd structures
    cells = notebook.get("cells", [])
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"{name} has {len(cells)} cells; at most {MAX_CELLS} are read.")
    code = [(number, cell.get("source", "")) for number, cell in enumerate(cells, start=1)
            if cell.get("cell_type") == "code"]
    if sum(len(source) for _, source in code) > MAX_CODE_CHARS:
        raise too_much_code(name)
    result = Notebook(name)
    for number, source in code:
        _read_cell(result, number, source)
    return result


_TOKEN = re.compile(r"\w+|[^\w\s]|\n")   # at least as many as Python's tokens (a string counts its words)


def _read_cell(notebook, number, source):
    tokens = _TOKEN.subn("", source)[1]
    if tokens > MAX_CELL_TOKENS:
        notebook.notes.append(f"{notebook.name}, cell {number}: {tokens:,} tokens of code, more than the "
                              f"{MAX_CELL_TOKENS:,} the grader reads in one cell (a long list of numbers?). "
                              "This cell was left out, so nothing it defines is graded.")
        return
    lines = _python_lines(source)
    if lines is None:
        return
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        where = f"line {err.lineno}" if getattr(err, "lineno", None) else "somewhere"
        reason = getattr(err, "msg", None) or str(err)
        notebook.notes.append(f"{notebook.name}, cell {number}, {where}: {type(err).__name__}: {reason[:200]}. "
                              "This cell was left out, so nothing it defines is graded; fix it and submit again.")
        return
    body = tree.body
    for i, node in enumerate(body):
        defines = _defines(node)
        if defines and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            unknown = _reads(node) - notebook.known
            if unknown or not (_is_inert(node.value) or defines <= _CONTRACT_CONSTANTS):
                constants = sorted(defines & _CONTRACT_CONSTANTS)
                if constants:
                    why = (f"it uses {', '.join(sorted(unknown))}, which the grader does not have" if unknown
                           else "it calls code, which the grader does not run outside your functions")
                    notebook.notes.append(
                        f"{notebook.name}, cell {number}: the assignment to {', '.join(constants)} was left out: "
                        f"{why}. Write the values themselves (numbers, strings, dicts, classes such as "
                        "torch.optim.Adam).")
                continue
        if not defines:
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        last = node.end_lineno
        shares_a_line = (i > 0 and body[i - 1].end_lineno >= first) or \
                        (i + 1 < len(body) and body[i + 1].lineno <= last)
        text = [ast.unparse(node)] if shares_a_line else lines[first - 1:last]
        if shares_a_line:
            text = text[0].splitlines()
        notebook.statements.append(Statement(number, text, first, defines, _uses(node)))
        notebook.known |= defines


def _python_lines(source):
    """The cell's lines with IPython-only syntax blanked out (kept as ``pass`` so that numbers stay)."""
    lines = source.split("\n")
    try:
        ast.parse(source)
        return lines  # plain Python: nothing to strip (a '%' inside a string stays as it is)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return None  # %%bash, %%writefile, ...: not Python
        index = next(i for i, line in enumerate(lines) if line.strip())
        lines = lines[:index] + ["pass"] + lines[index + 1:]
    result = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or _MAGIC_ASSIGNMENT.match(line) or _HELP_LINE.match(line):
            result.append(line[:len(line) - len(stripped)] + "pass")
        else:
            result.append(line)
    return result


def _target_names(target):
    """Names an assignment target binds or changes (``HP["lr"] = ...`` changes HP)."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        names = set()
        for element in target.elts:
            inner = _target_names(element.value if isinstance(element, ast.Starred) else element)
            if inner is None:
                return None
            names |= inner
        return names
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        root = target.value
        while isinstance(root, (ast.Subscript, ast.Attribute)):
            root = root.value
        return {root.id} if isinstance(root, ast.Name) else None
    return None


def _is_inert(node):
    """True when evaluating ``node`` only builds a value: no calls except :data:`_VALUE_BUILDERS`."""
    for child in ast.walk(node):
        if isinstance(child, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
        if isinstance(child, ast.Call):
            if not (isinstance(child.func, ast.Name) and child.func.id in _VALUE_BUILDERS):
                return False
    return True


def _defines(node):
    """The names a kept top-level statement defines; empty for what is left out."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Import):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    if isinstance(node, ast.ImportFrom):
        if node.module == "__future__":
            return set()
        return {alias.asname or alias.name for alias in node.names}
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if value is None:
            return set()
        names = set()
        for target in targets:
            found = _target_names(target)
            if found is None:
                return set()
            names |= found
        return names
    return set()


def _reads(node):
    """Names an assignment reads when it runs (comprehension and lambda variables excluded)."""
    value_reads = _uses(node.value) - {child.id for child in ast.walk(node.value)
                                       if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store)}
    value_reads -= {arg.arg for child in ast.walk(node.value) if isinstance(child, ast.Lambda)
                    for arg in ast.walk(child.args) if isinstance(arg, ast.arg)}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    changed = {name for target in targets if not isinstance(target, (ast.Name, ast.Tuple, ast.List))
               for name in (_target_names(target) or ())}
    if isinstance(node, ast.AugAssign):
        changed |= _target_names(node.target) or set()
    return value_reads | changed


def _uses(node):
    """Every name the statement reads (anywhere inside, function bodies included)."""
    return {child.id for child in ast.walk(node) if isinstance(child, ast.Name)
            and isinstance(child.ctx, ast.Load)} - set(dir(builtins))


def _closure(names, statements):
    wanted, frontier = set(), set(names)
    while frontier:
        wanted |= frontier
        used = set()
        for statement in statements:
            if statement.defines & frontier:
                used |= statement.uses | statement.defines
        frontier = used - wanted
    return wanted


# --------------------------------------------------------------------------- which notebook feeds a part

def assign_parts(notebooks, py_parts=()):
    """``({part: Notebook}, notes)``: the notebook each part is graded from.

    A part with a ``.py`` file (in ``py_parts``) is not taken from a notebook. A
    notebook named after a part (``mlp.ipynb``) gives only that part and wins over
    others; any other notebook gives every part whose names it defines, and of two
    such, the one defining more of the part's names wins (the first in name order on
    a tie). The notes say what was chosen whenever two sources hold the same part.
    """
    chosen, notes = {}, []
    for notebook in notebooks:
        stem = notebook.name[:-len(".ipynb")] if notebook.name.endswith(".ipynb") else notebook.name
        for part in [stem] if stem in PART_NAMES else notebook.parts():
            rank = (stem == part, len(notebook.known & set(PART_NAMES[part])))
            if part in py_parts:
                notes.append(f"{part}.py and {notebook.name} both hold {part}: {part}.py was graded, "
                             f"not {notebook.name}.")
            elif part in chosen and chosen[part][0] >= rank:
                notes.append(f"{chosen[part][1].name} and {notebook.name} both hold {part}: "
                             f"{chosen[part][1].name} was graded.")
            else:
                if part in chosen:
                    notes.append(f"{notebook.name} and {chosen[part][1].name} both hold {part}: "
                                 f"{notebook.name} was graded.")
                chosen[part] = (rank, notebook)
    return {part: notebook for part, (_, notebook) in chosen.items()}, notes


# --------------------------------------------------------------------------- messages

_LOCATION = re.compile(r"\b([A-Za-z_]\w*\.py), line (\d+)")


def relocate(text, line_maps):
    """Rewrite "part.py, line N" into the notebook cell it came from, for generated parts."""
    if not line_maps or not text:
        return text

    def replace(match):
        line_map = line_maps.get(match.group(1))
        return line_map.locate(int(match.group(2))) if line_map else match.group(0)
    return _LOCATION.sub(replace, text)
