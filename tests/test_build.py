"""The Gradescope zip: what it holds, and that it grades end to end in an /autograder-like tree."""
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import zipfile

import pytest

from autograder.instructor.build import INSTRUCTOR_ONLY, PACKAGES

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV_ONLY_PACKAGES = ("matplotlib", "yaml", "tqdm", "hypothesis", "jsonschema")


def build(out, *options):
    done = subprocess.run([sys.executable, "-m", "autograder", "build", "--out", str(out), *options], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return zipfile.ZipFile(out)


def test_the_zip_holds_the_grader_and_nothing_else(tmp_path):
    archive = build(tmp_path / "autograder.zip")
    names = archive.namelist()
    for required in ("setup.sh", "run_autograder", "requirements.txt", "autograder/__main__.py",
                     "autograder/graded/conftest.py", "autograder/graded/test_calculus.py",
                     "reference/__init__.py", "reference/calculus.py"):
        assert required in names
    for name in names:
        top = name.split("/")[0]
        assert top in ("setup.sh", "run_autograder", "requirements.txt", "autograder", "coursedata", "reference"), name
        assert "__pycache__" not in name and not name.endswith(".pyc") and "/." not in "/" + name
    assert "autograder/parts.json" not in names
    for name in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(archive.getinfo(name).external_attr >> 16) & 0o111, f"{name} is not executable"
    tracked = set(subprocess.run(["git", "ls-files", "autograder", "coursedata", "reference"], cwd=REPO, capture_output=True,
                                 text=True).stdout.split())
    instructor_only = {name for name in tracked if name.startswith(INSTRUCTOR_ONLY)}
    assert instructor_only and tracked - instructor_only <= set(names)
    assert not instructor_only & set(names)
    assert "requirements-dev.txt" not in names


def test_the_zip_holds_every_module_grading_imports(tmp_path):
    """Unpacked alone, the zip imports the command line, the grader, the sandbox side and every graded test."""
    build(tmp_path / "autograder.zip").extractall(tmp_path / "source")
    graded = sorted(name[:-3].replace("/", ".") for name in
                    zipfile.ZipFile(tmp_path / "autograder.zip").namelist()
                    if name.startswith("autograder/graded/") and name.endswith(".py"))
    modules = ["autograder.__main__", "autograder.grade", "autograder.sandbox.tasks", "autograder.sandbox.worker"] + graded
    # Packages only requirements-dev.txt installs are absent on Gradescope: importing one fails here too.
    script = textwrap.dedent(f"""
        import importlib, sys
        sys.path.insert(0, {str(tmp_path / 'source')!r})
        sys.modules.update(dict.fromkeys({DEV_ONLY_PACKAGES!r}))
        for name in {modules!r}:
            importlib.import_module(name)
        ours = [m for n, m in list(sys.modules.items()) if m and n.split('.')[0] in {PACKAGES!r}]
        places = {{m.__name__: [m.__file__] if getattr(m, '__file__', None) else list(m.__path__) for m in ours}}
        outside = [name for name, found in places.items() if not all(p.startswith(sys.path[0]) for p in found)]
        assert not outside, outside
    """)
    done = subprocess.run([sys.executable, "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def test_build_lists_what_went_in_and_its_size(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "build", "--out", str(tmp_path / "a.zip")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "autograder/grade.py" in done.stdout and "requirements.txt" in done.stdout
    assert "autograder/instructor/batch.py" not in done.stdout
    assert f"the zip takes {os.path.getsize(tmp_path / 'a.zip'):,} bytes" in done.stdout


def test_the_same_files_give_the_same_zip_but_a_fresh_secret(tmp_path):
    a = build(tmp_path / "a.zip", "--parts", "conv")
    b = build(tmp_path / "b.zip", "--parts", "conv")
    secret = "autograder/grading_secret"
    assert a.namelist() == b.namelist() and secret in a.namelist()
    for name in a.namelist():
        if name != secret:
            assert a.read(name) == b.read(name), name
    assert a.read(secret) != b.read(secret), "each build is a deployment with its own secret"
    assert stat.S_IMODE(a.getinfo(secret).external_attr >> 16) == 0o600


@pytest.fixture(scope="module")
def built_tree(tmp_path_factory):
    """The zip with --parts calculus,conv unpacked as Gradescope does: ROOT/source, the venv beside it."""
    root = tmp_path_factory.mktemp("gradescope")
    archive = build(root / "autograder.zip", "--parts", "calculus,conv")
    assert json.loads(archive.read("autograder/parts.json")) == {"parts": ["calculus", "conv"], "rescale": True}
    source = root / "source"
    archive.extractall(source)
    for name in ("setup.sh", "run_autograder"):
        os.chmod(source / name, 0o755)
    os.symlink(sys.prefix, source / ".venv")  # setup.sh would build it here
    return root


def run_autograder(root, submission_files):
    submission, results = root / "submission", root / "results"
    for folder in (submission, results):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
    for path in submission_files:
        shutil.copy(path, submission)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_NO_TRAINING="1")
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(results / "results.json") as f:
        return json.load(f), done.stdout


@pytest.mark.interpreter
@pytest.mark.grading
def test_the_built_autograder_gives_the_reference_100_on_its_parts(built_tree):
    files = [os.path.join(REPO, "reference", f"{m}.py") for m in ("calculus", "conv", "mlp")]
    results, table = run_autograder(built_tree, files)
    assert {t["tags"][0] for t in results["tests"]} == {"calculus", "conv"}
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(100, abs=0.01)
    assert results["score"] == pytest.approx(100, abs=0.01)
    assert all(t["status"] == "passed" for t in results["tests"])
    assert "Total: 100 / 100" in table


@pytest.mark.interpreter
@pytest.mark.grading
def test_the_built_autograder_gives_the_template_0_with_messages(built_tree):
    files = [os.path.join(REPO, "student_template", f"{m}.py") for m in ("calculus", "conv")]
    results, _ = run_autograder(built_tree, files)
    assert results["score"] == 0 and results["tests"]
    assert all(t["status"] == "failed" and t.get("output", "").strip() for t in results["tests"])


def test_run_autograder_leaves_valid_results_when_the_grader_cannot_start(tmp_path):
    source = tmp_path / "source"
    (source / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(os.path.join(REPO, "run_autograder"), source)
    (source / ".venv" / "bin" / "python").write_text("#!/bin/sh\nexit 1\n")
    os.chmod(source / ".venv" / "bin" / "python", 0o755)
    env = dict(os.environ, AUTOGRADER_ROOT=str(tmp_path))
    subprocess.run(["bash", str(source / "run_autograder")], env=env, capture_output=True, timeout=60)
    with open(tmp_path / "results" / "results.json") as f:
        results = json.load(f)
    assert results["score"] == 0 and results["tests"][0]["name"] == "Autograder error"
