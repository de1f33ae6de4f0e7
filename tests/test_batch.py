"""Batch grading: every submission gets a results file, grades.csv and a report; crashes and
timeouts are contained; a re-run resumes; Gradescope's export layout maps ids to students."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile

import pytest

from autograder.instructor import batch
from tests.helpers_results import SHARED

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONV_POINTS = 12


def run_cli(*args):
    done = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def validate(results):
    jsonschema = pytest.importorskip("jsonschema")
    path = os.path.join(SHARED, "gradescope-results.schema.json")
    if os.path.exists(path):
        with open(path) as f:
            jsonschema.validate(results, json.load(f))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class of three (a folder, a zip with conv.py only, the empty template) graded on conv.py and
    mlp.py (without training), two at a time."""
    root = tmp_path_factory.mktemp("class")
    submissions = root / "submissions"
    submissions.mkdir()
    shutil.copytree(os.path.join(REPO, "reference"), submissions / "alice",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(os.path.join(REPO, "student_template"), submissions / "bob")
    with zipfile.ZipFile(submissions / "carol.zip", "w") as archive:
        archive.write(os.path.join(REPO, "reference", "conv.py"), "hw/conv.py")
    (submissions / ".DS_Store").write_text("")
    (submissions / "__MACOSX").mkdir()
    (submissions / "notes.txt").write_text("not a submission")
    out = root / "out"
    started = time.monotonic()
    stdout = run_cli("batch", submissions, "--out", out, "--no-training", "--parts", "conv,mlp", "--jobs", "2",
                     "--no-progress")
    return submissions, out, stdout, time.monotonic() - started


@pytest.mark.grading
def test_every_submission_is_graded_into_csv_results_and_report(graded_class):
    submissions, out, stdout, _ = graded_class
    assert "3 submissions" in stdout and "3 to grade" in stdout and "--no-training" in stdout
    rows = {row["student"]: row for row in read_csv(out / "grades.csv")}
    assert set(rows) == {"alice", "bob", "carol"}
    header = list(rows["alice"])
    assert header[:5] == ["student", "total", "max", "status", "needs a look"]
    assert rows["alice"]["needs a look"] == "", "an honest submission flagged for the instructor"
    tests = header[5:]
    assert tests and all(col.split(" ", 1)[0][:2] in ("3.", "4.") and " " in col for col in tests)
    conv = [col for col in tests if col.startswith("4.")]
    assert sum(float(rows["alice"][col]) for col in conv) == pytest.approx(CONV_POINTS)
    assert float(rows["alice"]["total"]) == pytest.approx(float(rows["alice"]["max"]))
    assert float(rows["carol"]["total"]) == pytest.approx(CONV_POINTS)  # her zip holds conv.py only
    assert float(rows["bob"]["total"]) == 0
    for student in rows:
        with open(out / "results" / f"{student}.json") as f:
            results = json.load(f)
        validate(results)
        info = results["extra_data"]["batch"]
        assert info["status"] == "graded" and info["training"] is False and info["parts"] == ["conv", "mlp"]
        assert info["wall_seconds"] > 0
        assert (out / "logs" / f"{student}.txt").read_text().strip()
    report = (out / "report.html").read_text()
    assert "alice" in report and "bob" in report and "carol" in report
    # alice's trained MLP: the graded test recorded its decision regions, and the report draws them
    assert 'alt="decision regions of alice"' in report
    assert 'alt="decision regions of bob"' not in report


@pytest.mark.grading
def test_a_rerun_skips_what_is_graded_and_force_regrades(graded_class, tmp_path):
    submissions, out, _, _ = graded_class
    before = {p.name: p.stat().st_mtime_ns for p in (out / "results").iterdir()}
    stdout = run_cli("batch", submissions, "--out", out, "--no-training", "--parts", "conv,mlp", "--no-progress")
    assert "0 to grade, 3 already graded" in stdout
    assert {p.name: p.stat().st_mtime_ns for p in (out / "results").iterdir()} == before

    # Other options, or a changed submission, are graded again; --force regrades everything.
    copy = tmp_path / "submissions"
    shutil.copytree(submissions, copy)
    shutil.copytree(out, tmp_path / "out")
    shutil.copy(os.path.join(REPO, "reference", "conv.py"), copy / "bob" / "conv.py")
    stdout = run_cli("batch", copy, "--out", tmp_path / "out", "--no-training", "--parts", "conv,mlp", "--no-progress")
    assert "1 to grade, 2 already graded" in stdout
    rows = {row["student"]: row for row in read_csv(tmp_path / "out" / "grades.csv")}
    assert float(rows["bob"]["total"]) == pytest.approx(CONV_POINTS)
    stdout = run_cli("batch", copy, "--out", tmp_path / "out", "--no-training", "--parts", "conv", "--no-progress")
    assert "3 to grade, 0 already graded" in stdout  # other parts: graded again


FAKE_GRADER = textwrap.dedent("""
    import json, os, subprocess, sys, time
    path, results = sys.argv[1], sys.argv[sys.argv.index("--results") + 1]
    name = os.path.basename(path)
    if name.startswith("crash"):
        os._exit(3)
    if name.startswith("garbage"):
        open(results, "w").write("{not json")
        sys.exit(0)
    if name.startswith("hang"):
        # like a sandbox worker: a child in its own session, which must die with the grading
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
        open(os.path.join(path, "child.pid"), "w").write(str(child.pid))
        time.sleep(120)
    score = 3 if "--no-training" in sys.argv else 5
    json.dump({"score": score, "execution_time": 0.1, "tests": [
        {"name": "sigmoid: values", "number": "1.1", "score": score, "max_score": 5, "status": "passed",
         "tags": ["calculus", "sigmoid"]}]}, open(results, "w"))
""")


@pytest.fixture
def fake_grader(tmp_path):
    script = tmp_path / "fake_grader.py"
    script.write_text(FAKE_GRADER)
    return [sys.executable, str(script)]


def test_a_crash_or_a_timeout_gives_a_valid_error_result_and_never_stops_the_batch(tmp_path, fake_grader):
    folder = tmp_path / "submissions"
    for name in ("ann", "crash_bo", "garbage_cy", "hang_di", "zed"):
        (folder / name).mkdir(parents=True)
    started = time.monotonic()
    summary = batch.run_batch(folder, tmp_path / "out", jobs=2, timeout=3, command=fake_grader,
                              progress=False, report=False)
    assert time.monotonic() - started < 60
    assert summary["submissions"] == 5 and summary["graded"] == 5
    statuses = {}
    for name in ("ann", "crash_bo", "garbage_cy", "hang_di", "zed"):
        with open(tmp_path / "out" / "results" / f"{name}.json") as f:
            results = json.load(f)
        validate(results)
        statuses[name] = results["extra_data"]["batch"]["status"]
        if statuses[name] != "graded":
            assert results["score"] == 0 and results["tests"][0]["name"] == "Autograder error"
    assert statuses == {"ann": "graded", "crash_bo": "crashed", "garbage_cy": "crashed", "hang_di": "timeout",
                        "zed": "graded"}
    assert sorted(p.split(":")[0] for p in summary["problems"]) == ["crash_bo", "garbage_cy", "hang_di"]
    child = int((folder / "hang_di" / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{child}") and time.monotonic() < deadline:
        time.sleep(0.1)
    state = open(f"/proc/{child}/stat").read().split(")")[-1].split()[0] if os.path.exists(f"/proc/{child}") else "gone"
    assert state in ("gone", "Z"), "a process started by the stopped grading is still running"
    rows = {row["student"]: row for row in read_csv(tmp_path / "out" / "grades.csv")}
    assert rows["ann"]["total"] == "5" and rows["hang_di"]["status"] == "timeout"
    assert rows["hang_di"]["1.1 sigmoid: values"] == ""
    # The next run tries the three failed gradings again, and only those.
    again = batch.run_batch(folder, tmp_path / "out", jobs=2, timeout=3, command=fake_grader, progress=False,
                            report=False)
    assert again["graded"] == 3 and again["skipped"] == 2


def test_ctrl_c_keeps_what_is_graded_and_records_nothing_for_the_rest(tmp_path, fake_grader):
    folder = tmp_path / "submissions"
    for name in ("ann", "hang_bo"):
        (folder / name).mkdir(parents=True)
    out = tmp_path / "out"
    code = (f"import sys; sys.path.insert(0, {REPO!r}); from autograder.instructor import batch; "
            f"batch.run_batch({str(folder)!r}, {str(out)!r}, jobs=2, command={fake_grader!r}, progress=False)")
    # SIGINT back to its default: a shell that runs this suite in the background makes its children
    # ignore it, and Python then never raises KeyboardInterrupt.
    process = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 30
    while not ((out / "results" / "ann.json").exists() and (folder / "hang_bo" / "child.pid").exists()):
        assert time.monotonic() < deadline and process.poll() is None, process.stdout.read()
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode != 0 and "run the same command to resume" in output
    assert sorted(os.listdir(out / "results")) == ["ann.json"]
    assert not os.listdir(out / ".partial")
    child = int((folder / "hang_bo" / "child.pid").read_text())
    time.sleep(0.5)
    alive = os.path.exists(f"/proc/{child}") and \
        open(f"/proc/{child}/stat").read().split(")")[-1].split()[0] != "Z"
    assert not alive, "a process of the interrupted grading is still running"


def test_a_rerun_with_other_options_regrades(tmp_path, fake_grader):
    folder = tmp_path / "submissions"
    (folder / "ann").mkdir(parents=True)
    out = tmp_path / "out"
    assert batch.run_batch(folder, out, command=fake_grader, training=False, progress=False,
                           report=False)["graded"] == 1
    assert batch.run_batch(folder, out, command=fake_grader, training=False, progress=False,
                           report=False)["graded"] == 0
    assert batch.run_batch(folder, out, command=fake_grader, training=True, progress=False,
                           report=False)["graded"] == 1
    assert batch.run_batch(folder, out, command=fake_grader, training=True, force=True, progress=False,
                           report=False)["graded"] == 1
    assert read_csv(out / "grades.csv")[0]["total"] == "5"


METADATA = textwrap.dedent("""\
    submission_111:
      :submitters:
      - :name: Ada Lovelace
        :sid: '1815'
        :email: ada@example.edu
      :created_at: 2024-03-01 10:00:00.000000000 -08:00
      :score: 0.0
      :status: processed
    submission_222:
      :submitters:
      - :name: Alan Turing
        :sid: '1912'
        :email: alan@example.edu
      - :name: Grace Hopper
        :sid: '1906'
        :email: grace@example.edu
      :created_at: 2024-03-01 11:00:00.000000000 -08:00
      :status: processed
      :results: !ruby/hash:ActiveSupport::HashWithIndifferentAccess
        score: 0.0
    submission_333:
      :submitters:
      - :name: Ada Lovelace
        :sid: '1815b'
        :email: ada2@example.edu
""")


def test_gradescope_export_maps_submission_ids_to_students(tmp_path, fake_grader):
    export = tmp_path / "assignment_42_export"
    export.mkdir()
    (export / "submission_metadata.yml").write_text(METADATA)
    for sid in ("111", "222", "333", "444"):
        (export / f"submission_{sid}").mkdir()
        shutil.copy(os.path.join(REPO, "reference", "conv.py"), export / f"submission_{sid}" / "conv.py")
    entries = batch.find_submissions(tmp_path)  # the unzipped export's own top folder is found too
    by_id = {e.submission_id: e for e in entries}
    assert set(by_id) == {"111", "222", "333", "444"}
    assert by_id["111"].student == "Ada Lovelace" and by_id["111"].email == "ada@example.edu"
    assert by_id["111"].sid == "1815"
    assert by_id["222"].student == "Alan Turing; Grace Hopper"
    assert by_id["222"].email == "alan@example.edu; grace@example.edu"
    assert by_id["444"].student == "submission_444"  # not in the metadata: the folder's name
    keys = [e.key for e in entries]
    assert len(set(keys)) == 4 and all("/" not in k and " " not in k for k in keys)

    batch.run_batch(export, tmp_path / "out", command=fake_grader, progress=False, report=False)
    rows = read_csv(tmp_path / "out" / "grades.csv")
    assert list(rows[0])[:6] == ["student", "email", "sid", "total", "max", "status"]
    assert sorted((r["student"], r["email"]) for r in rows) == [
        ("Ada Lovelace", "ada2@example.edu"), ("Ada Lovelace", "ada@example.edu"),
        ("Alan Turing; Grace Hopper", "alan@example.edu; grace@example.edu"), ("submission_444", "")]


@pytest.mark.grading
def test_a_disk_filling_neighbour_costs_a_correct_submission_nothing(tmp_path):
    """batch --jobs 2 on a small temporary filesystem: one submission writes 1 GB into its scratch
    folder while a correct one is graded beside it. The scratch folder's disk budget stops the first
    with a message in MB (without the budget it fails on "File too large" or "No space left on
    device" instead, and may take its neighbour down with it); the second keeps every point."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs for the gradings needs root")
    small_tmp = tempfile.mkdtemp(prefix="autograder-test-small-tmp-")  # reachable by the spare uids, unlike tmp_path
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400m,mode=1777", "tmpfs", str(small_tmp)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        submissions = tmp_path / "submissions"
        hog = submissions / "hog"
        shutil.copytree(os.path.join(REPO, "tests", "submissions", "hostile", "disk_hog"), hog)
        shutil.copyfile(os.path.join(REPO, "reference", "calculus.py"), hog / "calculus_base.py")
        (submissions / "fair").mkdir()
        shutil.copyfile(os.path.join(REPO, "reference", "calculus.py"), submissions / "fair" / "calculus.py")
        out = tmp_path / "out"
        done = subprocess.run([sys.executable, "-m", "autograder", "batch", str(submissions), "--out", str(out),
                               "--no-training", "--parts", "calculus", "--jobs", "2", "--no-progress"],
                              cwd=REPO, capture_output=True, text=True, timeout=900,
                              env={**os.environ, "TMPDIR": str(small_tmp)})
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        rows = {row["student"]: row for row in read_csv(out / "grades.csv")}
        assert float(rows["fair"]["max"]) > 0, rows["fair"]
        assert float(rows["fair"]["total"]) == pytest.approx(float(rows["fair"]["max"])), rows["fair"]
        with open(out / "results" / "hog.json") as f:
            hog_results = json.load(f)
        validate(hog_results)
        failed = [t for t in hog_results["tests"] if t["status"] == "failed" and "softmax" in t["tags"]]
        assert any("MB" in t.get("output", "") for t in failed), [t.get("output") for t in failed]
        assert float(rows["hog"]["total"]) < float(rows["hog"]["max"])
        sandboxes_left = [name for name in os.listdir(small_tmp) if name.startswith("autograder-")
                          and name != "autograder-uids"]  # a lock folder, not a grading's files
        assert not sandboxes_left
    finally:
        subprocess.run(["umount", "-l", small_tmp], check=False)
        os.rmdir(small_tmp)
