"""The payload scan (autograder/load/payloads.py): it lists constants that look shipped, on the
instructor's side only, and nothing in honest code.

Shipped: weights and tables in every form we could think of (base64, hex, split, in comments,
numbers as text, nested lists, one number per statement, big integers, bytes, data files).
Honest: every file of the reference, the student template (its notebook and check.py
included) and the correct variants, plus what students write (prose, tables of results,
URLs, small test vectors).
"""
import base64
import glob
import os

import numpy as np
import pytest

from autograder.contract import PARTS
from autograder.load import notebook as notebooks
from autograder.load import payloads as P
from autograder.load.submission import locate
from tests.test_notebook import write_notebook

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

rng = np.random.default_rng(0)
WEIGHTS = rng.normal(0, 0.1, (10, 785)).astype(np.float32)
Q4 = (np.clip(WEIGHTS * 40 + 8, 0, 15).astype(np.uint8))
HEX4 = "".join("0123456789abcdef"[v] for v in Q4.ravel())


def flagged(source):
    return [str(f) for f in P.scan_source("mlp.py", source)]


SHIPPED = {
    "base64 string": f"W = {base64.b64encode(WEIGHTS.tobytes()).decode()!r}\n",
    "base64 split over adjacent literals": "W = (\n" + "".join(
        f"    {base64.b64encode(WEIGHTS.tobytes()).decode()[i:i + 60]!r}\n" for i in range(0, 41000, 60)) + ")\n",
    "base64 with spaces every 150 characters": "W = '''" + " ".join(
        base64.b64encode(WEIGHTS.tobytes()).decode()[i:i + 150] for i in range(0, 41000, 150)) + "'''\n",
    "4-bit hex in 60-character assignments": "".join(
        f"P{i} = {HEX4[i * 60:(i + 1) * 60]!r}\n" for i in range(len(HEX4) // 60)),
    "numbers as text in a docstring": '"""' + " ".join(f"{v:.3f}" for v in WEIGHTS.ravel()) + '"""\n',
    "nested lists of floats": f"W = {np.round(WEIGHTS, 4).tolist()!r}\n",
    "one number per statement": "".join(f"w{i} = {v:.4f}\n" for i, v in enumerate(WEIGHTS.ravel()[:3000])),
    "a dict of hashes": "ANSWERS = {" + ", ".join(f"'{i:016x}': {i % 10}" for i in range(2000)) + "}\n",
    "a huge integer": f"BLOB = {int.from_bytes(WEIGHTS.tobytes()[:1500], 'big')}\n",
    "a bytes literal": f"BLOB = {WEIGHTS.tobytes()[:4000]!r}\n",
    "base64 in comments": "".join(f"# {base64.b64encode(WEIGHTS.tobytes()).decode()[i:i + 70]}\n"
                                  for i in range(0, 41000, 70)),
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_data_is_found(name):
    assert flagged(SHIPPED[name]), name


def test_a_data_file_beside_the_code_is_listed():
    found = P.scan_submission({}, [("weights.npy", 31_528), ("notes.txt", 300)])
    assert [f.file for f in found] == ["weights.npy"]


def test_a_large_python_file_is_listed_without_reading_it(tmp_path):
    path = tmp_path / "mlp.py"
    path.write_text("x = 1\n" * 40_000)
    assert "Python file of 240,000 bytes" in str(P.scan_file("mlp.py", str(path))[0])


HONEST = {
    "prose docstrings": '"""' + "The gradient of the loss with respect to W1, averaged over the batch.\n" * 200 + '"""\n',
    "a results table in a comment": "".join(f"# seed {s}: lr 0.05 epochs 10 test error 0.1{s % 10}\n" for s in range(30)),
    "HYPERPARAMS": "HYPERPARAMS = dict(dh=128, lr=0.05, epochs=10, batch_size=32, reg=(0, 0, 0, 0))\n",
    "a long error message": "raise ValueError(" + repr("the shapes do not match: " * 40) + ")\n",
    "a URL": "# see https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html#torch.nn.CrossEntropyLoss\n",
    "a small test vector": f"X_SMALL = {np.round(rng.normal(size=(10, 5)), 3).tolist()!r}\n",
    "broken syntax": "def f(:\n    return '''unterminated\n",
}


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_code_is_not_flagged(name):
    assert not flagged(HONEST[name]), name


def honest_files(workdir):
    """{label: path} of every file the grader would run from an honest submission of this project."""
    files = {}
    for pattern in ("reference/*.py", "student_template/*.py", "tests/submissions/variants/*/*.py",
                    "tests/submissions/variants/*/*/*.py"):
        for path in glob.glob(os.path.join(REPO, pattern)):
            files[os.path.relpath(path, REPO)] = path
    book = notebooks.read(os.path.join(REPO, "student_template", "homework.ipynb"), "homework.ipynb")
    for part in PARTS:
        source, _ = book.module_source(part)
        path = os.path.join(workdir, f"{part}.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        files[f"homework.ipynb ({part})"] = path
    return files


def test_no_honest_file_is_flagged(tmp_path):
    files = honest_files(str(tmp_path))
    assert len(files) > 25
    found = [str(f) for name, path in files.items() for f in P.scan_file(name, path)]
    assert found == []


def test_a_notebooks_payload_is_placed_in_its_cell(tmp_path):
    blob = base64.b64encode(WEIGHTS.tobytes()).decode()
    folder = tmp_path / "submission"
    folder.mkdir()
    write_notebook(folder / "homework.ipynb", ["import numpy as np\n", f"W = {blob!r}\n\ndef predict(params, X):\n    return len(W)\n"])
    (folder / "weights.npy").write_bytes(WEIGHTS.tobytes())
    (folder / "report.pdf").write_bytes(WEIGHTS.tobytes())
    submission = locate(str(folder), str(tmp_path / "work"))
    found = [submission.explain(str(f)) for f in P.scan_submission(submission.files, submission.other_files)]
    assert any(f.startswith("homework.ipynb, cell 3, line 1") for f in found), found
    assert any(f.startswith("weights.npy: a data file") for f in found), found
    assert not any("report.pdf" in f for f in found)
