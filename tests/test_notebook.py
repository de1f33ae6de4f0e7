"""Notebooks are submissions: what is kept from them, how parts are found, and grading them end to end."""
import ast
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest

nbformat = pytest.importorskip("nbformat")
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402

from autograder.student import notebook_template as student_notebook  # noqa: E402
from autograder.load import notebook as notebooks  # noqa: E402
from autograder.load import notebook_json  # noqa: E402
from autograder.contract import PART_NAMES, PARTS

from autograder.load.submission import locate  # noqa: E402
from tests import helpers_results  # noqa: E402


def parts_found(submission):
    return [part for part in PARTS if submission.has(part)]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = helpers_results.SHARED
CONTRACT_TOOL = os.path.join(SHARED, "tools", "check_contract.py")


def validate(results, path):
    """Gradescope's schema (from shared/, see helpers_results.SHARED) and the score sums."""
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = os.path.join(SHARED, "gradescope-results.schema.json")
    if not os.path.exists(schema_path):
        pytest.skip(f"{schema_path} is absent, so results.json cannot be validated")
    with open(schema_path, encoding="utf-8") as f:
        jsonschema.validate(results, json.load(f))
    assert abs(results["score"] - sum(t["score"] for t in results["tests"])) < 1e-3
    assert all(0 <= t["score"] <= t["max_score"] + 1e-9 for t in results["tests"])
    assert os.path.getsize(path) < helpers_results.MAX_RESULTS_BYTES

EXTRA_CELLS = [  # what a real notebook also holds; none of it may run when grading
    "%matplotlib inline",
    "!pip list",
    "import matplotlib.pyplot as plt\n"
    "from reference.data import load_fashion_mnist\n"
    "X_train, y_train, X_test, y_test = load_fashion_mnist()\n"
    "params, history = train_mlp(X_train.reshape(len(X_train), -1) / 255, y_train, **HYPERPARAMS)\n"
    "plt.plot(history['train_loss'])\n"
    "plt.show()\n"
    "display(params)",
    "files = !ls\nsigmoid?",
]


def write_notebook(path, sources, markdown_first=True):
    cells = [new_markdown_cell("# My homework")] if markdown_first else []
    cells += [new_code_cell(source) for source in sources]
    nbformat.write(new_notebook(cells=cells), str(path))
    return path


def reference_source(part):
    with open(os.path.join(REPO, "reference", f"{part}.py"), encoding="utf-8") as f:
        return f.read()


def grade(submission, results, *options):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--results",
                           str(results), "--seed", "5", *options],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(results, encoding="utf-8") as f:
        found = json.load(f)
    validate(found, str(results))
    return found


def lost(results):
    return [t for t in results["tests"] if t["score"] < t["max_score"] - 1e-9]


def module_of(notebook, part):
    source, line_map = notebook.module_source(part)
    compile(source, f"{part}.py", "exec")
    return source, line_map


# --------------------------------------------------------------------------- what is kept

def test_definitions_are_kept_and_what_would_run_is_left_out(tmp_path):
    path = write_notebook(tmp_path / "homework.ipynb", [
        "%matplotlib inline\nimport numpy as np",
        "EPS = 1e-12\nSIZES = [2 ** i for i in range(3)]\nX = np.random.rand(5)\nrows = X[:2]",
        "def sigmoid(x):\n    x = np.asarray(x, dtype=float)\n    %time y = 1\n    return 1 / (1 + np.exp(-x)) + 0 * EPS",
        "print(sigmoid(0.0))\nsigmoid(3.0)\ndisplay(sigmoid)\n!echo hi",
        "for i in range(10 ** 9):\n    pass",
        "if __name__ == '__main__':\n    sigmoid(1)",
    ])
    notebook = notebooks.read(str(path))
    assert notebook.parts() == ["calculus"] and not notebook.notes
    source, _ = module_of(notebook, "calculus")
    tree = ast.parse(source)
    kept = [type(node).__name__ for node in tree.body]
    assert kept == ["Import", "Assign", "FunctionDef"], source
    assert "EPS = 1e-12" in source and "np.random" not in source and "print(" not in source
    assert "range(10 ** 9)" not in source and "__main__" not in source and "!echo" not in source


def test_the_last_definition_wins_and_changes_to_a_constant_are_kept(tmp_path):
    path = write_notebook(tmp_path / "mine.ipynb", [
        "def relu(x):\n    return x",
        "HYPERPARAMS = dict(dh=64, lr=0.1, epochs=3, batch_size=32)",
        "def relu(x):\n    return max(x, 0)",
        "HYPERPARAMS['epochs'] = 8\nHYPERPARAMS['lr'] *= 0.5",
    ])
    notebook = notebooks.read(str(path))
    assert notebook.parts() == ["calculus", "mlp"]
    namespace = {}
    exec(compile(module_of(notebook, "calculus")[0], "calculus.py", "exec"), namespace)  # our own test text
    assert namespace["relu"](-3) == 0
    namespace = {}
    exec(compile(module_of(notebook, "mlp")[0], "mlp.py", "exec"), namespace)
    assert namespace["HYPERPARAMS"] == {"dh": 64, "lr": 0.05, "epochs": 8, "batch_size": 32}


def test_a_part_gets_the_helpers_and_imports_it_uses_and_nothing_of_other_parts(tmp_path):
    path = write_notebook(tmp_path / "all.ipynb", [
        "import numpy as np\nimport torch\nfrom torch import nn",
        "def _stable_exp(z):\n    return np.exp(z - z.max(axis=-1, keepdims=True))",
        "def softmax(z):\n    e = _stable_exp(np.asarray(z, dtype=float))\n    return e / e.sum(axis=-1, keepdims=True)",
        "class LogisticRegression(nn.Module):\n    def __init__(self, d, m):\n        super().__init__()\n"
        "        self.linear = nn.Linear(d, m)\n    def forward(self, x):\n        return self.linear(x)",
        "def fprop(params, X):\n    return {'os': softmax(X @ params['W1'].T)}",
    ])
    notebook = notebooks.read(str(path))
    assert notebook.parts() == ["calculus", "mlp", "torch_models"]
    calculus, _ = module_of(notebook, "calculus")
    assert "_stable_exp" in calculus and "import numpy" in calculus
    assert "torch" not in calculus and "LogisticRegression" not in calculus and "fprop" not in calculus
    mlp, _ = module_of(notebook, "mlp")
    assert "def softmax" in mlp and "def fprop" in mlp and "torch" not in mlp
    torch_models, _ = module_of(notebook, "torch_models")
    assert "from torch import nn" in torch_models and "softmax" not in torch_models


def test_a_constant_built_by_code_that_does_not_run_is_left_out_with_a_note(tmp_path):
    path = write_notebook(tmp_path / "homework.ipynb", [
        "best = search_learning_rate()",
        "HYPERPARAMS = {'dh': 100, 'lr': best, 'epochs': 5, 'batch_size': 64}",
        "TORCH_HYPERPARAMS = {'logreg': {'epochs': 2, 'lr': 0.1, 'batch_size': 64, 'options': {'loss': make()}}}",
    ])
    notebook = notebooks.read(str(path))
    assert "HYPERPARAMS" not in notebook.known and "TORCH_HYPERPARAMS" not in notebook.known
    text = "\n".join(notebook.notes)
    assert "cell 3: the assignment to HYPERPARAMS was left out: it uses best" in text
    assert "cell 4: the assignment to TORCH_HYPERPARAMS was left out: it uses make" in text


def test_a_cell_with_a_syntax_error_is_named_and_the_other_cells_still_count(tmp_path):
    path = write_notebook(tmp_path / "homework.ipynb", [
        "import numpy as np\ndef relu(x):\n    return np.maximum(x, 0)",
        "def sigmoid(x)\n    return 1 / (1 + np.exp(-x))",
    ])
    notebook = notebooks.read(str(path))
    assert "relu" in notebook.known and "sigmoid" not in notebook.known
    assert len(notebook.notes) == 1
    assert re.match(r"homework\.ipynb, cell 3, line 1: SyntaxError: .*This cell was left out", notebook.notes[0])


@pytest.mark.parametrize("content, message", [
    ('{"cells": [', "is not a readable notebook"),
    ('{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
     "does not follow the Jupyter notebook format"),
    ("\udcff", "not UTF-8"),
    ("[" * 100000 + "]" * 100000, "is not a readable notebook"),
])
def test_a_broken_notebook_gives_a_message(tmp_path, content, message):
    path = tmp_path / "homework.ipynb"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(notebooks.NotebookError, match=message):
        notebooks.read(str(path))


def test_a_huge_notebook_is_not_read(tmp_path):
    path = tmp_path / "homework.ipynb"
    path.write_bytes(b" " * (notebook_json.MAX_NOTEBOOK_BYTES + 1))
    with pytest.raises(notebooks.NotebookError, match="Clear All Outputs"):
        notebooks.read(str(path))


def test_a_notebook_with_megabytes_of_code_is_not_parsed(tmp_path):
    line = "x = 1  # a line as long as most, so that the code's size is the limit reached first\n"
    path = write_notebook(tmp_path / "homework.ipynb", [line * (notebooks.MAX_CODE_CHARS // len(line) + 1)])
    with pytest.raises(notebooks.NotebookError, match="MB of code"):
        notebooks.read(str(path))


def test_messages_quote_the_cell_and_line(tmp_path):
    path = write_notebook(tmp_path / "homework.ipynb", [
        "import numpy as np",
        "x = 1\n\ndef sigmoid(x):\n    '''doc'''\n    raise ValueError(np.pi)",
    ])
    source, line_map = module_of(notebooks.read(str(path)), "calculus")
    assert source.splitlines()[3] == "    raise ValueError(np.pi)"        # x = 1 is not used: left out
    text = notebooks.relocate("sigmoid raised ValueError: no (at calculus.py, line 4, in sigmoid)",
                              {"calculus.py": line_map})
    assert text == "sigmoid raised ValueError: no (at homework.ipynb, cell 3, line 5, in sigmoid)"
    assert notebooks.relocate("mlp.py, line 3", {"calculus.py": line_map}) == "mlp.py, line 3"


def test_the_part_names_are_the_contracts():
    if not os.path.exists(CONTRACT_TOOL):
        pytest.skip("shared/tools/check_contract.py is not beside the repository")
    sys.path.insert(0, os.path.dirname(CONTRACT_TOOL))
    try:
        import check_contract
    finally:
        sys.path.pop(0)
    promised = check_contract.promised_names(check_contract.CONTRACT.read_text())
    assert {f"{part}.py": list(names) for part, names in PART_NAMES.items()} == promised


# --------------------------------------------------------------------------- finding parts in a submission

def test_notebooks_named_after_parts_and_a_py_file_that_wins(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    write_notebook(folder / "calculus.ipynb", [reference_source("calculus")])
    write_notebook(folder / "conv.ipynb", [reference_source("conv")])
    (folder / "conv.py").write_text(reference_source("conv"))
    work = tmp_path / "work"
    work.mkdir()
    found = locate(str(folder), str(work))
    assert parts_found(found) == ["calculus", "conv"]
    assert found.origins == {"calculus.py": "calculus.ipynb"}
    assert found.files["conv.py"] == str(folder / "conv.py")
    assert "conv.py and conv.ipynb both hold conv: conv.py was graded, not conv.ipynb." in found.notes
    assert found.describe("calculus") == "calculus.py (from calculus.ipynb)"


def test_a_notebook_inside_a_zip_is_found(tmp_path):
    notebook = write_notebook(tmp_path / "homework.ipynb", [reference_source("mlp")])
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(notebook, "hw/homework.ipynb")
        z.writestr("hw/.ipynb_checkpoints/homework-checkpoint.ipynb", "{}")
    work = tmp_path / "work"
    work.mkdir()
    found = locate(str(archive), str(work))
    assert parts_found(found) == ["mlp"] and found.origins == {"mlp.py": "homework.ipynb"}
    assert not found.notes


# --------------------------------------------------------------------------- grading end to end

def reference_notebook(path):
    """The generated homework notebook with the reference's code in its cells, plus a training run,
    a plot, %matplotlib and !pip cells."""
    template = json.loads(student_notebook.render(os.path.join(REPO, "student_template")))
    references = {}
    for part in PARTS:
        tree = ast.parse(reference_source(part))
        for node in tree.body:
            for name in notebooks._defines(node):
                references.setdefault(name, []).append(ast.get_source_segment(reference_source(part), node))
    used = set()
    for cell in template["cells"]:
        if cell["cell_type"] != "code":
            continue
        defined = set()
        for node in ast.parse(cell["source"]).body:
            defined |= notebooks._defines(node)
        names = [n for n in defined if n in references and not isinstance(ast.parse(cell["source"]).body[0],
                                                                         (ast.Import, ast.ImportFrom))]
        if names:
            cell["source"] = "\n\n".join(references[names[0]])
            used |= set(names)
    helpers = {part: [] for part in PARTS}
    for part in PARTS:  # the reference's own helpers and imports, in a cell of their own before its part
        source = reference_source(part)
        for node in ast.parse(source).body:
            if notebooks._defines(node) and not notebooks._defines(node) & used:
                helpers[part].append(ast.get_source_segment(source, node))
    cells = []
    for cell in template["cells"]:
        cells.append(cell)
        heading = re.match(r"# (\w+)\.py", cell["source"])
        if cell["cell_type"] == "markdown" and heading:
            part = heading.group(1)
            cells.append(new_code_cell("\n\n".join(helpers[part])))
    notebook = nbformat.from_dict(dict(template, cells=cells))
    notebook.cells += [new_code_cell(text) for text in EXTRA_CELLS]
    nbformat.write(notebook, str(path))
    return path


@pytest.mark.grading
def test_the_reference_as_a_notebook_gets_full_marks(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    reference_notebook(folder / "my homework.ipynb")
    results = grade(folder, tmp_path / "results.json", "--no-training")
    assert not lost(results), [(t["name"], t.get("output")) for t in lost(results)]
    assert {t["tags"][0] for t in results["tests"]} == set(PARTS)
    assert "calculus.py (from my homework.ipynb)" in results["output"]


@pytest.mark.grading
def test_the_template_notebook_gets_0_with_the_templates_messages(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    student_notebook.write(os.path.join(REPO, "student_template"), folder / "homework.ipynb")
    as_notebook = grade(folder, tmp_path / "notebook.json", "--no-training", "--parts", "calculus,mlp,torch_models")
    as_files = grade(os.path.join(REPO, "student_template"), tmp_path / "files.json", "--no-training",
                     "--parts", "calculus,mlp,torch_models")
    assert as_notebook["score"] == 0 and as_files["score"] == 0

    def where_free(test):
        return re.sub(r"\(at [^)]*\)", "(at ...)", test.get("output", ""))
    assert [where_free(t) for t in as_notebook["tests"]] == [where_free(t) for t in as_files["tests"]]
    assert "(at homework.ipynb, cell " in json.dumps(as_notebook)


@pytest.mark.grading
def test_a_syntax_error_broken_json_and_a_mix_each_get_a_message(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    sources = reference_source("calculus").split("\n\ndef ")
    broken = "def " + sources[1].replace(":\n", "\n", 1)           # the first function, without its colon
    write_notebook(folder / "calculus.ipynb", [sources[0], broken] + ["def " + s for s in sources[2:]])
    (folder / "linear_models.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x = ')
    (folder / "mlp.py").write_text(reference_source("mlp"))
    write_notebook(folder / "extra.ipynb", ["import numpy as np\ndef predict(params, X):\n    return 0"])
    results = grade(folder, tmp_path / "results.json", "--no-training", "--parts", "calculus,linear_models,mlp")
    output = results["output"]
    assert "calculus.ipynb, cell 3, line 1: SyntaxError" in output
    assert "linear_models.ipynb is not a readable notebook" in output
    assert "mlp.py and extra.ipynb both hold mlp: mlp.py was graded, not extra.ipynb." in output
    calculus = [t for t in results["tests"] if t["tags"][0] == "calculus"]
    first_function = sources[1].split("(")[0]
    assert any(t["score"] > 0 for t in calculus)                   # the other cells still count
    failing = [t for t in lost(results) if first_function in t["tags"]]
    assert failing and all("calculus.ipynb, cell 3, line 1: SyntaxError" in t["output"] for t in failing)
    linear = [t for t in results["tests"] if t["tags"][0] == "linear_models"]
    assert all(t["score"] == 0 and "linear_models.ipynb is not a readable notebook" in t["output"]
               for t in linear)
    assert not [t for t in lost(results) if t["tags"][0] == "mlp" and "training" not in t["name"]]


def self_check(folder, only):
    done = subprocess.run([sys.executable, "-m", "autograder", "check", str(folder), "--only", only],
                          cwd=REPO, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    marks = [line.strip() for line in done.stdout.splitlines() if line.strip()[:1] in ("✓", "✗")]
    return done.returncode, marks, done.stdout


@pytest.mark.parametrize("source", ["reference", "student_template"])
def test_the_self_check_gives_the_same_marks_on_a_notebook(tmp_path, source):
    folder = tmp_path / "submission"
    folder.mkdir()
    if source == "reference":
        reference_notebook(folder / "homework.ipynb")
    else:
        student_notebook.write(os.path.join(REPO, "student_template"), folder / "homework.ipynb")
    only = "calculus,linear_models,mlp,conv"
    code, marks, output = self_check(folder, only)
    expected_code, expected, _ = self_check(os.path.join(REPO, source), only)
    assert code == expected_code and len(marks) > 40
    strip_timing = re.compile(r"\s+\(\d+\.\d s\)$")
    assert [strip_timing.sub("", m) for m in marks] == [strip_timing.sub("", m) for m in expected]
