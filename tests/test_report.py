"""The class report: one self-contained HTML file that renders in a browser with every picture."""
import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from autograder.instructor.entry import Entry
from autograder.instructor.report import normalise_message, write_report

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_entry(number, name, passed, output="", weight=1.0, extra=None):
    entry = {"name": name, "number": number, "max_score": weight, "score": weight if passed else 0.0,
             "status": "passed" if passed else "failed", "tags": ["mlp", "train_mlp"]}
    if output:
        entry["output"] = output
    if extra:
        entry["extra_data"] = extra
    return entry


test_entry.__test__ = False  # a helper, not a test


def decision_grid(flip=False):
    rng = np.random.default_rng(0)
    angle = rng.uniform(0, 2 * np.pi, 80)
    y = np.arange(80) % 2
    X = np.stack([np.cos(angle), np.sin(angle)], 1) * np.where(y == 0, 1.0, 0.5)[:, None]
    xs, ys = np.linspace(-1.5, 1.5, 40), np.linspace(-1.5, 1.5, 40)
    inner = (xs[None, :] ** 2 + ys[:, None] ** 2) < 0.75 ** 2
    classes = (inner != flip).astype(int)
    return {"xs": xs.tolist(), "ys": ys.tolist(), "classes": classes.tolist(), "X": X.tolist(), "y": y.tolist()}


def make_rows():
    """Three graded students (one with a name that is HTML) and one grader error."""
    history = {"train_loss": [1.2, 0.8, 0.6, 0.5], "train_error": [0.4, 0.25, 0.2, 0.18],
               "valid_loss": [1.3, 0.9, 0.7, 0.65], "valid_error": [0.42, 0.3, 0.24, 0.22]}
    rows = []
    for i, (student, passed, seconds) in enumerate([("Ada", True, 41.0), ("<b>Eve</b> & co", False, 63.5),
                                                    ("Bob", False, 12.25)]):
        tests = [test_entry("3.1", "init_params: shapes", True),
                 test_entry("3.6", "bprop: gradients", passed,
                            "" if passed else f"bprop(params, X, y)['W1'] is wrong: got {0.5 + i}, expected 0.25\n"
                                              "detail line"),
                 test_entry("3.13", "train_mlp: learns the two-circles problem", passed,
                            "" if passed else "train_mlp: accuracy too low",
                            extra={"decision_grid": decision_grid(flip=not passed)}),
                 test_entry("3.16", "train_mlp on Fashion-MNIST", passed, "" if passed else "<script>x</script>",
                            weight=4.0, extra={"history": history})]
        results = {"score": sum(t["score"] for t in tests), "execution_time": seconds, "tests": tests,
                   "extra_data": {"batch": {"student": student, "status": "graded", "wall_seconds": seconds},
                                  "needs_a_look": ["weights.py, line 3: 41,868 characters of encoded-looking "
                                                   "text <in> 1 string(s)"] if student == "Bob" else []}}
        rows.append((Entry(f"s{i}", student, f"/tmp/{i}"), results))
    error = {"score": 0, "output": "The autograder could not grade this submission (grading took longer).",
             "tests": [{"name": "Autograder error", "number": "0", "score": 0, "max_score": 0,
                        "status": "failed", "tags": ["autograder"], "output": "The autograder failed: timeout."}],
             "extra_data": {"batch": {"status": "timeout", "wall_seconds": 900.0}}}
    rows.append((Entry("s3", "Dan", "/tmp/3"), error))
    return rows


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    path = write_report(str(out), make_rows(), title="HW report")
    with open(path, encoding="utf-8") as f:
        return path, f.read()


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_report_is_one_self_contained_file(report):
    _, text = report
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", text)
    assert sources, "no picture or link at all"
    for source in sources:
        assert source.startswith("data:image/png;base64,") or source.startswith("#"), source[:80]
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), "an external address"
    assert "<link" not in text and "@import" not in text and "url(" not in text
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"', text)
    # histogram, pass rates, timing, and 2 pictures for each of the 3 graded students
    assert len(images) == 3 + 2 * 3
    for data, alt in images:
        width, height = png_size(base64.b64decode(data))
        assert width > 100 and height > 100, alt


def test_the_report_holds_the_class_statistics_and_each_student(report):
    _, text = report
    for heading in ("Score histogram", "Pass rate per test", "Most frequent failure messages",
                    "Grading time per submission"):
        assert heading in text
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; co" in text and "<b>Eve</b>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text and "<script>x</script>" not in text
    # the two bprop messages differ only in a number: one line, counted twice
    row = re.search(r"<td class='num'>(\d+)</td><td>3\.6 bprop: gradients</td><td>([^<]*)</td>", text)
    assert row and row.group(1) == "2" and "got …, expected …" in row.group(2)
    assert "1/3" in text  # bprop passed by 1 of the 3 graded submissions
    assert "The autograder could not grade this submission" in text and "timeout" in text
    for key in ("s0", "s1", "s2", "s3"):
        assert f"id='s-{key}'" in text
    flagged = text.split("<h2 id='needs-a-look'>", 1)[1].split("<h2", 1)[0]
    assert "Bob" in flagged and "encoded-looking text &lt;in&gt; 1 string(s)" in flagged
    assert "Ada" not in flagged and "Eve" not in flagged


def test_numbers_that_vary_between_students_are_grouped():
    assert normalise_message("f(x) got 0.731, expected 5e-07 at index (3, 1)") == \
        "f(x) got …, expected … at index (3, 1)"
    assert normalise_message("shape (4, 3) instead of (3, 4)") == "shape (4, 3) instead of (3, 4)"


def png_pixels(path):
    from PIL import Image  # installed with matplotlib
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int32)


def chromium(*args, profile):
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (bash setup.sh --dev installs it)")
def test_the_report_renders_in_chromium_with_every_picture_loaded(report, tmp_path):
    path, _ = report
    url = "file://" + os.path.abspath(path)
    done = chromium("--virtual-time-budget=10000", "--dump-dom", url, profile=tmp_path / "profile-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    status = re.search(r'<span id="render-status" data-images="(\d+)" data-loaded="(\d+)">', done.stdout)
    assert status, "the page's own check did not run: " + done.stdout[:500]
    assert int(status.group(1)) == 9 and status.group(2) == status.group(1)
    assert "Score histogram" in done.stdout and "Dan" in done.stdout

    screenshot = tmp_path / "report.png"
    done = chromium(f"--screenshot={screenshot}", "--window-size=1280,2000", "--hide-scrollbars", url,
                    profile=tmp_path / "profile-shot")
    assert done.returncode == 0 and screenshot.exists(), done.stderr[-2000:]
    pixels = png_pixels(screenshot)
    assert pixels.shape[:2] == (2000, 1280)
    # The histogram's bars (#4c78a8) are on screen, and the page is not blank.
    blue = np.all(np.abs(pixels - np.array([0x4C, 0x78, 0xA8])) < 12, axis=-1)
    assert blue.sum() > 500
    assert (pixels.std(axis=(0, 1)) > 10).all()
    print(f"screenshot: {screenshot}")


def test_report_command_rebuilds_from_a_results_folder(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    for entry, data in make_rows():
        data["extra_data"]["batch"].setdefault("student", entry.student)
        (results / f"{entry.key}.json").write_text(json.dumps(data))
    done = subprocess.run([sys.executable, "-m", "autograder", "report", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    text = (tmp_path / "report.html").read_text()
    assert "&lt;b&gt;Eve&lt;/b&gt;" in text and text.count("class='student'") == 4
