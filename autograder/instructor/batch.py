"""Grade a whole class: every submission under a folder, N at a time, resumable.

    python -m autograder batch SUBMISSIONS --out OUT [--jobs N] [--force] [--no-training]

``SUBMISSIONS`` holds one folder or zip per student (its name is the student's),
or is Gradescope's "Export Submissions" folder: ``submission_metadata.yml`` and
one ``submission_<id>/`` folder per submission (names and emails come from the
yml). Each submission is graded by its own ``python -m autograder grade``
process, so a batch isolates students exactly as a single grading does; a
grader process that dies or outlives ``--timeout`` still leaves a valid
results file (an "Autograder error" entry) and never stops the batch; the
next run tries such a submission again.

Writes ``OUT/results/<student>.json`` (Gradescope's format, plus
``extra_data.batch``), ``OUT/logs/<student>.txt`` (the grader's table and
log), ``OUT/grades.csv`` and ``OUT/report.html``. A second run skips every
submission graded before with the same options from the same files, unless
``--force``; Ctrl-C keeps what is graded and records nothing for the rest.
"""
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed

from autograder.instructor.entry import Entry
from autograder.results.assemble import internal_error_results, test_order
from autograder.results.write import write_results
from autograder.sandbox import processes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
METADATA = "submission_metadata.yml"
DEFAULT_TIMEOUT = 900  # seconds of wall clock for one grading (its own budget is 540 s of tests)
_SKIPPED_NAMES = {"__MACOSX", "__pycache__", ".git"}


# --------------------------------------------------------------------------- finding submissions

def slug(text):
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text.strip()).strip("._")
    return text[:80] or "student"


def find_submissions(folder):
    """The submissions under ``folder``, sorted by key; Gradescope's export layout is recognised."""
    folder = os.path.abspath(folder)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder} is not a folder")
    export = _export_folder(folder)
    entries = _from_export(export) if export else _from_folder(folder)
    return _unique(entries)


def _export_folder(folder):
    if os.path.isfile(os.path.join(folder, METADATA)):
        return folder
    children = [e.path for e in os.scandir(folder) if e.is_dir() and not e.name.startswith(".")]
    if len(children) == 1 and os.path.isfile(os.path.join(children[0], METADATA)):
        return children[0]  # the export's own top folder, as unzipped
    return None


def _from_folder(folder):
    entries = []
    for item in sorted(os.scandir(folder), key=lambda e: e.name):
        if item.name.startswith(".") or item.name in _SKIPPED_NAMES:
            continue
        if item.is_dir():
            entries.append(Entry(slug(item.name), item.name, item.path))
        elif item.is_file() and zipfile.is_zipfile(item.path):
            stem = os.path.splitext(item.name)[0]
            entries.append(Entry(slug(stem), stem, item.path))
    return entries


def load_metadata(path):
    """Gradescope's submission_metadata.yml as plain dicts (unknown Ruby tags read as plain data)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def plain(loader, suffix, node):
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)
    Loader.add_multi_constructor("!", plain)
    with open(path, encoding="utf-8") as f:
        data = yaml.load(f, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    return data if isinstance(data, dict) else {}


def _field(record, name):
    if not isinstance(record, dict):
        return None
    return record.get(f":{name}", record.get(name))


def _from_export(folder):
    metadata = load_metadata(os.path.join(folder, METADATA))
    entries = []
    for item in sorted(os.scandir(folder), key=lambda e: e.name):
        if not item.is_dir() or item.name.startswith(".") or item.name in _SKIPPED_NAMES:
            continue
        submitters = _field(metadata.get(item.name), "submitters") or []
        names = [str(_field(s, "name") or "").strip() for s in submitters]
        emails = [str(_field(s, "email") or "").strip() for s in submitters]
        sids = [str(_field(s, "sid") or "").strip() for s in submitters]
        student = "; ".join(n for n in names if n) or item.name
        submission_id = item.name.split("submission_", 1)[-1]
        entries.append(Entry(slug(student), student, item.path, "; ".join(e for e in emails if e),
                             "; ".join(s for s in sids if s), submission_id))
    return entries


def _unique(entries):
    entries = sorted(entries, key=lambda e: (e.key.lower(), e.path))
    seen = {}
    for entry in entries:
        if entry.key in seen:
            suffix = entry.submission_id or str(seen[entry.key] + 1)
            seen[entry.key] += 1
            entry.key = f"{entry.key}_{slug(suffix)}"
        seen.setdefault(entry.key, 1)
    return entries


def fingerprint(path):
    """A hash of the submission's files, so that a changed submission is graded again."""
    digest = hashlib.sha1()
    if os.path.isfile(path):
        paths = [path]
    else:
        paths = sorted(os.path.join(root, name) for root, dirs, names in os.walk(path) for name in names)
    for file in paths[:500]:
        digest.update(os.path.relpath(file, path).encode(errors="replace"))
        try:
            with open(file, "rb") as f:
                digest.update(f.read(8 << 20))
        except OSError:
            pass
    return digest.hexdigest()


# --------------------------------------------------------------------------- grading one

def _kill_tree(process):
    """Kill a grader process and everything it started (sandbox workers run in their own sessions)."""
    processes.kill_tree(process.pid)


class Runner:
    """Runs grader processes and can stop all of them at once."""

    def __init__(self, command, timeout):
        self.command = command
        self.timeout = timeout
        self.active = set()
        self.lock = threading.Lock()
        self.stopping = False

    def grade(self, entry, options, out_dir):
        """Grade one entry; returns its results (always valid) and writes results/ and logs/."""
        partial = os.path.join(out_dir, ".partial", f"{entry.key}.json")
        if os.path.lexists(partial):
            os.unlink(partial)
        command = list(self.command) + [entry.path, "--results", partial] + options["argv"]
        started = time.monotonic()
        status, log = "graded", ""
        process = None
        try:
            with self.lock:
                if self.stopping:
                    raise KeyboardInterrupt
                process = subprocess.Popen(command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, start_new_session=True)
                self.active.add(process)
            try:
                output, _ = process.communicate(timeout=self.timeout)
                log = output.decode(errors="replace")
            except subprocess.TimeoutExpired:
                _kill_tree(process)
                output, _ = process.communicate()
                log = output.decode(errors="replace")
                status = "timeout"
        finally:
            if process is not None:
                with self.lock:
                    self.active.discard(process)
        seconds = time.monotonic() - started
        if self.stopping:  # interrupted (Ctrl-C): record nothing, so that a re-run grades it
            if os.path.lexists(partial):
                os.unlink(partial)
            return None
        results = None
        if status == "graded":
            try:
                with open(partial) as f:
                    results = json.load(f)
                if not isinstance(results, dict) or not isinstance(results.get("tests"), list):
                    raise ValueError("not a results object")
            except (OSError, ValueError) as err:
                status = "crashed"
                log += f"\n[batch] the grader exited with code {process.returncode} and left no valid results ({err})"
        if status == "timeout":
            results = internal_error_results(f"grading took longer than {self.timeout:g} s and was stopped", seconds)
            log += f"\n[batch] stopped after {self.timeout:g} s of wall time"
        elif status == "crashed":
            results = internal_error_results(f"the grading process died (exit code {process.returncode})", seconds)
        results.setdefault("extra_data", {})["batch"] = {
            "student": entry.student, "email": entry.email, "sid": entry.sid,
            "submission_id": entry.submission_id, "submission": entry.path,
            "fingerprint": options["fingerprint"](entry), "status": status,
            "wall_seconds": round(seconds, 2), "training": options["training"], "parts": options["parts"],
        }
        write_results(results, os.path.join(out_dir, "results", f"{entry.key}.json"))
        with open(os.path.join(out_dir, "logs", f"{entry.key}.txt"), "w", encoding="utf-8") as f:
            f.write(log)
        if os.path.lexists(partial):
            os.unlink(partial)
        return results

    def stop(self):
        with self.lock:
            self.stopping = True
            for process in list(self.active):
                _kill_tree(process)


# --------------------------------------------------------------------------- the batch

def load_results(out_dir, key):
    try:
        with open(os.path.join(out_dir, "results", f"{key}.json")) as f:
            results = json.load(f)
        return results if isinstance(results, dict) else None
    except (OSError, ValueError):
        return None


def already_graded(results, entry, options):
    """Graded before with the same options from the same files (a grader crash or timeout is retried)."""
    batch = (results or {}).get("extra_data", {}).get("batch")
    return bool(batch) and batch.get("status") == "graded" and batch.get("training") == options["training"] \
        and batch.get("parts") == options["parts"] and batch.get("fingerprint") == options["fingerprint"](entry)


def run_batch(folder, out_dir, *, jobs=None, force=False, training=True, parts=None, seed=None,
              timeout=DEFAULT_TIMEOUT, command=None, progress=True, report=True, stream=sys.stdout):
    """Grade every submission under ``folder`` into ``out_dir``; returns a summary dict.

    ``command`` replaces ``python -m autograder grade`` (tests use it to simulate a crash).
    """
    out_dir = os.path.abspath(out_dir)
    entries = find_submissions(folder)
    for sub in ("results", "logs", ".partial"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    argv = ([] if training else ["--no-training"]) + (["--parts", ",".join(parts)] if parts else []) \
        + (["--seed", str(seed)] if seed is not None else [])
    prints = {}

    def cached_fingerprint(entry):
        if entry.key not in prints:
            prints[entry.key] = fingerprint(entry.path)
        return prints[entry.key]
    options = {"argv": argv, "training": bool(training), "parts": list(parts) if parts else None,
               "fingerprint": cached_fingerprint}
    todo = [e for e in entries if force or not already_graded(load_results(out_dir, e.key), e, options)]
    skipped = len(entries) - len(todo)
    print(f"{len(entries)} submissions in {folder}: {len(todo)} to grade, {skipped} already graded"
          + (" (use --force to regrade)" if skipped else "") + f"; {jobs} at a time"
          + ("" if training else "; without the Fashion-MNIST training tests (--no-training)") + ".",
          file=stream, flush=True)
    runner = Runner(command or [sys.executable, "-m", "autograder", "grade"], timeout)
    problems = []
    started = time.monotonic()
    if todo:
        from tqdm import tqdm
        bar = tqdm(total=len(todo), unit="sub", desc="grading", disable=not progress, dynamic_ncols=True,
                   file=sys.stderr)
        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            futures = {pool.submit(runner.grade, entry, options, out_dir): entry for entry in todo}
            for future in as_completed(futures):
                entry = futures[future]
                results = future.result()
                if results is None:
                    continue
                status = results["extra_data"]["batch"]["status"]
                if status != "graded":
                    problems.append(f"{entry.student}: {status}")
                bar.set_postfix_str(f"{entry.key[:20]} {results.get('score', 0):g}", refresh=False)
                bar.update(1)
        except KeyboardInterrupt:
            runner.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            bar.close()
            print("\nInterrupted: the submissions graded so far are kept; run the same command to resume.",
                  file=stream)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            bar.close()
    elapsed = time.monotonic() - started
    rows = [(entry, load_results(out_dir, entry.key)) for entry in entries]
    rows = [(entry, results) for entry, results in rows if results is not None]
    csv_path = write_grades_csv(os.path.join(out_dir, "grades.csv"), rows)
    summary = {"submissions": len(entries), "graded": len(todo), "skipped": skipped, "problems": problems,
               "seconds": round(elapsed, 2), "csv": csv_path, "jobs": jobs}
    if report:
        from autograder.instructor.report import write_report
        summary["report"] = write_report(out_dir, rows)
    print(f"Graded {len(todo)} in {elapsed:.0f} s ({jobs} at a time). Grades: {csv_path}"
          + (f"; report: {summary['report']}" if report else ""), file=stream)
    for problem in problems:
        print(f"  grader problem: {problem} (see {os.path.join(out_dir, 'logs')})", file=stream)
    return summary


# --------------------------------------------------------------------------- grades.csv

def test_columns(all_results):
    """(column name, number, name) per test, in grading order, over every results file."""
    tests = {}
    for results in all_results:
        for test in results.get("tests", []):
            if "autograder" in (test.get("tags") or []):
                continue
            key = (str(test.get("number")), test.get("name", ""))
            tests.setdefault(key, test)
    ordered = sorted(tests.values(), key=test_order)
    return [(f"{t.get('number')} {t.get('name', '')}", str(t.get("number")), t.get("name", "")) for t in ordered]


def needs_a_look(results, limit=5):
    """The instructor's list from results.json (load/payloads.py, judge/fashion.py) as one cell."""
    found = (results.get("extra_data") or {}).get("needs_a_look") or []
    if not isinstance(found, list):
        return ""
    text = "; ".join(str(item)[:200] for item in found[:limit])
    return text + (f"; and {len(found) - limit} more" if len(found) > limit else "")


def write_grades_csv(path, rows):
    all_results = [results for _, results in rows]
    columns = test_columns(all_results)
    with_email = any(entry.email or entry.sid for entry, _ in rows)
    header = ["student"] + (["email", "sid"] if with_email else []) + ["total", "max", "status", "needs a look"] \
        + [c[0] for c in columns]
    temporary = path + ".tmp"
    with open(temporary, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for entry, results in rows:
            scores = {(str(t.get("number")), t.get("name", "")): t.get("score", 0) for t in results.get("tests", [])}
            maximum = sum(t.get("max_score", 0) for t in results.get("tests", []))
            status = results.get("extra_data", {}).get("batch", {}).get("status", "graded")
            row = [entry.student] + ([entry.email, entry.sid] if with_email else []) \
                + [f"{results.get('score', 0):g}", f"{maximum:g}", status, needs_a_look(results)]
            row += [(f"{scores[c[1], c[2]]:g}" if (c[1], c[2]) in scores else "") for c in columns]
            writer.writerow(row)
    os.replace(temporary, path)
    return path
