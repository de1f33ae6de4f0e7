"""The project's own end-to-end corpus: the grader judged on submissions it has never seen.

Three groups of submissions are graded exactly as a student's would be
(``python -m autograder grade DIR --results FILE``), in parallel, once per run:

- correct variants written independently from the contract in three styles
  (tests/submissions/variants/): every test must pass;
- one-bug mutants of the reference (tests/mutants.py): each must lose points in
  a test tagged with the function it breaks, while a fair share of its module's
  other tests still pass;
- hostile or broken submissions (tests/submissions/hostile/): the grading must
  finish and write a valid results.json, score no more than the same
  submission without the trick (0 when there is nothing but the trick), say
  clearly what happened, leave no process of the student's behind, and leave
  the grader's own files unchanged.

Only one grading trains on Fashion-MNIST (marked slow); the others use
--no-training and --parts. CORPUS_JOBS sets how many gradings run at once.
"""
import concurrent.futures
import glob
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from dataclasses import dataclass, field

import pytest

from autograder.sandbox import processes
from autograder.sandbox.sandbox import UID_LOCK_DIRS, _try_lock
from tests import mutants as mutant_table
from tests.helpers_results import lost_points, of_module, summary, tagged_with, validate

# The whole corpus is graded in the first test's setup: give it room on a busy machine.
pytestmark = pytest.mark.timeout(1800)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBMISSIONS = os.path.join(REPO, "tests", "submissions")
VARIANTS = os.path.join(SUBMISSIONS, "variants")
HOSTILE = os.path.join(SUBMISSIONS, "hostile")
MODULES = mutant_table.MODULES
JOBS = int(os.environ.get("CORPUS_JOBS", "3"))
SPARE_UIDS = range(61000, 61500)
GRADER_DIRS = ("autograder", "reference", "tests")
TRAINING_TEST = "test_variant_gets_full_marks_with_training"
TRAINING_VARIANT = "zipped"
MAX_GRADER_MEMORY_MB = 200   # the grader's own process; the student's has the rest of 768 MB
BASE_VARIANT = "vectorised"   # the correct functions that hostile files build on


# ----------------------------------------------------------------------------- variants

VARIANT_STYLES = {
    "loops": "plain Python loops over entries and examples, lists for histories",
    "vectorised": "other stable formulas (tanh sigmoid, logaddexp.reduce, lstsq ridge), einsum, arrays",
    "zipped": "a zip with one nested folder, files importing each other and a helper module",
    "logprob_adam": "vectorised, with models returning log-probabilities and torch.optim.Adam as an option",
}


def build_zipped_variant(destination):
    """tests/submissions/variants/zipped/<folder>/ packed as students' zip tools do, with some junk."""
    (folder,) = [d for d in os.listdir(os.path.join(VARIANTS, "zipped")) if not d.startswith(".")]
    source = os.path.join(VARIANTS, "zipped", folder)
    path = os.path.join(destination, "submission.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/", "")
        for name in sorted(os.listdir(source)):
            if name.endswith(".py"):
                archive.write(os.path.join(source, name), f"{folder}/{name}")
        archive.writestr(f"__MACOSX/{folder}/._calculus.py", b"\x00\x05\x16\x07 resource fork")
        archive.writestr(f"{folder}/.DS_Store", b"\x00\x00\x00\x01Bud1")
        archive.writestr(f"{folder}/README.txt", "Jane Doe, homework 3\n")
    return path


def build_logprob_adam_variant(destination):
    """variants/vectorised with torch_models.py from variants/logprob_adam."""
    folder = os.path.join(destination, "logprob_adam")
    shutil.copytree(os.path.join(VARIANTS, BASE_VARIANT), folder)
    shutil.copy(os.path.join(VARIANTS, "logprob_adam", "torch_models.py"), folder)
    return folder


def variant_path(style, workdir):
    if style == "zipped":
        return build_zipped_variant(workdir)
    if style == "logprob_adam":
        return build_logprob_adam_variant(workdir)
    return os.path.join(VARIANTS, style)


# ----------------------------------------------------------------------------- mutants

def mutant_bundles():
    """Mutants grouped so that one grading checks several, at most one per module, without interference.

    linear_models.py and mlp.py import calculus.py, so a calculus mutant is
    never graded together with those two modules; conv.py and torch_models.py
    depend on nothing and join any bundle.
    """
    by_module = {m: [x for x in mutant_table.MUTANTS if x.module == m] for m in MODULES}
    bundles = [[c] for c in by_module["calculus"]]
    bundles += [[m for m in pair if m is not None]
                for pair in itertools.zip_longest(by_module["linear_models"], by_module["mlp"])]
    for module in ("conv", "torch_models"):
        for i, mutant in enumerate(by_module[module]):
            if i < len(bundles):
                bundles[i].append(mutant)
            else:
                bundles.append([mutant])
    return bundles


# ----------------------------------------------------------------------------- hostile cases

@dataclass(frozen=True)
class Hostile:
    name: str
    why: str
    parts: tuple = ("calculus",)
    base: bool = False        # correct functions copied in as <module>_base.py: only `affected` may lose points
    affected: tuple = ()      # functions whose tests must lose points (base cases)
    affected_tests: tuple = ()   # or test numbers that must lose points (when a function has other tests)
    message: str = ""         # regex that the message of every test that lost points must match
    needs_isolation: bool = False   # only meaningful (or only safe) with the spare-uid sandbox (root)
    timeout: float = 240.0
    comm: str = ""            # name the case's own child processes give themselves
    min_other_share: float = 0.8    # base cases: share of the other tests that must still pass
    may_score: tuple = ()     # trick-only cases: names whose tests may score (values that are well-formed)
    training: bool = False    # graded with the Fashion-MNIST training tests (what the trick targets)


HOSTILE_CASES = [
    Hostile("import_infinite_loop", "module-level infinite loop", message=r"did not finish|time",
            timeout=200.0),
    Hostile("function_infinite_loop", "sigmoid spins forever", base=True, affected=("sigmoid",),
            message=r"did not finish|ran out of time"),
    Hostile("segfault_function", "softmax dereferences NULL via ctypes", base=True, affected=("softmax",),
            message=r"SIGSEGV"),
    Hostile("segfault_import", "NULL dereference while importing", message=r"SIGSEGV"),
    Hostile("memory_hog", "softmax allocates without end", base=True, affected=("softmax",),
            message=r"memory|MemoryError"),
    Hostile("memory_hog_children", "log_softmax forks 4 children holding 200 MB each", base=True,
            affected=("log_softmax",), message=r"memory|did not finish", comm="ag-hostile-mem"),
    Hostile("os_exit_import", "os._exit(0) while importing", message=r"exit status 0"),
    Hostile("os_exit_function", "softmax calls os._exit(3)", base=True, affected=("softmax",),
            message=r"exit status 3"),
    Hostile("sys_exit_import", "sys.exit while importing", message=r"SystemExit"),
    Hostile("sys_exit_function", "softmax calls sys.exit(0)", base=True, affected=("softmax",),
            message=r"SystemExit"),
    Hostile("print_flood", "20 MB printed at import and 100 MB in softmax", base=True, affected=()),
    Hostile("numpy_monkeypatch", "wrong answers, np.allclose/np.testing patched to agree"),
    Hostile("builtins_and_pytest_patch", "wrong answers, pytest/builtins/gradescope_utils patched"),
    Hostile("read_reference", "searches the file system for the reference and the test labels",
            message=r"HOSTILE-SEARCH: no reference found .*test labels readable: none",
            needs_isolation=True),
    Hostile("read_other_submission", "copies another submission graded at the same time",
            message=r"HOSTILE-NEIGHBOUR|not correct|could not be imported", needs_isolation=True),
    Hostile("frame_inspection", "looks for expected values with sys._getframe, inspect.stack, gc"),
    Hostile("results_writer", "writes forged results.json files everywhere it can", needs_isolation=True),
    Hostile("background_daemon", "a detached daemon that later forges the results", base=True, affected=(),
            needs_isolation=True, comm="ag-hostile-dmn"),
    Hostile("fork_bomb", "softmax forks until it cannot (bounded at 200)", base=True, affected=(),
            needs_isolation=True, comm="ag-hostile-frk"),
    Hostile("disk_hog", "softmax writes a 100 MB file, log_softmax 20 files of 50 MB", base=True,
            affected=("softmax",), message=r"too large"),
    Hostile("syntax_error", "a syntax error on line 7", message=r"calculus\.py, line 7"),
    Hostile("import_missing_package", "imports sklearn", parts=("linear_models",),
            message=r"No module named 'sklearn'"),
    Hostile("huge_arrays", "returns 320 MB, 240 MB, 10 MB arrays, a 5-million list, 10,000-deep nesting",
            base=True, affected=("sigmoid", "softmax", "relu", "tanh_prime", "sign")),
    Hostile("lying_objects", "returns objects whose == and __array__ lie, nan, inf, object arrays"),
    Hostile("zip_traversal", "a zip with ../ and absolute paths and symlinks to the reference",
            parts=("calculus", "linear_models", "conv"), message=r"not found in your submission"),
    Hostile("symlink_dir", "a folder whose calculus.py and solutions/ link to the reference",
            message=r"not found in your submission"),
    Hostile("plausible_garbage", "constants of the right shapes in all five files", parts=MODULES,
            may_score=("HYPERPARAMS", "TORCH_HYPERPARAMS")),
    Hostile("kill_grader", "SIGKILLs its parent, its process group and everything it may signal",
            needs_isolation=True),
    Hostile("protocol_garbage", "writes garbage frames into the grader's pipes"),
    Hostile("huge_frame", "forges a 64 MiB nested-JSON frame and a 40 MiB-header frame on the answer pipe",
            base=True, affected=("sigmoid", "softmax"), message=r"does not accept"),
    Hostile("surrogate_message", "exception messages and output with lone surrogates and terminal escapes",
            base=True, affected=("sigmoid", "softmax"), message=r"ValueError"),
    Hostile("huge_losses", "train_torch returns two million losses with nan, inf and -inf, without training",
            parts=("torch_models",), training=True, timeout=400.0, may_score=("TORCH_HYPERPARAMS",)),
    Hostile("oversized_convnet", "a ConvNetDropout whose activations need gigabytes (256 channels, batches "
            "of 500)", parts=("torch_models",), base=True, affected_tests=("5.10",), training=True,
            timeout=400.0, message=r"(?s)memory.*has [\d,]+ parameters.*batch_size = 500"),
    Hostile("odd_history", "train_mlp returns a history with a function, an object, a generator, nan, inf "
            "and two million values", parts=("mlp",), training=True, timeout=400.0, may_score=("HYPERPARAMS",)),
]
HOSTILE_BY_NAME = {c.name: c for c in HOSTILE_CASES}

DECOY_TEMPLATE = '''
# corpus decoy {token}: a correct calculus.py whose import is slow, so that its sandbox
# exists while read_other_submission is graded.
import time as _time
if __name__ == "calculus":
    _time.sleep(25)
'''


def build_hostile(case, workdir):
    """The submission folder (or zip) of a hostile case."""
    if case.name == "zip_traversal":
        return build_traversal_zip(workdir)
    if case.name == "symlink_dir":
        return os.path.join(HOSTILE, "symlink_dir")
    target = os.path.join(workdir, case.name)
    shutil.copytree(os.path.join(HOSTILE, case.name), target, symlinks=True)
    if case.base:
        for module in case.parts:
            shutil.copyfile(os.path.join(VARIANTS, BASE_VARIANT, f"{module}.py"),
                            os.path.join(target, f"{module}_base.py"))
    return target


TRAVERSAL_TOKEN = uuid.uuid4().hex[:10]


def build_traversal_zip(workdir):
    path = os.path.join(workdir, "traversal.zip")
    token = TRAVERSAL_TOKEN
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(os.path.join(VARIANTS, BASE_VARIANT, "conv.py"), "hw3/conv.py")
        for name in (f"../../evil_corpus_{token}.py", f"hw3/../../../evil_corpus_{token}.py",
                     f"/tmp/evil_corpus_{token}.py", f"..\\..\\evil_corpus_{token}.py"):
            info = zipfile.ZipInfo(name)
            archive.writestr(info, "raise SystemExit('escaped the unzip folder')\n")
        for name, link in (("hw3/calculus.py", os.path.join(REPO, "reference", "calculus.py")),
                           ("hw3/linear_models.py", "../../../reference/linear_models.py")):
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (0o120777 << 16)  # a symbolic link
            archive.writestr(info, link)
    return path


def traversal_leftovers(extra_dirs):
    token = TRAVERSAL_TOKEN
    places = {"/", "/tmp", "/work", REPO, os.path.dirname(REPO), *extra_dirs}
    found = []
    for place in places:
        for depth in ("", "*", "*/*"):
            found += glob.glob(os.path.join(place, depth, f"*evil_corpus_{token}*"))
    return sorted(set(found))


# ----------------------------------------------------------------------------- processes

def _kill_tree(pid):
    """SIGKILL a process we started and all its descendants (used only when a grading overruns)."""
    processes.kill_tree(pid)


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


# ----------------------------------------------------------------------------- gradings

@dataclass
class Grading:
    key: str
    submission: str
    parts: tuple
    results_path: str
    training: bool = False
    timeout: float = 300.0
    comm: str = ""
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

    def describe(self):
        seed = (self.results or {}).get("extra_data", {}).get("hidden_seed")
        return (f"grading {self.key!r} of {self.submission} (parts {','.join(self.parts)}, hidden seed {seed}, "
                f"{self.seconds:.1f} s)")


def run(grading, before=None):
    """Grade as the command line does; record results, timing and what the student left running."""
    command = [sys.executable, "-m", "autograder", "grade", grading.submission, "--results",
               grading.results_path, "--parts", ",".join(grading.parts)]
    if not grading.training:
        command.append("--no-training")
    if before:
        before()
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        grading.stdout, grading.stderr = process.communicate(timeout=grading.timeout)
    except subprocess.TimeoutExpired:
        grading.timed_out = True
        _kill_tree(process.pid)
        grading.stdout, grading.stderr = process.communicate()
    grading.seconds = time.monotonic() - started
    grading.returncode = process.returncode
    if os.path.exists(grading.results_path):
        with open(grading.results_path, encoding="utf-8") as f:
            grading.results = json.load(f, parse_constant=_not_strict_json)
        grading.uid = grading.results.get("extra_data", {}).get("spare_uid")
    grading.leftovers = leftovers(grading.uid, grading.comm)
    grading.files_left = remove_student_files(grading.uid)
    if grading.comm:  # a case that starts processes meant to outlive the grading: look again later
        digest = _file_digest(grading.results_path)
        time.sleep(3)
        grading.late_leftovers = leftovers(grading.uid, grading.comm)
        grading.results_changed_later = _file_digest(grading.results_path) != digest
    return grading


def _not_strict_json(name):
    raise ValueError(f"{name} in results.json: strict JSON parsers reject it")


def _file_digest(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


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


SHARED_TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


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


def clean_results_writer_litter(uid):
    """Remove the forged results files results_writer left in world-writable places; return their paths."""
    removed = []
    if uid is None:
        return removed
    skip = {"/proc", "/sys", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/boot", "/snap", "/etc"}
    deadline = time.monotonic() + 20
    for top, dirs, files in os.walk("/", onerror=lambda e: None):
        if time.monotonic() > deadline:
            break
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in skip]
        if "results.json" in files:
            path = os.path.join(top, "results.json")
            try:
                if os.lstat(path).st_uid == uid or os.lstat(path).st_uid in SPARE_UIDS:
                    with open(path, "rb") as f:
                        if b"HOSTILE-RESULTS-WRITER" in f.read(4096):
                            os.remove(path)
                            removed.append(path)
            except OSError:
                pass
    return removed


# ----------------------------------------------------------------------------- the corpus run

@dataclass
class Corpus:
    workdir: str
    isolated: bool
    gradings: dict
    digest_before: dict
    digest_after: dict
    seconds: float
    litter: list
    skipped_hostile: dict


def _selection(session):
    """What the selected tests need graded (so that `pytest -k` runs only part of the corpus)."""
    wanted = {"variants": set(), "mutants": set(), "hostile": set(), "training": False}
    for item in session.items:
        if item.module is None or item.module.__name__ != __name__:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        function = item.originalname
        if function == "test_correct_variant_gets_full_marks":
            wanted["variants"].add(params["style"])
        elif function == TRAINING_TEST:
            wanted["training"] = True
        elif function == "test_mutant_loses_points_where_it_is_wrong":
            wanted["mutants"].add(params["name"])
        elif function == "test_hostile_submission_is_contained":
            wanted["hostile"].add(params["name"])
            wanted["variants"].add(BASE_VARIANT)  # the same submission without the trick
        elif function in ("test_grader_files_are_unchanged_by_the_corpus", "test_hostile_writes_stay_outside_the_grader"):
            wanted["hostile"].add("results_writer")
    return wanted


@pytest.fixture(scope="module")
def corpus(request, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("corpus"))
    results_dir = os.path.join(workdir, "results")
    os.makedirs(results_dir)
    isolated = sandbox_isolates()
    wanted = _selection(request.session)
    jobs = []

    def grading(key, submission, parts, **options):
        g = Grading(key, submission, tuple(parts), os.path.join(results_dir, key.replace("/", "_") + ".json"),
                    **options)
        jobs.append(g)
        return g

    # correct variants
    for style in sorted(wanted["variants"]):
        grading(f"variant/{style}", variant_path(style, workdir), MODULES)
    if wanted["training"]:
        grading("variant-training/" + TRAINING_VARIANT, variant_path(TRAINING_VARIANT, workdir), MODULES,
                training=True, timeout=900.0)
    # mutants, several modules to a grading
    for bundle in mutant_bundles():
        if not wanted["mutants"] & {m.name for m in bundle}:
            continue
        folder = mutant_table.build(bundle, os.path.join(workdir, "mutants", "+".join(m.name for m in bundle)))
        grading("mutants/" + "+".join(m.name for m in bundle), folder, sorted({m.module for m in bundle},
                key=MODULES.index))
    # hostile submissions
    skipped = {}
    extra = {}
    for case in HOSTILE_CASES:
        if case.name not in wanted["hostile"]:
            continue
        if case.needs_isolation and not isolated:
            skipped[case.name] = ("the grader is not running student code as a spare uid here (needs root "
                                  "and an interpreter other users can run), so this trick is not contained")
            continue
        g = grading(f"hostile/{case.name}", build_hostile(case, os.path.join(workdir, "hostile")), case.parts,
                    timeout=case.timeout, comm=case.comm, training=case.training)
        if case.name == "read_other_submission":
            extra[g.key] = _decoy_starter(workdir, results_dir)

    # the longest first, so that they overlap with everything else
    def expected_length(g):
        return (g.timeout if "import_infinite_loop" in g.key else 0, g.training, "torch_models" in g.parts,
                len(g.parts))
    jobs.sort(key=expected_length, reverse=True)

    digest_before = grader_files_digest()
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
        futures = [pool.submit(_run_with_extra, g, extra.get(g.key)) for g in jobs]
        for future in futures:
            future.result()
    seconds = time.monotonic() - started
    litter = []
    writer = next((g for g in jobs if g.key == "hostile/results_writer"), None)
    if writer is not None:
        litter = clean_results_writer_litter(writer.uid)
    digest_after = grader_files_digest()
    corpus = Corpus(workdir, isolated, {g.key: g for g in jobs}, digest_before, digest_after, seconds, litter,
                    skipped)
    print(f"\ncorpus: {len(jobs)} gradings in {seconds:.0f} s with {JOBS} at a time; slowest: "
          + ", ".join(f"{g.key} {g.seconds:.0f} s" for g in sorted(jobs, key=lambda g: -g.seconds)[:5]))
    return corpus


def _decoy_starter(workdir, results_dir):
    """For read_other_submission: start a correct, slow-to-import grading and wait until its sandbox exists."""
    token = uuid.uuid4().hex
    folder = os.path.join(workdir, "decoy")
    os.makedirs(folder)
    with open(os.path.join(VARIANTS, BASE_VARIANT, "calculus.py"), encoding="utf-8") as f:
        source = f.read()
    with open(os.path.join(folder, "calculus.py"), "w", encoding="utf-8") as f:
        f.write(source + DECOY_TEMPLATE.format(token=token))
    state = {}

    def start():
        command = [sys.executable, "-m", "autograder", "grade", folder, "--results",
                   os.path.join(results_dir, "decoy.json"), "--parts", "calculus", "--no-training"]
        state["process"] = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for path in glob.glob("/tmp/autograder-*/submission/calculus.py"):
                try:
                    with open(path, encoding="utf-8") as f:
                        if token in f.read():
                            return
                except OSError:
                    pass
            time.sleep(0.1)

    def stop():
        process = state.get("process")
        if process is None:
            return
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            _kill_tree(process.pid)
            process.wait()
            for path in glob.glob("/tmp/autograder-*/submission/calculus.py"):  # its sandbox, left behind
                try:
                    with open(path, encoding="utf-8") as f:
                        if token in f.read():
                            shutil.rmtree(os.path.dirname(os.path.dirname(path)), ignore_errors=True)
                except OSError:
                    pass

    return start, stop


def _run_with_extra(grading, extra):
    if extra is None:
        return run(grading)
    start, stop = extra
    try:
        return run(grading, before=start)
    finally:
        stop()


def get(corpus, key):
    if key not in corpus.gradings:
        pytest.skip(f"{key} was not graded in this run")
    return corpus.gradings[key]


def finished(g):
    """Fail unless the grading ended normally and wrote a valid results.json; return the results."""
    assert not g.timed_out, f"{g.describe()}: the grading did not finish within {g.timeout:.0f} s and was killed"
    assert g.returncode == 0, f"{g.describe()}: exit status {g.returncode}\n{g.stderr[-3000:]}"
    assert g.results is not None, f"{g.describe()}: no results.json was written\n{g.stdout[-2000:]}"
    validate(g.results, g.results_path)
    assert not g.leftovers, f"{g.describe()}: processes of the student still alive after it: {g.leftovers}"
    grader_memory = g.results.get("extra_data", {}).get("grader_peak_memory_mb", 0)
    assert grader_memory < MAX_GRADER_MEMORY_MB, f"{g.describe()}: the grader itself peaked at {grader_memory} MB"
    return g.results


# ----------------------------------------------------------------------------- tests: variants

@pytest.mark.parametrize("style", sorted(VARIANT_STYLES))
def test_correct_variant_gets_full_marks(corpus, style):
    """A correct submission written independently from the contract passes every test (no training)."""
    g = get(corpus, f"variant/{style}")
    results = finished(g)
    failed = [t for t in results["tests"] if t["status"] != "passed" or lost_points(t)]
    assert not failed, f"{g.describe()} ({VARIANT_STYLES[style]}): false failures\n" + summary(failed, 400)
    assert results["extra_data"]["needs_a_look"] == [], "an honest submission flagged for the instructor"
    assert {t["tags"][0] for t in results["tests"]} == set(MODULES)
    assert "Missing" not in results.get("output", ""), results.get("output")


@pytest.mark.slow
def test_variant_gets_full_marks_with_training(corpus):
    """The zipped variant, all five modules with Fashion-MNIST training: 100/100."""
    g = get(corpus, "variant-training/" + TRAINING_VARIANT)
    results = finished(g)
    failed = [t for t in results["tests"] if t["status"] != "passed" or lost_points(t)]
    assert not failed, f"{g.describe()}: false failures\n" + summary(failed, 600)
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(100)
    assert results["score"] == pytest.approx(100)
    assert results["extra_data"]["needs_a_look"] == [], "an honest submission flagged for the instructor"


# ----------------------------------------------------------------------------- tests: mutants

def test_every_mutant_applies_to_the_reference():
    """Each mutant's snippet occurs exactly once in the reference (no silent drift)."""
    for mutant in mutant_table.MUTANTS:
        assert mutant.module in MODULES
        mutated = mutant_table.mutated_source(mutant)
        assert mutated != open(os.path.join(REPO, "reference", f"{mutant.module}.py"), encoding="utf-8").read()
    covered = {m.module for m in mutant_table.MUTANTS}
    assert covered == set(MODULES), f"modules without mutants: {set(MODULES) - covered}"


def _bundle_of(corpus, mutant):
    for key, g in corpus.gradings.items():
        if key.startswith("mutants/") and mutant.name in key[len("mutants/"):].split("+"):
            return g
    pytest.fail(f"mutant {mutant.name} was not graded")


MIN_OTHER_SHARE = 0.3


@pytest.mark.parametrize("name", [m.name for m in mutant_table.MUTANTS])
def test_mutant_loses_points_where_it_is_wrong(corpus, name):
    """A one-bug mutant loses points in a test tagged with its function; the module's other tests mostly pass."""
    mutant = mutant_table.BY_NAME[name]
    g = _bundle_of(corpus, mutant)
    results = finished(g)
    module_tests = of_module(results, mutant.module)
    tagged = [t for t in module_tests if mutant.function in t["tags"][1:]]
    assert tagged, f"no test of {mutant.module} is tagged {mutant.function!r}"
    lost = [t for t in tagged if lost_points(t)]
    assert lost, (f"{g.describe()}: mutant {name} ({mutant.description}) was not caught; the tests tagged "
                  f"{mutant.function!r}:\n" + summary(tagged))
    for t in lost:
        assert (t.get("output") or "").strip(), f"test {t['number']} lost points without a message"
    others = [t for t in module_tests if mutant.function not in t["tags"][1:]]
    passing = [t for t in others if not lost_points(t)]
    if others:
        assert len(passing) >= MIN_OTHER_SHARE * len(others), (
            f"{g.describe()}: mutant {name} ({mutant.description}) also sank {len(others) - len(passing)} of the "
            f"{len(others)} other tests of {mutant.module}:\n" + summary([t for t in others if lost_points(t)]))


# ----------------------------------------------------------------------------- tests: hostile

@pytest.mark.parametrize("name", [c.name for c in HOSTILE_CASES])
def test_hostile_submission_is_contained(corpus, name):
    """A hostile or broken submission: grading finishes, results are valid and honest, nothing is left behind."""
    case = HOSTILE_BY_NAME[name]
    if name in corpus.skipped_hostile:
        pytest.skip(corpus.skipped_hostile[name])
    g = get(corpus, f"hostile/{name}")
    results = finished(g)
    assert not g.late_leftovers, f"{g.describe()}: processes still alive 3 s after the grading: {g.late_leftovers}"
    assert not g.results_changed_later, f"{g.describe()}: results.json changed after the grading ended"
    assert results["score"] < 1000 and all(t["name"] not in ("HOSTILE-DAEMON", "HOSTILE-RESULTS-WRITER")
                                           for t in results["tests"]), "the results file was forged"
    tests = [t for t in results["tests"] if t["tags"][0] in case.parts]
    assert tests, f"{g.describe()}: no test of {case.parts} in the results"
    assert {t["tags"][0] for t in results["tests"]} == set(case.parts)

    if name == "zip_traversal":
        _check_zip_traversal(corpus, g, case, results)
        return
    baseline = get(corpus, f"variant/{BASE_VARIANT}").results or {"tests": []}
    base_score = {t["number"]: t["score"] for t in baseline["tests"]}
    if not case.base:
        scored = [t for t in tests if t["score"] > 0 and not set(t["tags"][1:]) & set(case.may_score)]
        assert not scored, (f"{g.describe()} ({case.why}): a submission that is nothing but the trick scored "
                            "points:\n" + summary(scored, 400))
        checked = tests
    else:
        higher = [t for t in tests if t["score"] > base_score.get(t["number"], t["max_score"]) + 1e-9]
        assert not higher, f"{g.describe()}: scored more than without the trick:\n" + summary(higher)
        checked = []
        for function in case.affected:
            affected = tagged_with({"tests": tests}, function)
            assert affected, f"no test tagged {function!r}"
            not_lost = [t for t in affected if not lost_points(t)]
            assert not not_lost, (f"{g.describe()} ({case.why}): tests of {function} did not lose points:\n"
                                  + summary(not_lost))
            checked += affected
        for number in case.affected_tests:
            (test,) = [t for t in tests if t["number"] == number]
            assert lost_points(test), f"{g.describe()} ({case.why}): test {number} did not lose points"
            checked.append(test)
        others = [t for t in tests if not any(f in t["tags"][1:] for f in case.affected)
                  and t["number"] not in case.affected_tests]
        passing = [t for t in others if not lost_points(t)]
        assert len(passing) >= case.min_other_share * len(others), (
            f"{g.describe()} ({case.why}): the grading did not recover; {len(others) - len(passing)} of the "
            f"{len(others)} tests of functions without the trick lost points:\n"
            + summary([t for t in others if lost_points(t)], 300))
    if case.message:
        unclear = [t for t in checked if lost_points(t) and not re.search(case.message, t.get("output") or "")]
        assert not unclear, (f"{g.describe()} ({case.why}): messages do not say /{case.message}/:\n"
                             + summary(unclear, 600))
    for t in checked:
        if lost_points(t):
            assert (t.get("output") or "").strip(), f"test {t['number']} lost points without a message"


def _check_zip_traversal(corpus, g, case, results):
    escaped = traversal_leftovers([corpus.workdir, os.path.dirname(corpus.workdir)])
    assert not escaped, f"{g.describe()}: files from the zip landed outside the unzip folder: {escaped}"
    for module in ("calculus", "linear_models"):
        for t in of_module(results, module):
            assert t["score"] == 0 and re.search(case.message, t.get("output") or ""), (
                f"{g.describe()}: {module}.py came from a symbolic link in the zip, yet:\n" + summary([t], 400))
    conv = of_module(results, "conv")
    failed = [t for t in conv if lost_points(t)]
    assert not failed, f"{g.describe()}: the regular conv.py in the zip lost points:\n" + summary(failed, 400)


def test_grader_files_are_unchanged_by_the_corpus(corpus):
    """No submission changed a file of autograder/, reference/ or tests/."""
    before, after = corpus.digest_before, corpus.digest_after
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, ("files of the grader changed while the corpus was graded (if someone was editing "
                         f"the repository meanwhile, run again): {changed}")


def test_no_student_files_outlive_the_grading(corpus):
    """Files a submission wrote to the shared temporary folders are gone when its grading ends.

    Otherwise, in batch grading, one student's code could leave data for another's
    (or fill the disk for the next gradings).
    """
    left = {k: g.files_left for k, g in corpus.gradings.items() if g.files_left}
    assert not left, "files of the student's uid left in " + ", ".join(SHARED_TEMP_DIRS) + ":\n" + "\n".join(
        f"  {k}: {v[:6]}" for k, v in left.items())


def test_hostile_writes_stay_outside_the_grader(corpus):
    """What results_writer managed to write went only to world-writable scratch places, never near the grader."""
    if "hostile/results_writer" not in corpus.gradings:
        pytest.skip(corpus.skipped_hostile.get("results_writer", "not graded"))
    near = [p for p in corpus.litter
            if p.startswith((REPO + os.sep, "/autograder", os.path.dirname(corpus.workdir)))]
    assert not near, f"forged results files next to the grader: {near}"
