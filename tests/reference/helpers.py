"""Shared helpers for the tests of the reference solutions.

The reference modules are loaded from <repo>/reference under a private package
name, so these tests do not depend on sys.path or on how pytest names this test
package (tests/reference/ would itself be importable as `reference`).
"""
import ast
import importlib
import importlib.util
import json
import subprocess
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = ROOT / "reference"
TEMPLATE_DIR = ROOT / "student_template"
_PACKAGE = "_reference_under_test"

SETTINGS = settings(max_examples=30, deadline=None)


def load(module):
    """Import reference/<module>.py as a submodule of a private package."""
    if _PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            _PACKAGE, REFERENCE_DIR / "__init__.py",
            submodule_search_locations=[str(REFERENCE_DIR)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[_PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"{_PACKAGE}.{module}")


@contextmanager
def strict():
    """Turn every floating-point problem except underflow, and every warning, into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            yield


def t(a, requires_grad=False):
    """float64 torch tensor holding a copy of a."""
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64,
                        requires_grad=requires_grad)


def run_isolated(directory, code):
    """Run `code` in a fresh interpreter with `directory` first on sys.path
    (the way the grader imports a submission); returns its stdout parsed as JSON."""
    prelude = f"import sys, json\nsys.path.insert(0, {str(directory)!r})\n"
    done = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True,
                          text=True, timeout=120, cwd=str(directory))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


SIGNATURES_CODE = """
import importlib, inspect
mod = importlib.import_module({module!r})
out = {{}}
for name, obj in vars(mod).items():
    if inspect.isfunction(obj) and obj.__module__ == mod.__name__ and not name.startswith('_'):
        out[name] = str(inspect.signature(obj))
print(json.dumps(out))
"""


def signatures(directory, module):
    """Public function signatures of <directory>/<module>.py, imported as a loose file."""
    return run_isolated(directory, SIGNATURES_CODE.format(module=module))


def check_template_matches(module, contract_names):
    """The student template defines the contract's functions with the reference's
    signatures, and each of them raises NotImplementedError."""
    ref = signatures(REFERENCE_DIR, module)
    tpl = signatures(TEMPLATE_DIR, module)
    for name in contract_names:
        assert name in ref, f"reference lacks {name}"
        assert tpl.get(name) == ref[name], f"{module}.{name}: template {tpl.get(name)} != {ref[name]}"
    tree = ast.parse((TEMPLATE_DIR / f"{module}.py").read_text())
    bodies = {node.name: node.body for node in tree.body if isinstance(node, ast.FunctionDef)}
    for name in contract_names:
        if name in bodies:  # not HYPERPARAMS
            body = bodies[name]
            assert ast.get_docstring(ast.Module(body=body, type_ignores=[])), f"template {name}: no docstring"
            assert isinstance(body[-1], ast.Raise) and "NotImplementedError" in ast.unparse(body[-1]), name
    for directory in (REFERENCE_DIR, TEMPLATE_DIR):
        imports = top_imports(directory / f"{module}.py")
        assert imports <= {"numpy", "calculus"}, (directory, imports)
    return tpl


def top_imports(path):
    """Names of the absolute modules that a file imports (first component)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module.split(".")[0])
    return found
