"""The class report of a batch: one self-contained HTML file (pictures inlined as data URIs).

    python -m autograder report OUT      # rebuild OUT/report.html from OUT/results/

It shows the score histogram, the pass rate of every test (where the class
struggled), the most frequent failure messages, the grading time per
submission, and per student their score, failed tests, the learning curves of
their MLP on Fashion-MNIST and its decision regions on two circles (from what
the graded tests recorded with ``grading.record``).
"""
import base64
import collections
import datetime
import html
import io
import json
import os
import re
import statistics

import numpy as np

from autograder.instructor.entry import Entry
from autograder.results.assemble import test_order

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px auto; max-width: 1150px; color: #222; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { background: #e9ecef; width: 160px; height: 12px; display: inline-block; vertical-align: middle; }
.bar span { background: #4c78a8; height: 12px; display: block; }
.low span { background: #e45756; }
.muted { color: #666; font-size: 13px; } .error { color: #b00020; }
.student { border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; margin: 14px 0; }
.student h3 { margin: 0 0 6px 0; } .pictures img { margin-right: 12px; max-width: 100%; }
pre { white-space: pre-wrap; font-size: 12px; background: #f7f7f7; padding: 6px; margin: 4px 0; }
details summary { cursor: pointer; }
"""

STATUS_SCRIPT = """
<script>
window.addEventListener('load', function () {
  var images = document.images, loaded = 0;
  for (var i = 0; i < images.length; i++) {
    if (images[i].complete && images[i].naturalWidth > 0) { loaded++; }
  }
  var status = document.getElementById('render-status');
  status.setAttribute('data-images', images.length);
  status.setAttribute('data-loaded', loaded);
  status.textContent = 'pictures shown: ' + loaded + ' of ' + images.length;
});
</script>
"""


def _plt():
    import sys
    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def figure_data_uri(fig, dpi=72):
    plt = _plt()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def img(uri, alt, cls=""):
    return f'<img src="{uri}" alt="{html.escape(alt)}"{f" class={cls!r}" if cls else ""}>'


def esc(text):
    return html.escape(str(text))


# --------------------------------------------------------------------------- data

def _is_error(results):
    return any("autograder" in (t.get("tags") or []) for t in results.get("tests", []))


def _graded_tests(results):
    return [t for t in results.get("tests", []) if "autograder" not in (t.get("tags") or [])]


def _max_points(results):
    return sum(t.get("max_score", 0) for t in _graded_tests(results))


def _first_line(text):
    for line in (text or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


_NUMBER = re.compile(r"(?<![\w.])-?(?:\d+\.\d*|\.\d+|\d+(?=e))(?:e[-+]?\d+)?(?![\w.])", re.I)


def normalise_message(line):
    """Replace decimal numbers (which differ from student to student) by '…' so that equal mistakes group."""
    line = _NUMBER.sub("…", line)
    return line if len(line) <= 240 else line[:240] + " …"


def _artifacts(results, key):
    for test in results.get("tests", []):
        value = (test.get("extra_data") or {}).get(key)
        if value:
            return value
    return None


# --------------------------------------------------------------------------- pictures

def score_histogram(scores, maximum):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3))
    top = maximum if maximum > 0 else max(scores + [1])
    bins = np.linspace(0, top, 21)
    ax.hist(np.clip(scores, 0, top), bins=bins, color="#4c78a8", edgecolor="white")
    ax.set_xlabel(f"total score (out of {top:g})")
    ax.set_ylabel("submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Score distribution")
    ax.grid(True, axis="y", alpha=0.3)
    return figure_data_uri(fig)


def pass_rate_chart(rates, count=20):
    plt = _plt()
    hardest = sorted(rates, key=lambda r: (r["rate"], r["order"]))[:count]
    fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(hardest) + 0.8))
    labels = [f"{r['number']} {r['name'][:55]}" for r in hardest]
    values = [100 * r["rate"] for r in hardest]
    ax.barh(range(len(hardest)), values, color=["#e45756" if v < 50 else "#4c78a8" for v in values])
    ax.set_yticks(range(len(hardest)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of submissions passing")
    ax.set_title(f"The {len(hardest)} tests passed least often")
    ax.grid(True, axis="x", alpha=0.3)
    return figure_data_uri(fig)


def time_chart(rows):
    plt = _plt()
    seconds = [r["seconds"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.hist(seconds, bins=min(30, max(5, len(seconds))), color="#72b7b2", edgecolor="white")
    ax.set_xlabel("grading time per submission (s, wall clock)")
    ax.set_ylabel("submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Grading time")
    ax.grid(True, axis="y", alpha=0.3)
    return figure_data_uri(fig)


def learning_curves_picture(history, title):
    from coursedata.plots import plot_learning_curves
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.6))
    plot_learning_curves(history, axes, title=title)
    return figure_data_uri(fig)


def decision_regions_picture(grid, title):
    """Decision regions from a recorded grid: the classes predicted at xs x ys, and the training points."""
    from coursedata.plots import plot_decision_regions
    plt = _plt()
    xs, ys = np.asarray(grid["xs"], dtype=float), np.asarray(grid["ys"], dtype=float)
    classes = np.asarray(grid["classes"]).reshape(len(ys), len(xs))

    def predict(points):  # the recorded prediction of the nearest grid point
        i = np.abs(points[:, 1][:, None] - ys[None, :]).argmin(axis=1)
        j = np.abs(points[:, 0][:, None] - xs[None, :]).argmin(axis=1)
        return classes[i, j]
    fig, ax = plt.subplots(figsize=(2.8, 2.8))
    plot_decision_regions(predict, np.asarray(grid["X"], dtype=float), np.asarray(grid["y"]), ax,
                          resolution=len(xs), title=title)
    return figure_data_uri(fig)


# --------------------------------------------------------------------------- the page

def summarise(rows):
    """Per-student rows and per-test statistics from [(entry, results)]."""
    students, per_test, failures = [], collections.OrderedDict(), collections.Counter()
    examples = {}
    all_tests = sorted({(str(t.get("number")), t.get("name", "")): t for _, r in rows
                        for t in _graded_tests(r)}.values(), key=test_order)
    for order, test in enumerate(all_tests):
        per_test[(str(test.get("number")), test.get("name", ""))] = {
            "number": str(test.get("number")), "name": test.get("name", ""), "passed": 0, "total": 0,
            "points": 0.0, "max": test.get("max_score", 0), "order": order}
    for entry, results in rows:
        batch = results.get("extra_data", {}).get("batch", {})
        error = _is_error(results)
        students.append({"entry": entry, "results": results, "score": float(results.get("score", 0) or 0),
                         "max": _max_points(results), "error": error,
                         "status": batch.get("status", "graded") if not error or batch else "grader error",
                         "seconds": float(batch.get("wall_seconds", results.get("execution_time", 0)) or 0)})
        if error:
            continue
        for test in _graded_tests(results):
            stats = per_test[(str(test.get("number")), test.get("name", ""))]
            stats["total"] += 1
            stats["points"] += test.get("score", 0)
            if test.get("status") == "passed":
                stats["passed"] += 1
            else:
                line = normalise_message(_first_line(test.get("output")))
                key = (stats["number"], stats["name"], line)
                failures[key] += 1
                examples.setdefault(key, _first_line(test.get("output")))
    rates = [dict(s, rate=(s["passed"] / s["total"] if s["total"] else 0.0)) for s in per_test.values()]
    return students, rates, failures


def build_html(rows, title="Autograder report"):
    students, rates, failures = summarise(rows)
    graded = [s for s in students if not s["error"]]
    scores = [s["score"] for s in graded]
    maximum = max([s["max"] for s in graded] + [0])
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = [f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{esc(title)}</h1>",
             f"<p class='muted'>{len(students)} submissions, {len(graded)} graded without a grader error; "
             f"built {now}. <span id='render-status'>pictures not checked (scripts off)</span></p>"]
    if scores:
        parts.append("<p>Total score: mean <b>{:.1f}</b>, median <b>{:.1f}</b>, min {:.1f}, max {:.1f} "
                     "(out of {:g}).</p>".format(statistics.mean(scores), statistics.median(scores),
                                                 min(scores), max(scores), maximum))
    parts.append("<h2 id='histogram'>Score histogram</h2>")
    parts.append(img(score_histogram(scores, maximum), "score histogram", "histogram") if scores
                 else "<p>No graded submission.</p>")

    parts.append("<h2 id='pass-rates'>Pass rate per test</h2>")
    if rates and graded:
        parts.append(img(pass_rate_chart(rates), "pass rate of the hardest tests", "pass-rates"))
        parts.append("<table><tr><th>#</th><th>test</th><th>passed</th><th>pass rate</th><th>mean points</th></tr>")
        for r in sorted(rates, key=lambda r: (r["rate"], r["order"])):
            low = " low" if r["rate"] < 0.5 else ""
            mean = r["points"] / r["total"] if r["total"] else 0
            parts.append(f"<tr><td>{esc(r['number'])}</td><td>{esc(r['name'])}</td>"
                         f"<td class='num'>{r['passed']}/{r['total']}</td>"
                         f"<td><span class='bar{low}'><span style='width:{100 * r['rate']:.0f}%'></span></span> "
                         f"{100 * r['rate']:.0f}%</td><td class='num'>{mean:.2f} / {r['max']:g}</td></tr>")
        parts.append("</table>")

    parts.append("<h2 id='failures'>Most frequent failure messages</h2>")
    parts.append("<p class='muted'>First line of each failed test's message; decimal numbers are shown "
                 "as … so that the same mistake with other values counts once.</p>")
    if failures:
        parts.append("<table><tr><th>count</th><th>test</th><th>message</th></tr>")
        for (number, name, line), count in failures.most_common(30):
            parts.append(f"<tr><td class='num'>{count}</td><td>{esc(number)} {esc(name)}</td>"
                         f"<td>{esc(line)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>No failed test.</p>")

    parts.append("<h2 id='timing'>Grading time per submission</h2>")
    if students:
        parts.append(img(time_chart(students), "grading time histogram", "timing"))
        slowest = sorted(students, key=lambda s: -s["seconds"])[:10]
        parts.append("<table><tr><th>student</th><th>seconds</th><th>status</th></tr>")
        for s in slowest:
            parts.append(f"<tr><td><a href='#s-{esc(s['entry'].key)}'>{esc(s['entry'].student)}</a></td>"
                         f"<td class='num'>{s['seconds']:.1f}</td><td>{esc(s['status'])}</td></tr>")
        parts.append("</table>")

    parts.append("<h2 id='needs-a-look'>Needs a look</h2>")
    parts.append("<p class='muted'>Constants that look shipped rather than written (weights, tables, data) and "
                 "models that look trained elsewhere. Never shown to students and worth no points: a reason "
                 "to read the submission, not a verdict.</p>")
    flagged = [(s, (s["results"].get("extra_data") or {}).get("needs_a_look")) for s in students]
    flagged = [(s, found) for s, found in flagged if isinstance(found, list) and found]
    if flagged:
        parts.append("<table><tr><th>student</th><th>what</th></tr>")
        for s, found in flagged:
            items = "".join(f"<li>{esc(str(item)[:300])}</li>" for item in found[:10])
            parts.append(f"<tr><td><a href='#s-{esc(s['entry'].key)}'>{esc(s['entry'].student)}</a></td>"
                         f"<td><ul>{items}</ul></td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>Nothing.</p>")

    parts.append("<h2 id='students'>Students</h2>")
    parts.append("<table><tr><th>student</th><th>score</th><th>failed tests</th><th>seconds</th>"
                 "<th>status</th></tr>")
    for s in students:
        failed = sum(1 for t in _graded_tests(s["results"]) if t.get("status") != "passed")
        parts.append(f"<tr><td><a href='#s-{esc(s['entry'].key)}'>{esc(s['entry'].student)}</a></td>"
                     f"<td class='num'>{s['score']:g} / {s['max']:g}</td><td class='num'>{failed}</td>"
                     f"<td class='num'>{s['seconds']:.1f}</td><td>{esc(s['status'])}</td></tr>")
    parts.append("</table>")
    for s in students:
        parts.append(student_section(s))
    parts.append(STATUS_SCRIPT + "</body></html>")
    return "\n".join(parts)


def student_section(s):
    entry, results = s["entry"], s["results"]
    out = [f"<div class='student' id='s-{esc(entry.key)}'><h3>{esc(entry.student)}</h3>"]
    who = ", ".join(x for x in (entry.email, entry.sid and f"sid {entry.sid}",
                                entry.submission_id and f"submission {entry.submission_id}") if x)
    out.append(f"<div class='muted'>{esc(who) + '; ' if who else ''}score {s['score']:g} / {s['max']:g}; "
               f"graded in {s['seconds']:.1f} s</div>")
    if s["error"]:
        out.append(f"<p class='error'>{esc(_first_line(results.get('output')))} "
                   f"({esc(_first_line(results['tests'][0].get('output')))})</p></div>")
        return "\n".join(out)
    pictures = []
    history = _artifacts(results, "history")
    if isinstance(history, dict):
        try:
            pictures.append(img(learning_curves_picture(history, "MLP on Fashion-MNIST"),
                                f"learning curves of {entry.student}", "learning-curves"))
        except Exception as err:  # a malformed recording must not stop the report
            pictures.append(f"<span class='muted'>(learning curves not drawn: {esc(err)})</span>")
    grid = _artifacts(results, "decision_grid")
    if isinstance(grid, dict):
        try:
            pictures.append(img(decision_regions_picture(grid, "MLP on two circles"),
                                f"decision regions of {entry.student}", "decision-regions"))
        except Exception as err:
            pictures.append(f"<span class='muted'>(decision regions not drawn: {esc(err)})</span>")
    if pictures:
        out.append("<div class='pictures'>" + "".join(pictures) + "</div>")
    failed = [t for t in _graded_tests(results) if t.get("status") != "passed"]
    if failed:
        out.append(f"<details><summary>{len(failed)} failed test(s)</summary><table>"
                   "<tr><th>#</th><th>test</th><th>points</th><th>message</th></tr>")
        for t in failed:
            out.append(f"<tr><td>{esc(t.get('number'))}</td><td>{esc(t.get('name'))}</td>"
                       f"<td class='num'>{t.get('score', 0):g}/{t.get('max_score', 0):g}</td>"
                       f"<td><pre>{esc((t.get('output') or '')[:1500])}</pre></td></tr>")
        out.append("</table></details>")
    else:
        out.append("<p>Every test passed.</p>")
    out.append("</div>")
    return "\n".join(out)


def write_report(out_dir, rows=None, title=None):
    """Write ``out_dir/report.html`` from ``rows`` [(Entry, results)] or from ``out_dir/results``."""
    if rows is None:
        rows = rows_from_results(out_dir)
    path = os.path.join(out_dir, "report.html")
    text = build_html(rows, title or f"Autograder report: {os.path.basename(os.path.abspath(out_dir))}")
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, path)
    return path


def rows_from_results(out_dir):
    rows = []
    folder = os.path.join(out_dir, "results")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(folder, name)) as f:
                results = json.load(f)
        except (OSError, ValueError):
            continue
        batch = results.get("extra_data", {}).get("batch", {})
        rows.append((Entry(name[:-5], batch.get("student") or name[:-5], batch.get("submission", ""),
                           batch.get("email", ""), batch.get("sid", ""), batch.get("submission_id", "")),
                     results))
    return rows
