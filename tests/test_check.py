"""The students' self-check (student_template/check.py, generated from autograder/student/checks/;
also `python -m autograder check`)."""
import ast
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from autograder import config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK = os.path.join(REPO, "student_template", "check.py")
OK, KO = "✓", "✗"


def run_check(folder, *options, via_cli=False, block_torch=False):
    if via_cli:
        command = [sys.executable, "-m", "autograder", "check", str(folder), *options]
    elif block_torch:  # as on a student's machine without torch
        command = [sys.executable, "-c", "import runpy, sys; sys.modules['torch'] = None; "
                   f"sys.argv = ['check.py', {str(folder)!r}, *{list(options)!r}]; "
                   f"runpy.run_path({CHECK!r}, run_name='__main__')"]
    else:
        command = [sys.executable, CHECK, str(folder), *options]
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    return done.returncode, done.stdout + done.stderr


def lines(output, symbol):
    return [line.strip()[2:] for line in output.splitlines() if line.strip().startswith(symbol + " ")]


def test_the_reference_passes_every_check_through_the_cli():
    code, output = run_check(os.path.join(REPO, "reference"), via_cli=True)
    assert code == 0, output
    assert not lines(output, KO)
    passed = lines(output, OK)
    assert len(passed) >= 50
    assert re.search(rf"Summary: {len(passed)} of {len(passed)} checks pass", output)
    for module in ("calculus.py", "linear_models.py", "mlp.py", "conv.py", "torch_models.py"):
        assert module in output


def test_the_template_fails_every_check_saying_what_to_implement():
    code, output = run_check(os.path.join(REPO, "student_template"))
    assert code == 1
    assert not lines(output, OK)
    assert len(lines(output, KO)) >= 50
    assert output.count("not implemented yet (") >= 45
    assert "To fix: sigmoid, sigmoid_prime" in output


MUTANTS = {  # name: (file, original text, mutated text, check that must fail: the start of its title)
    "unstable_softmax": ("calculus.py", "e = np.exp(z - z.max(axis=-1, keepdims=True))", "e = np.exp(z)",
                         "softmax: stable"),
    "relu_prime_at_0": ("calculus.py", "(np.asarray(x, dtype=float) > 0)", "(np.asarray(x, dtype=float) >= 0)",
                        "relu_prime:"),
    "bprop_sum_not_mean": ("mlp.py", 'd_oa = (f["os"] - onehot(y, m)) / n', 'd_oa = (f["os"] - onehot(y, m))',
                           "bprop: gradients match finite differences of your loss (no penalty)"),
    "fd_restore_by_adding": ("mlp.py", "value[j] = saved  #", "value[j] = value[j] + eps  #", "finite_difference:"),
    "flipped_kernel": ("conv.py", "return np.tensordot(windows, kernel, axes",
                       "return np.tensordot(windows, kernel[::-1, ::-1], axes", "conv2d: output shape"),
    "dropout_not_rescaled": ("torch_models.py", "return x * keep / (1.0 - p)", "return x * keep", "dropout:"),
}


@pytest.fixture(scope="module")
def mutants(tmp_path_factory):
    root = tmp_path_factory.mktemp("mutants")
    for name, (file, original, mutated, _) in MUTANTS.items():
        folder = root / name
        shutil.copytree(os.path.join(REPO, "reference"), folder, ignore=shutil.ignore_patterns("__pycache__"))
        text = (folder / file).read_text()
        assert original in text, f"reference/{file} changed: update the mutant {name} in this test"
        (folder / file).write_text(text.replace(original, mutated, 1))
    return root


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_one_line_bug_fails_the_check_of_that_function(mutants, name):
    file, _, _, title = MUTANTS[name]
    module = file[:-3]
    code, output = run_check(mutants / name, "--only", module)
    failed = lines(output, KO)
    assert code == 1 and failed, output
    assert any(line.startswith(title) for line in failed), output
    function = title.split(":")[0]
    assert all(line.split(":")[0].startswith(function) or "bprop" in line.split(":")[0] for line in failed), failed


def test_import_errors_infinite_loops_and_wrong_types_are_reported_not_fatal(tmp_path):
    (tmp_path / "calculus.py").write_text(
        "import numpy as np\n"
        "def sigmoid(x):\n    while True:\n        pass\n"
        "def relu(x):\n    return None\n"
        "def sign(x):\n    return {}['nothing']\n")
    (tmp_path / "conv.py").write_text("import numpy as np\ndef conv2d(image, kernel:\n    pass\n")
    code, output = run_check(tmp_path, "--only", "calculus,conv", "--time-limit", "1")
    assert code == 1
    assert "took too long" in output
    assert "relu(x) returned None. Did you forget a `return` statement?" in output
    assert "raised KeyError: 'nothing'" in output and "calculus.py, line 8" in output
    assert "conv.py could not be imported: raised SyntaxError" in output
    assert "does not define" in output  # e.g. softplus


def test_without_torch_the_torch_checks_are_skipped_and_the_rest_runs():
    code, output = run_check(os.path.join(REPO, "reference"), "--only", "conv,torch_models", block_torch=True)
    assert code == 0, output
    assert "- torch is not installed here" in output
    assert len(lines(output, OK)) == 4 and not lines(output, KO)


def reference_lines():
    """Every non-trivial statement line of the reference solutions."""
    found = set()
    folder = os.path.join(REPO, "reference")
    for name in ("calculus.py", "linear_models.py", "mlp.py", "conv.py", "torch_models.py"):
        with open(os.path.join(folder, name)) as f:
            source = f.read()
        docstrings = {node.body[0].value.lineno for node in ast.walk(ast.parse(source))
                      if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        for number, line in enumerate(source.splitlines(), 1):
            stripped = line.strip()
            trivial = re.fullmatch(r"[\w, ]+ = params\[\"\w+\"\](, params\[\"\w+\"\])*", stripped)  # unpacking
            if len(stripped) > 25 and not trivial and not stripped.startswith(
                    ("#", '"', "'", "def ", "class ", "import ", "from ", "raise ", "return {")) \
                    and number not in docstrings:
                found.add(stripped)
    return found


def test_the_check_contains_no_solution():
    with open(CHECK) as f:
        text = f.read()
    assert not re.search(r"^\s*(from|import)\s+(reference|autograder)\b", text, re.M)
    check_lines = {line.strip() for line in text.splitlines()}
    copied = sorted(reference_lines() & check_lines)
    assert copied == [], f"lines of the reference solutions appear in check.py: {copied}"


def test_the_student_readme_states_the_graders_numbers():
    with open(os.path.join(REPO, "student_template", "README.md"), encoding="utf-8") as f:
        text = f.read()
    assert f"**{config.TRAIN_SUBSET:,} training images**" in text
    assert f"test error below {config.MLP_MAX_TEST_ERROR:.0%}" in text
    for kind, accuracy in config.TORCH_MIN_TEST_ACCURACY.items():
        row = f'TORCH_HYPERPARAMS["{kind}"]` | accuracy at least {accuracy:.0%} | {config.TRAIN_CPU_SECONDS[kind]} s |'
        assert row in text, kind
    assert f"| {config.TRAIN_CPU_SECONDS['numpy_mlp']} s |" in text
    assert "python check.py" in text


# --------------------------------------------------------------------------- parity with the grader

def check_failures(output):
    """module -> titles of the ✗ lines in the self-check's section for that module."""
    failures, module = {}, None
    for line in output.splitlines():
        heading = re.match(r"^(\w+)\.py\b", line)
        if heading:
            module = heading.group(1)
            failures.setdefault(module, [])
        elif module and line.strip().startswith(KO + " "):
            failures[module].append(line.strip()[2:])
    return failures


@pytest.fixture(scope="module")
def parity(tmp_path_factory):
    """For each mutant of tests/mutants.py: the self-check's ✗ titles and the grader's lost visible tests."""
    from tests import mutants as mutant_table
    from tests.corpus.plan import mutant_bundles
    root = tmp_path_factory.mktemp("parity")
    found = {}
    for number, bundle in enumerate(mutant_bundles()):
        folder = mutant_table.build(bundle, str(root / f"bundle{number}"))
        modules = ",".join(m.module for m in bundle)
        _, output = run_check(folder, "--only", modules)
        results_path = root / f"bundle{number}.json"
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", folder, "--results", str(results_path),
                               "--no-training", "--parts", modules, "--seed", "3"],
                              cwd=REPO, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
        with open(results_path) as f:
            tests = json.load(f)["tests"]
        failures = check_failures(output)
        for mutant in bundle:
            mine = [t for t in tests if t["tags"][0] == mutant.module]
            found[mutant.name] = {
                "check": failures.get(mutant.module, []),
                "lost": [t["name"] for t in mine if t["score"] < t["max_score"] - 1e-9],
                "lost_visible": [t["name"] for t in mine if t["score"] < t["max_score"] - 1e-9
                                 and t.get("visibility", "visible") == "visible"]}
    return found


@pytest.mark.grading
def test_every_cross_in_the_self_check_is_a_lost_point_in_the_grader(parity):
    unfounded = {name: p["check"] for name, p in parity.items() if p["check"] and not p["lost"]}
    assert not unfounded, f"the self-check fails these mutants but the grader gives them full marks: {unfounded}"


@pytest.mark.grading
def test_every_mutant_caught_by_a_visible_test_is_caught_by_the_self_check(parity):
    missed = {name: p["lost_visible"] for name, p in parity.items() if p["lost_visible"] and not p["check"]}
    assert not missed, ("the grader's visible tests catch these mutants but the self-check passes them "
                        f"(the visible tests that lose points): {missed}")
