"""One standalone Python file from ordinary modules: how ``student_template/check.py`` is built.

Every module keeps its text, under these rules:

- the head module opens the file as written (its docstring is the file's ``__doc__``, in every section);
- every other module becomes a section: the first paragraph of its docstring heads it as comments,
  and the rest of its text follows, without its top-level imports;
- standard-library and third-party imports are made once each, after the head;
- ``from M import name`` where ``M`` is one of the grader's own modules (``autograder``, ``coursedata``):
    - ``M`` is a values module (the grader's numbers): ``name = <its value>`` is written, once;
    - ``M`` has a stand-in: the stand-in module is written instead of ``M``;
    - otherwise ``M`` itself is written, once, before the first section that imports from it;
  ``from M import name as alias`` adds ``alias = name`` to the importing section;
- nothing may import the reference solutions, nor import the grader's modules other than by
  ``from M import name`` at the top level (they would not exist beside the student's files).

The file is one namespace: a name that two sections define, or a name imported from a module that
does not define it, stops the build with an error instead of making a file that fails at run time.
"""
import ast
import importlib
import importlib.util
import sys

OWN_PACKAGES = ("autograder", "coursedata")
NEVER_IMPORTED = ("reference",)
RULE = "# " + "-" * 75


class RenderError(Exception):
    """The modules break a rule of the single file (see this module's docstring)."""


def _root(module_name):
    return (module_name or "").split(".")[0]


def _source(module_name):
    """The module's path and text, found without running it."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.has_location:
        raise RenderError(f"{module_name} is not a module file")
    path = spec.origin
    with open(path, encoding="utf-8") as f:
        return path, f.read()


def _relative_path(path):
    """The path shown in section headings: from the package root's parent (e.g. autograder/judge/compare.py)."""
    parts = path.replace("\\", "/").split("/")
    starts = [i for i, part in enumerate(parts) if part in OWN_PACKAGES]
    return "/".join(parts[starts[-1]:]) if starts else parts[-1]


def _docstring_node(tree):
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def _own_imports(tree, module_name):
    """The top-level ``from M import ...`` of the grader's modules; refuses every other way of importing them."""
    top_level = set(id(node) for node in tree.body)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module]
        if isinstance(node, ast.ImportFrom) and node.level:
            raise RenderError(f"{module_name}, line {node.lineno}: a relative import; import absolutely")
        if any(_root(name) in NEVER_IMPORTED for name in names):
            raise RenderError(f"{module_name}, line {node.lineno}: imports the reference solutions")
        if not any(_root(name) in OWN_PACKAGES for name in names):
            continue
        if isinstance(node, ast.Import) or id(node) not in top_level:
            raise RenderError(f"{module_name}, line {node.lineno}: import the grader's modules at the top "
                              "level, as `from module import name`")
        found.append(node)
    return found


def _importable_names(module_name):
    """What ``from module_name import ...`` may take: its top-level definitions and imported names."""
    tree = ast.parse(_source(module_name)[1])
    imported = [alias.asname or alias.name for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names]
    return set(_defined_names(tree)) | set(imported)


def _defined_names(tree):
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [target.id for target in targets if isinstance(target, ast.Name)]
    return names


class _Assembly:
    def __init__(self, values, standins):
        self.value_modules, self.standins = tuple(values), dict(standins)
        self.values = {}          # name -> value, written as literals
        self.sections = []        # (heading lines, body lines)
        self.imports = {}         # import statement -> (module, whether in the standard library)
        self.defined_by = {}      # top-level name -> module that defines it
        self.done = set()

    def define(self, name, module_name):
        other = self.defined_by.setdefault(name, module_name)
        if other != module_name:
            raise RenderError(f"{name} is defined by both {other} and {module_name}: check.py is one namespace")

    def value(self, module_name, name, alias):
        value = getattr(importlib.import_module(module_name), name)
        try:
            literal = ast.literal_eval(repr(value)) == value
        except (ValueError, SyntaxError):
            literal = False
        if not literal:
            raise RenderError(f"{module_name}.{name} cannot be written as a literal")
        self.define(alias, module_name)
        self.values[alias] = value

    def add(self, module_name):
        if module_name in self.done:
            return
        self.done.add(module_name)
        path, source = _source(module_name)
        tree = ast.parse(source)
        dropped = set()
        aliases = []
        for node in _own_imports(tree, module_name):
            target = self.standins.get(node.module, node.module)
            for alias in node.names:
                if target in self.value_modules:
                    self.value(target, alias.name, alias.asname or alias.name)
                    continue
                if alias.name not in _importable_names(target):
                    raise RenderError(f"{module_name} imports {alias.name} from {target}, which does not define it")
                if alias.asname and alias.asname != alias.name:
                    aliases.append(f"{alias.asname} = {alias.name}")
                    self.define(alias.asname, module_name)
            if target not in self.value_modules:
                self.add(target)
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                dropped.update(range(node.lineno, node.end_lineno + 1))
                module = node.names[0].name if isinstance(node, ast.Import) else node.module
                if _root(module) not in OWN_PACKAGES:
                    self.imports[ast.unparse(node)] = (module, _root(module) in sys.stdlib_module_names)
        docstring = _docstring_node(tree)
        if docstring is None:
            raise RenderError(f"{module_name} has no docstring to head its section")
        dropped.update(range(docstring.lineno, docstring.end_lineno + 1))
        for name in _defined_names(tree):
            self.define(name, module_name)
        lines = [line for number, line in enumerate(source.splitlines(), 1) if number not in dropped]
        first_paragraph = ast.get_docstring(tree).strip().split("\n\n")[0]
        heading = [f"{RULE} {_relative_path(path)}"] + [f"# {line}" for line in first_paragraph.splitlines()]
        self.sections.append((heading, aliases + [""] * bool(aliases) + _tidy(lines)))


def _tidy(lines):
    """Without leading or trailing blank lines, and at most two blank lines in a row."""
    kept, blank = [], 0
    for line in lines:
        blank = blank + 1 if not line.strip() else 0
        if blank <= 2:
            kept.append(line)
    while kept and not kept[0].strip():
        kept.pop(0)
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


def render(head, modules, *, values=(), standins=None, note=""):
    """The text of one file: the module ``head`` as written, then ``modules`` in this order, each
    after the grader's modules it imports (see the module's docstring for the rules)."""
    _, head_source = _source(head)
    head_tree = ast.parse(head_source)
    if _own_imports(head_tree, head):
        raise RenderError(f"{head} opens the file: it cannot import the grader's modules")
    assembly = _Assembly(values, standins or {})
    made = {ast.unparse(node) for node in head_tree.body if isinstance(node, (ast.Import, ast.ImportFrom))}
    for name in _defined_names(head_tree):
        assembly.define(name, head)
    for module_name in modules:
        assembly.add(module_name)
    lines = head_source.rstrip().splitlines() + [""]
    if note:
        lines += [f"# {line}" if line else "#" for line in note.splitlines()] + [""]
    for standard_library in (True, False):
        chosen = sorted((module, text) for text, (module, stdlib) in assembly.imports.items()
                        if stdlib == standard_library and text not in made)
        lines += [f"{text}  # noqa: E402" for _, text in chosen] + ([""] if chosen else [])
    if assembly.values:
        paths = ", ".join(_relative_path(_source(module_name)[0]) for module_name in assembly.value_modules)
        lines += ["", f"{RULE} {paths}", "# Values the grader uses, written in by the build.", ""]
        lines += [f"{name} = {value!r}" for name, value in assembly.values.items()]
    for heading, body in assembly.sections:
        lines += ["", "", *heading, "", *body]
    return "\n".join(lines) + "\n"
