"""Grading end to end: the reference gets 100, the template 0, and results.json is always valid."""
import glob
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from tests.helpers_results import SHARED, validate as validate_results

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from autograder.contract import PARTS as MODULES  # noqa: E402
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


@pytest.mark.interpreter
@pytest.mark.grading
@pytest.mark.slow
def test_reference_gets_full_marks_with_training(tmp_path):
    results, table = grade(os.path.join(REPO, "reference"), tmp_path / "results.json")
    validate(results)
    failed = [(t["name"], t.get("output", "")[:300]) for t in results["tests"] if t["status"] != "passed"]
    assert failed == []
    assert results["score"] == pytest.approx(100)
    assert "Total: 100 / 100" in table


@pytest.mark.grading
def test_template_scores_zero_with_a_message_on_every_test(template_results):
    validate(template_results)
    assert template_results["score"] == 0
    for test in template_results["tests"]:
        assert test["status"] == "failed" and test["score"] == 0
        assert test.get("output", "").strip(), test["name"]


@pytest.mark.grading
def test_points_add_up_to_100_split_by_module(template_results):
    totals = {}
    for test in template_results["tests"]:
        totals[test["tags"][0]] = totals.get(test["tags"][0], 0) + test["max_score"]
    assert totals == pytest.approx(POINTS)


@pytest.mark.grading
def test_every_contract_name_is_graded_and_tagged_after_its_module(template_results):
    promised = contract_names()
    for test in template_results["tests"]:
        module, *names = test["tags"]
        assert module in MODULES, test
        assert names and set(names) <= set(promised[module]), test
    tagged = {(t["tags"][0], name) for t in template_results["tests"] for name in t["tags"][1:]}
    missing = [(m, n) for m, names in promised.items() for n in names if (m, n) not in tagged]
    assert missing == []


@pytest.mark.grading
def test_numbers_are_unique_and_hidden_tests_exist(template_results):
    numbers = [t["number"] for t in template_results["tests"]]
    assert len(numbers) == len(set(numbers))
    assert any(t.get("visibility") == "after_due_date" for t in template_results["tests"])


@pytest.mark.grading
def test_missing_submission_still_writes_valid_results(tmp_path):
    results, _ = grade(tmp_path / "no-such-folder", tmp_path / "results.json", "--no-training")
    validate(results)
    assert results["score"] == 0 and "does not exist" in results["output"]
    assert all("was not found in your submission" in t["output"] for t in results["tests"])


@pytest.mark.grading
def test_a_planted_results_file_or_link_is_replaced_not_followed(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("keep me")
    results_path = tmp_path / "results.json"
    os.symlink(target, results_path)
    results, _ = grade(os.path.join(REPO, "student_template"), results_path, "--parts", "conv")
    validate(results)
    assert target.read_text() == "keep me" and not os.path.islink(results_path)


@pytest.mark.grading
def test_parts_grade_only_those_modules(tmp_path):
    results, _ = grade(os.path.join(REPO, "reference"), tmp_path / "r.json", "--parts", "calculus,conv")
    validate(results)
    assert {t["tags"][0] for t in results["tests"]} == {"calculus", "conv"}
    assert results["score"] == pytest.approx(POINTS["calculus"] + POINTS["conv"])


def test_results_are_strict_bounded_json_whatever_the_student_returned(tmp_path):
    import io

    from autograder.results.table import print_table
    from autograder.results.write import write_results
    from autograder.sandbox.codec import Unsupported
    results = {"score": 0, "output": "x\udcff", "tests": [{
        "name": "t", "number": "1", "score": 0, "max_score": 1, "status": "failed", "tags": ["calculus"],
        "output": "raised ValueError: \udcff\x1b[2J" + "y" * 100_000,
        "extra_data": {"losses": [float("nan")] + [0.5] * 3_000_000 + [float("inf")],
                       "history": {"train_loss": [Unsupported("builtins.object"), object()]}}}]}
    path = tmp_path / "results.json"
    write_results(results, path)
    text = path.read_text(encoding="utf-8")
    back = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in results.json"))
    validate_results(back)
    assert len(text) < 1_000_000 and "\x1b" not in back["tests"][0]["output"]
    losses = back["tests"][0]["extra_data"]["losses"]
    assert losses[0] == "nan" and len(losses) <= 2_000   # thinned to a plottable curve
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
    stream = io.StringIO()
    print_table(back, stream)
    assert "Total: 0 / 1" in stream.getvalue()


def test_a_bug_in_a_graded_test_is_not_blamed_on_the_student():
    from autograder.results.plugin import ResultsPlugin

    class Call:
        def __init__(self, error):
            self.excinfo = type("Info", (), {"value": error})()
    plugin = ResultsPlugin()
    item = type("Item", (), {"nodeid": "graded/test_x.py::test_y"})()
    message = plugin._message(item, Call(AssertionError("internal index mismatch")), None)
    assert "autograder itself failed" in message and "internal index" not in message
    assert plugin.log and "internal index mismatch" in plugin.log[0]
    message = plugin._message(item, Call(pytest.fail.Exception("Timeout >480.0s")), None)
    assert "not a verdict on your work" in message and "type" not in message


@pytest.mark.grading
@pytest.mark.skipif(os.geteuid() != 0, reason="the grader changes file modes only as root")
def test_grading_as_root_leaves_the_checkout_and_the_dataset_as_they_were(tmp_path):
    watched = [REPO] + [os.path.join(REPO, n) for n in os.listdir(REPO)] + ["/usr/share/datasets/fashion-mnist"]
    watched += glob.glob("/usr/share/datasets/fashion-mnist/*")

    def modes():
        return {p: (os.stat(p).st_mode, os.stat(p).st_uid, os.stat(p).st_gid) for p in watched if os.path.exists(p)}

    def status():
        done = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=REPO, capture_output=True, text=True)
        return done.stdout
    before, git_before = modes(), status()
    grade(os.path.join(REPO, "reference"), tmp_path / "r.json", "--parts", "calculus", "--no-training")
    assert modes() == before
    assert status() == git_before


@pytest.mark.skipif(os.geteuid() != 0, reason="the grader changes file modes only as root")
def test_without_landlock_files_are_locked_while_gradings_run_and_restored_after_the_last(tmp_path, monkeypatch):
    from autograder.sandbox import protection as grade_module
    checkout, labels = tmp_path / "checkout", tmp_path / "labels"
    for folder in (checkout / "reference", checkout / ".venv", labels):
        folder.mkdir(parents=True, mode=0o755)
    (checkout / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    label_file = labels / "t10k-labels-idx1-ubyte.gz"
    label_file.write_bytes(b"labels")
    os.chmod(label_file, 0o644)
    monkeypatch.setattr(grade_module, "REPO", str(checkout))
    monkeypatch.setattr(grade_module, "SYSTEM_LABEL_DIRS", (str(labels),))
    monkeypatch.setattr(grade_module, "PROTECTION_LOCK", str(tmp_path / "lock"))
    monkeypatch.setattr(grade_module.confine, "available_layers", lambda: ["rlimits", "no_new_privs"])

    def mode(path):
        return path.stat().st_mode & 0o777
    log = []
    with grade_module.protect_files_for_grading(None, log) as first:
        assert str(label_file) in first and mode(label_file) == 0o600 and mode(checkout / "reference") == 0o700
        assert mode(checkout / ".venv") == 0o755
        with grade_module.protect_files_for_grading(None, log):   # a second grading meanwhile
            pass
        assert mode(label_file) == 0o600, "the second grading restored the modes while the first still ran"
    assert mode(label_file) == 0o644 and mode(checkout / "reference") == 0o755
    assert not (tmp_path / "lock.json").exists() and log == []


@pytest.mark.parametrize("written, kept", [('{"score": 7, "tests": []}', True), ('{"score": 7, "tes', False), (None, False)])
def test_run_autograder_replaces_results_only_when_missing_or_invalid(tmp_path, written, kept):
    """A grader that wrote valid results and then exited non-zero keeps its results."""
    import shutil
    source = tmp_path / "source"
    (source / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(os.path.join(REPO, "run_autograder"), source)
    fake = "#!/bin/sh\n" + (f"printf '%s' '{written}' > \"$6\"\n" if written else "") + "exit 1\n"
    (source / ".venv" / "bin" / "python").write_text(fake)
    os.chmod(source / ".venv" / "bin" / "python", 0o755)
    subprocess.run(["bash", str(source / "run_autograder")], env=dict(os.environ, AUTOGRADER_ROOT=str(tmp_path)),
                   capture_output=True, timeout=60)
    with open(tmp_path / "results" / "results.json") as f:
        results = json.load(f)
    assert (results["score"] == 7) is kept
    if not kept:
        assert results["tests"][0]["name"] == "Autograder error"


def test_the_leaderboard_lists_each_trained_model_and_validates():
    from autograder.load.submission import Submission
    from autograder.results.assemble import build_results, leaderboard

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
    validate_results(results)
    assert leaderboard([entry(("calculus", "sigmoid"))]) == []
