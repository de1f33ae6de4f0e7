"""Run student code in a separate, confined process and talk to it with data only.

The grader (trusted) never imports student code. For each student module it
starts ``worker.py`` in a child process which applies :mod:`confine` before it
imports the student's module, and answers requests over pipes in the data-only
codec; whatever it prints goes to a separate pipe, of which only the first
kilobytes are kept. When a call fails in any way (exception, exit, crash,
hang, memory, disk) the test gets a :class:`StudentError` whose message is
written for the student, and the next call starts a fresh process.
``close()`` kills every process of the sandbox and removes what it left.

What stops each threat, and the corpus case (tests/corpus/hostile_cases.py,
tests/submissions/hostile/) or test that proves it:

| threat | stopped by | proved by |
| --- | --- | --- |
| read the reference, other checkouts, test labels | Landlock allow-list (confine.apply_landlock); else spare uid + chmod while grading (grade.protect_files_for_grading) | read_reference, test_sandbox::test_confined_student_cannot_read_outside_the_allow_list, test_grade::test_without_landlock_files_are_locked_while_gradings_run_and_restored_after_the_last |
| read another submission graded meanwhile | Landlock; sandbox folders owned by root, group = this grading's uid | read_other_submission |
| forge results.json, change grader files | Landlock (write only scratch/); spare uid; results written after every student process is dead, atomically | results_writer, background_daemon, test_sandbox::test_confined_student_writes_only_its_scratch_folder |
| network (public labels one request away) | seccomp: no socket() at all, only socketpair(); Landlock ABI>=4: no TCP | test_sandbox::test_confined_student_cannot_open_a_tcp_socket |
| talk to a host service over a path-named AF_UNIX socket (connect, or sendto from a datagram pair) | seccomp: socket(), connect(), sendto() with an address, sendmsg() denied | host_socket, test_sandbox_watch::test_no_socket_outside_the_sandbox_can_be_reached |
| a channel between two gradings through an abstract socket name (EADDRINUSE) | seccomp: bind() denied, a socketpair's end included | abstract_bind, test_sandbox_watch::test_no_abstract_name_can_be_bound |
| namespaces, ptrace, set-uid binaries | seccomp (unshare, setns, clone flags, ptrace); no_new_privs | test_sandbox::test_kernel_surface_is_closed |
| kill or signal the grader | spare uid; Landlock ABI>=6 signal scope | kill_grader |
| hang, busy loop | wall-clock timeout per call; CPU budget per call over the tree incl. reaped children | function_infinite_loop, import_infinite_loop, test_sandbox::test_cpu_of_reaped_children_counts |
| memory (pages, children, shm, memfd, SysV) | watchdog: the kernel's peak (VmHWM) of each process of the tree, summed, + memfds held + /dev/shm and SysV of the uid; looks closer together near the limit; seccomp denies memfd/SysV; RLIMIT_AS | memory_hog, memory_hog_children, test_sandbox::test_memory_held_outside_mappings_counts, test_sandbox_watch::test_a_short_peak_is_never_missed |
| a verdict that depends on the machine's load (shared pages, sampling) | peaks the kernel keeps (never missed), resident pages counted in full whoever shares them; a fixed malloc mmap threshold (no heap fragmentation that differs from run to run) | test_sandbox_watch::test_memory_verdict_figures_are_the_same_beside_processes_sharing_the_libraries, test_load |
| threads or children working while the grader judges an answer | every process of the sandbox stopped (SIGSTOP) from each answer to the next request, one more look once stopped | late_allocation, test_sandbox_watch::test_between_requests_nothing_of_the_student_runs, test_sandbox_watch::test_a_thread_allocating_after_its_function_answered_is_stopped_and_never_runs_unseen |
| disk | RLIMIT_FSIZE; watchdog disk budget of scratch/ | disk_hog, test_sandbox::test_disk_budget_of_the_scratch_folder |
| disk hidden from a folder walk: deleted files still open, 100,001 empty files | the disk budget counts deleted files the sandbox's processes hold (descriptors, mappings) and the number of entries; the walk stops at that number | deleted_open_files, many_files, test_sandbox_watch::test_deleted_files_still_open_count_against_the_disk_budget, test_sandbox_watch::test_the_number_of_files_counts_and_the_walk_stays_bounded |
| fork bomb, fd exhaustion | RLIMIT_NPROC (spare uid), RLIMIT_NOFILE | fork_bomb |
| processes that outlive the grading | child subreaper; kill by tree and by uid; uid lock machine-wide (/run/lock) | background_daemon, test_sandbox::test_background_processes_are_killed_on_close |
| files, SysV objects left behind | removal of the uid's files in shared temp folders and of its SysV objects | test_no_student_files_outlive_the_grading, test_sandbox::test_sysv_objects_of_a_uid_are_counted_and_removed |
| huge or malformed answers | codec: frame, header and node caps checked before allocation; one buffer, array views | huge_arrays, huge_frame, protocol_garbage |
| odd values in results (nan, objects, surrogates, megabytes) | safe.safe_json / safe.printable when recorded and written; write_results inside the protection | huge_losses, odd_history, surrogate_message, test_grade::test_results_are_strict_bounded_json_whatever_the_student_returned |
| notebooks that cost the grader's own process memory to read (a 2 MB cell of zeros, 8 MB of empty objects, huge outputs) | load/notebook_json.py: values counted and long strings left unparsed before json, outputs and metadata dropped before nbformat; load/notebook.py: each cell's tokens counted before ast; a message names the limit | notebook_cell_of_zeros, notebook_empty_objects, test_notebook_limits |
| answers the contract does not allow, small on the wire but costly to compute with (a 784 -> 1 -> 60,000 -> 10 state_dict, 47 million bool losses, a (0, 10**12) array) | judge/expect.py with judge/answers.py, on receipt, before any conversion or product: structure, dimensions, element counts, dtype; codec: empty dimensions counted | logreg_wide_chain, bool_losses, test_expect, test_codec::test_an_empty_dimension_does_not_let_the_others_be_huge |
"""
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from autograder.sandbox import confine, processes
from autograder.sandbox.process import StudentProcess

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SPARE_UIDS = range(61000, 61500)
MALLOC_MMAP_THRESHOLD = 1 << 20   # see Sandbox.environment
UID_LOCK_DIR = "/run/lock/autograder-uids"   # machine-wide: gradings in other /tmp namespaces see it
# Also the folder older versions of this grader locked in, so that a checkout of
# one and of the other on the same machine never share a uid.
UID_LOCK_DIRS = (UID_LOCK_DIR, os.path.join(tempfile.gettempdir(), "autograder-uids"))


def _try_lock(path):
    """An open, exclusively locked handle on ``path``, or None if someone holds it."""
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        handle = open(path, "a")
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


@dataclass
class Limits:
    """Resource limits for one student process."""
    memory_mb: int = 600             # peak resident memory, summed over its processes, plus shm it holds
    address_space_mb: int = 3072     # per process; torch alone maps ~700 MB
    cpu_seconds: int = 600           # for the whole life of the process
    processes: int = 64              # threads count too; only under a spare uid
    file_size_mb: int = 64
    disk_mb: int = 256               # everything in its scratch folder, deleted files still open included
    files: int = 4096                # entries in its scratch folder, deleted files still open included
    open_files: int = 64
    threads: int = 1                 # OMP/MKL/torch threads
    # For the student's message about memory only: what an idle worker takes (its share of
    # memory_mb) and the grading machine's size (0: not stated).
    baseline_mb: int = 0
    container_mb: int = 0

    def rlimits(self, spare_uid):
        limits = {
            "RLIMIT_AS": self.address_space_mb << 20,
            "RLIMIT_CPU": self.cpu_seconds,
            "RLIMIT_FSIZE": self.file_size_mb << 20,
            "RLIMIT_CORE": 0,
            "RLIMIT_NOFILE": self.open_files,
        }
        if spare_uid:
            limits["RLIMIT_NPROC"] = self.processes
        return limits


SHARED_TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def _remove_files_owned_by(uid):
    """Delete what ``uid`` left in the world-writable temp folders (it could reach the next student)."""
    for folder in SHARED_TEMP_DIRS:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


def worker_environment(home, threads):
    """The environment of a student's process (and of the memory probe that measures an idle one)."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg", "MPLCONFIGDIR": home, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    # A fixed threshold turns off glibc's sliding one: blocks of 1 MB and more (a batch's
    # activations, a copy of the data) are mapped and given back whole when freed, instead of
    # being carved from a heap that fragments. Without it the same ConvNet training peaked
    # at 625 MB or at 1,900 MB from one run to the next; with it, 460 MB every time.
    env["MALLOC_MMAP_THRESHOLD_"] = str(MALLOC_MMAP_THRESHOLD)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # kept: see the machine notes
        if var in os.environ:
            env[var] = os.environ[var]
    return env


class Sandbox:
    """One grading's sandbox: a private directory tree, confinement layers and, as root, a spare uid.

    Layout of ``self.root`` (mode 0711: others may enter, not list):
        submission/  copy of the student's .py files, read-only to the student
        runtime/     worker.py, the codec, the confinement and the worker-side tasks
        data/        inputs the grader shares with student code (no test labels)
        scratch/     the student's cwd, HOME and TMPDIR: the only place it may write
    The first three belong to root with the spare uid's group (0750, files 0640),
    so another grading's student, under another uid, can read none of them.
    """

    def __init__(self, submission_files, *, base_dir=None, use_spare_uid=None):
        processes.set_child_subreaper()
        if use_spare_uid is None:
            use_spare_uid = os.geteuid() == 0
        self.uid, self._uid_lock = (self._claim_uid() if use_spare_uid else (None, None))
        self.reaped_cpu = 0.0           # CPU of the sandbox's orphans that the grader reaped
        self.workers = set()            # pids of live workers (our own children, reaped by Popen)
        self.root = tempfile.mkdtemp(prefix="autograder-", dir=base_dir)
        os.chmod(self.root, 0o711)
        self.submission_dir = self._mkdir("submission", 0o750)
        self.runtime_dir = self._mkdir("runtime", 0o750)
        self.data_dir = self._mkdir("data", 0o750)
        self.scratch_dir = self._mkdir("scratch", 0o700)
        for name, path in submission_files.items():
            self.share(path, os.path.join(self.submission_dir, name))
        for source, target in [("worker.py", "worker.py"), ("codec.py", "_ag_codec.py"),
                               ("tasks.py", "_ag_tasks.py"), ("confine.py", "_ag_confine.py")]:
            self.share(os.path.join(HERE, source), os.path.join(self.runtime_dir, target))
        if self.uid is not None:
            os.chown(self.scratch_dir, self.uid, self.uid)
            if not self._uid_can_run_python():
                self._release_uid()
        self.layers = confine.available_layers()
        self.files_allow_listed = any(layer.startswith("landlock") for layer in self.layers)
        self.isolation = ["separate process"] + ([f"spare uid {self.uid}"] if self.uid is not None else []) \
            + self.layers

    @property
    def summary(self):
        """One line for people: what confines the student's code here."""
        if self.files_allow_listed:
            files = "files: allow-list (Landlock)"
        elif self.uid is not None:
            files = "files: spare uid and permissions only (no Landlock)"
        else:
            files = "no file isolation (not root and no Landlock)"
        return ", ".join(self.isolation) + "; " + files

    def share(self, source, target=None):
        """Copy ``source`` to ``target`` (or fix ``source`` in place) so that only this
        grading's student process can read it: owned by root, group = the spare uid's, 0640.
        """
        if target is not None:
            shutil.copyfile(source, target)
        path = target or source
        self._restrict(path, 0o640)

    def _restrict(self, path, mode):
        if self.uid is not None:
            os.chown(path, 0, self.uid)
        os.chmod(path, mode if self.uid is not None else mode | (mode & 0o070) >> 3)

    def _mkdir(self, name, mode):
        path = os.path.join(self.root, name)
        os.mkdir(path)
        self._restrict(path, mode)
        return path

    def _claim_uid(self):
        """The first spare uid no other grading on this machine holds (its lock stays open)."""
        for uid in SPARE_UIDS:
            handles = [_try_lock(os.path.join(folder, str(uid))) for folder in UID_LOCK_DIRS]
            if all(handles):
                processes.kill_uid(uid)  # leftovers from a grading that died
                return uid, handles
            for handle in filter(None, handles):
                handle.close()
        return None, None

    def _release_uid(self):
        for handle in self._uid_lock or ():
            handle.close()
        self.uid, self._uid_lock = None, None
        for path in (self.submission_dir, self.runtime_dir, self.data_dir, self.scratch_dir):
            os.chown(path, os.getuid(), os.getgid())

    def _uid_can_run_python(self):
        try:
            done = subprocess.run([sys.executable, "-I", "-c", "import numpy"], user=self.uid,
                                  group=self.uid, extra_groups=[], cwd=self.scratch_dir,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=60, env=self.environment(1))
            return done.returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False

    def environment(self, threads):
        return worker_environment(self.scratch_dir, threads)

    def confinement(self, limits):
        """What the worker applies to itself before importing the student's module."""
        return {"rlimits": limits.rlimits(self.uid is not None), "layers": self.layers,
                "readable": [self.submission_dir, self.runtime_dir, self.data_dir],
                "writable": [self.scratch_dir], "private": [REPO]}

    def start(self, module, limits=None, import_timeout=120.0):
        """A :class:`StudentProcess` with ``module`` imported (raises ModuleUnavailable)."""
        return StudentProcess(self, module, limits or Limits(), import_timeout)

    # Watching and stopping ------------------------------------------------

    def clear_scratch(self):
        """Remove everything in the scratch folder (after its disk budget was exceeded)."""
        for entry in os.listdir(self.scratch_dir):
            path = os.path.join(self.scratch_dir, entry)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.unlink(path)

    def process_ids(self):
        """Every live process of the sandbox: the grader's descendants (orphans included, as
        the grader is their subreaper). Cheap: walks the tree, not all of /proc."""
        return processes.descendants(os.getpid())

    def reap_orphans(self, pids):
        """Collect orphans that ended (their CPU is added to :attr:`reaped_cpu`); returns the
        :class:`~autograder.sandbox.processes.Reaped` (their memory peaks, for the watchdog)."""
        reaped = processes.reap([p for p in pids if p not in self.workers])
        self.reaped_cpu += reaped.cpu_seconds
        return reaped

    def pause(self):
        """Stop every process of the sandbox (SIGSTOP; see :func:`processes.stop_all`). Returns False
        if one would not stop in time."""
        return processes.stop_all(self.process_ids)

    def resume(self):
        processes.resume_all(self.process_ids())

    def memory_outside_mappings(self, pids):
        """Memory the student holds that no process's page count shows: memfds and shm files
        it has open, /dev/shm files and System V segments of its uid."""
        held = processes.memory_files_held(pids)
        if self.uid is not None:
            held += processes.shm_files_of_uid(self.uid) + processes.sysv_shared_memory_of_uid(self.uid)
        return held

    def kill_all(self):
        """Kill the student's processes: the tree under us and every process of the uid."""
        for _attempt in range(50):
            victims = set(self.process_ids())
            if self.uid is not None:
                victims |= set(processes.pids_of_uid(self.uid))
            victims.discard(os.getpid())
            victims = {p for p in victims if (processes.stat(p) or processes.Process(p, 0, "Z", 0, 0)).state != "Z"}
            if not victims:
                break
            processes.kill(victims)
            self._reap_zombies()
            time.sleep(0.01)
        self._reap_zombies()

    def _reap_zombies(self):
        self.reaped_cpu += processes.reap([p for p in processes.children(os.getpid())
                                            if p not in self.workers]).cpu_seconds

    def close(self):
        self.kill_all()
        if self.uid is not None:
            _remove_files_owned_by(self.uid)
            processes.remove_sysv_objects_of_uid(self.uid)
        for handle in self._uid_lock or ():
            handle.close()
        self.uid, self._uid_lock = None, None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
