"""Grading end to end: the reference gets 100, the template 0, and results.json is always valid."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
MODULES = ("calculus", "linear_models", "mlp", "conv", "torch_models")
POINTS = {"calculus": 20, "linear_models": 20, "mlp": 28, "conv": 12, "torch_models": 20}


def grade(submission, results, *options):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission),
                           "--results", str(results), *options],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(results) as f:
        return json.load(f), done.stdout


def validate(results):
    jsonschema = pytest.importorskip("jsonschema")
    path = os.path.join(SHARED, "gradescope-results.schema.json")
    if not os.path.exists(path):
        pytest.skip("shared/gradescope-results.schema.json is not beside the repository")
    with open(path) as f:
        jsonschema.validate(results, json.load(f))
    assert len(json.dumps(results)) < 1_000_000


def contract_names():
    path = os.path.join(SHARED, "tools", "check_contract.py")
    if not os.path.exists(path):
        pytest.skip("shared/tools/check_contract.py is not beside the repository")
    spec = importlib.util.spec_from_file_location("check_contract", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(os.path.join(SHARED, "assignment-api.md")) as f:
        return {m[:-3]: names for m, names in module.promised_names(f.read()).items()}


@pytest.fixture(scope="module")
def template_results(tmp_path_factory):
    return grade(os.path.join(REPO, "student_template"), tmp_path_factory.mktemp("t") / "results.json")[0]


@pytest.mark.slow
def test_reference_gets_full_marks_with_training(tmp_path):
    results, table = grade(os.path.join(REPO, "reference"), tmp_path / "results.json")
    validate(results)
    failed = [(t["name"], t.get("output", "")[:300]) for t in results["tests"] if t["status"] != "passed"]
    assert failed == []
    assert results["score"] == pytest.approx(100)
    assert "Total: 100 / 100" in table


def test_template_scores_zero_with_a_message_on_every_test(template_results):
    validate(template_results)
    assert template_results["score"] == 0
    for test in template_results["tests"]:
        assert test["status"] == "failed" and test["score"] == 0
        assert test.get("output", "").strip(), test["name"]


def test_points_add_up_to_100_split_by_module(template_results):
    totals = {}
    for test in template_results["tests"]:
        totals[test["tags"][0]] = totals.get(test["tags"][0], 0) + test["max_score"]
    assert totals == pytest.approx(POINTS)


def test_every_contract_name_is_graded_and_tagged_after_its_module(template_results):
    promised = contract_names()
    for test in template_results["tests"]:
        module, *names = test["tags"]
        assert module in MODULES, test
        assert names and set(names) <= set(promised[module]), test
    tagged = {(t["tags"][0], name) for t in template_results["tests"] for name in t["tags"][1:]}
    missing = [(m, n) for m, names in promised.items() for n in names if (m, n) not in tagged]
    assert missing == []


def test_numbers_are_unique_and_hidden_tests_exist(template_results):
    numbers = [t["number"] for t in template_results["tests"]]
    assert len(numbers) == len(set(numbers))
    assert any(t.get("visibility") == "after_due_date" for t in template_results["tests"])


def test_missing_submission_still_writes_valid_results(tmp_path):
    results, _ = grade(tmp_path / "no-such-folder", tmp_path / "results.json", "--no-training")
    validate(results)
    assert results["score"] == 0 and "does not exist" in results["output"]
    assert all("was not found in your submission" in t["output"] for t in results["tests"])


def test_a_planted_results_file_or_link_is_replaced_not_followed(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("keep me")
    results_path = tmp_path / "results.json"
    os.symlink(target, results_path)
    results, _ = grade(os.path.join(REPO, "student_template"), results_path, "--parts", "conv")
    validate(results)
    assert target.read_text() == "keep me" and not os.path.islink(results_path)


def test_parts_grade_only_those_modules(tmp_path):
    results, _ = grade(os.path.join(REPO, "reference"), tmp_path / "r.json", "--parts", "calculus,conv")
    validate(results)
    assert {t["tags"][0] for t in results["tests"]} == {"calculus", "conv"}
    assert results["score"] == pytest.approx(POINTS["calculus"] + POINTS["conv"])


@pytest.mark.skipif(os.geteuid() != 0, reason="the grader locks its files only when it runs as root")
def test_locking_the_checkout_keeps_every_virtual_environment_readable(tmp_path, monkeypatch):
    from autograder import grade as grade_module
    for name in ("reference", ".git", "some-venv", ".venv-other"):
        (tmp_path / name).mkdir(mode=0o755)
    (tmp_path / "some-venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / ".venv-other" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    monkeypatch.setattr(grade_module, "REPO", str(tmp_path))
    grade_module.protect_grader_files()
    mode = {name: (tmp_path / name).stat().st_mode & 0o777 for name in os.listdir(tmp_path)}
    assert mode["reference"] == 0o700 and mode[".git"] == 0o700
    assert mode["some-venv"] == 0o755 and mode[".venv-other"] == 0o755


def test_the_leaderboard_lists_each_trained_model_and_validates():
    from autograder.grade import build_results, leaderboard
    from autograder.submission import Submission

    def entry(tags, **extra):
        return {"name": tags[1], "number": "1", "score": 1, "max_score": 1, "status": "passed", "tags": list(tags),
                "extra_data": extra}
    entries = [entry(("mlp", "train_mlp", "HYPERPARAMS"), test_error=0.1449, cpu_seconds=7.6),
               entry(("torch_models", "LogisticRegression", "train_torch"), test_accuracy=0.83),
               entry(("torch_models", "MLP", "train_torch"), test_accuracy=float("nan")),
               entry(("torch_models", "ConvNetDropout", "train_torch"), test_accuracy=0.88123456)]
    board = leaderboard(entries)
    assert board == [{"name": "LogisticRegression test accuracy", "value": 0.83, "order": "desc"},
                     {"name": "ConvNetDropout test accuracy", "value": 0.8812, "order": "desc"},
                     {"name": "numpy MLP test error", "value": 0.1449, "order": "asc"}]
    results = build_results(entries, Submission(), [], 1.0)
    results["leaderboard"] = board
    validate(results)
    assert leaderboard([entry(("calculus", "sigmoid"))]) == []
