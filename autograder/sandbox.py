"""Run student code in a separate, confined process and talk to it with data only.

The grader (trusted) never imports student code. For each student module it
starts ``worker.py`` in a child process which applies :mod:`confine` before it
imports the student's module, and answers requests over pipes in the data-only
codec; whatever it prints goes to a separate pipe, of which only the first
kilobytes are kept. When a call fails in any way (exception, exit, crash,
hang, memory, disk) the test gets a :class:`StudentError` whose message is
written for the student, and the next call starts a fresh process.
``close()`` kills every process of the sandbox and removes what it left.

What stops each threat, and the corpus case (tests/test_corpus.py,
tests/submissions/hostile/) or test that proves it:

| threat | stopped by | proved by |
| --- | --- | --- |
| read the reference, other checkouts, test labels | Landlock allow-list (confine.apply_landlock); else spare uid + chmod while grading (grade.protect_files_for_grading) | read_reference, test_sandbox::test_confined_student_cannot_read_outside_the_allow_list, test_grade::test_without_landlock_files_are_locked_while_gradings_run_and_restored_after_the_last |
| read another submission graded meanwhile | Landlock; sandbox folders owned by root, group = this grading's uid | read_other_submission |
| forge results.json, change grader files | Landlock (write only scratch/); spare uid; results written after every student process is dead, atomically | results_writer, background_daemon, test_sandbox::test_confined_student_writes_only_its_scratch_folder |
| network (public labels one request away) | seccomp: AF_UNIX sockets only; Landlock ABI>=4: no TCP | test_sandbox::test_confined_student_cannot_open_a_tcp_socket |
| namespaces, ptrace, set-uid binaries | seccomp (unshare, setns, clone flags, ptrace); no_new_privs | test_sandbox::test_kernel_surface_is_closed |
| kill or signal the grader | spare uid; Landlock ABI>=6 signal scope | kill_grader |
| hang, busy loop | wall-clock timeout per call; CPU budget per call over the tree incl. reaped children | function_infinite_loop, import_infinite_loop, test_sandbox::test_cpu_of_reaped_children_counts |
| memory (pages, children, shm, memfd, SysV) | watchdog: PSS of the tree + memfds held + /dev/shm and SysV of the uid; seccomp denies memfd/SysV; RLIMIT_AS | memory_hog, memory_hog_children, test_sandbox::test_memory_held_outside_mappings_counts |
| disk | RLIMIT_FSIZE; watchdog disk budget of scratch/ | disk_hog, test_sandbox::test_disk_budget_of_the_scratch_folder |
| fork bomb, fd exhaustion | RLIMIT_NPROC (spare uid), RLIMIT_NOFILE | fork_bomb |
| processes that outlive the grading | child subreaper; kill by tree and by uid; uid lock machine-wide (/run/lock) | background_daemon, test_sandbox::test_background_processes_are_killed_on_close |
| files, SysV objects left behind | removal of the uid's files in shared temp folders and of its SysV objects | test_no_student_files_outlive_the_grading, test_sandbox::test_sysv_objects_of_a_uid_are_counted_and_removed |
| huge or malformed answers | codec: frame, header and node caps checked before allocation; one buffer, array views | huge_arrays, huge_frame, protocol_garbage |
| odd values in results (nan, objects, surrogates, megabytes) | safe.safe_json / safe.printable when recorded and written; write_results inside the protection | huge_losses, odd_history, surrogate_message, test_grade::test_results_are_strict_bounded_json_whatever_the_student_returned |
"""
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from . import codec, confine, processes

HERE = os.path.dirname(os.path.abspath(__file__))
SPARE_UIDS = range(61000, 61500)
UID_LOCK_DIR = "/run/lock/autograder-uids"   # machine-wide: gradings in other /tmp namespaces see it
# Also the folder older versions of this grader locked in, so that a checkout of
# one and of the other on the same machine never share a uid.
UID_LOCK_DIRS = (UID_LOCK_DIR, os.path.join(tempfile.gettempdir(), "autograder-uids"))
WATCH_INTERVAL = 0.1        # seconds between two looks at memory and CPU
SLOW_WATCH_INTERVAL = 0.5   # seconds between two looks at the scratch folder's size and at PSS
PIPE_BYTES = 1 << 20        # the answer pipe's buffer (F_SETPIPE_SZ): fewer wake-ups for big answers
F_SETPIPE_SZ = 1031         # fcntl.F_SETPIPE_SZ exists only from Python 3.10 on some builds


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


class StudentError(AssertionError):
    """A failure caused by the student's code; the message is for the student."""


class StudentException(StudentError):
    """The student's code raised an exception."""


class StudentTimeout(StudentError):
    """The student's code ran out of wall-clock or CPU time."""


class StudentCrash(StudentError):
    """The student's process died (exit, signal, memory) or broke the protocol."""


class ModuleUnavailable(StudentError):
    """The student's module is missing or could not be imported."""


class SandboxError(RuntimeError):
    """The sandbox itself failed (e.g. a confinement layer could not be applied): not the student's fault."""


@dataclass
class Limits:
    """Resource limits for one student process."""
    memory_mb: int = 600             # resident memory, summed over its processes, plus shm it holds
    address_space_mb: int = 3072     # per process; torch alone maps ~700 MB
    cpu_seconds: int = 600           # for the whole life of the process
    processes: int = 64              # threads count too; only under a spare uid
    file_size_mb: int = 64
    disk_mb: int = 256               # everything in its scratch folder
    open_files: int = 64
    output_kb: int = 64              # what is kept of its stdout/stderr
    threads: int = 1                 # OMP/MKL/torch threads

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
        self._workers = set()           # pids of live workers (our own children, reaped by Popen)
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
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.scratch_dir,
               "TMPDIR": self.scratch_dir, "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
               "MPLCONFIGDIR": self.scratch_dir, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # kept: see the machine notes
            if var in os.environ:
                env[var] = os.environ[var]
        return env

    def confinement(self, limits):
        """What the worker applies to itself before importing the student's module."""
        return {"rlimits": limits.rlimits(self.uid is not None), "layers": self.layers,
                "readable": [self.submission_dir, self.runtime_dir, self.data_dir],
                "writable": [self.scratch_dir], "private": [os.path.dirname(HERE)]}

    def start(self, module, limits=None, import_timeout=120.0):
        """A :class:`StudentProcess` with ``module`` imported (raises ModuleUnavailable)."""
        return StudentProcess(self, module, limits or Limits(), import_timeout)

    # Watching and stopping ------------------------------------------------

    def process_ids(self):
        """Every live process of the sandbox: the grader's descendants (orphans included, as
        the grader is their subreaper). Cheap: walks the tree, not all of /proc."""
        return processes.descendants(os.getpid())

    def reap_orphans(self, pids):
        """Collect orphans that ended (their CPU is added to :attr:`reaped_cpu`)."""
        orphans = [p for p in pids if p not in self._workers]
        self.reaped_cpu += processes.reap(orphans)

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
        self.reaped_cpu += processes.reap([p for p in processes.children(os.getpid()) if p not in self._workers])

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


class _OutputDrain(threading.Thread):
    """Reads the student's stdout/stderr, keeping only the first ``limit`` bytes."""

    def __init__(self, fd, limit):
        super().__init__(daemon=True)
        self.fd, self.limit = fd, limit
        self.kept, self.total = bytearray(), 0

    def run(self):
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            self.total += len(chunk)
            room = self.limit - len(self.kept)
            if room > 0:
                self.kept += chunk[:room]
        os.close(self.fd)

    def text(self):
        return self.kept.decode("utf-8", "replace")


@dataclass
class CallResult:
    value: object
    cpu_seconds: float
    wall_seconds: float
    peak_memory: int = 0
    output_bytes: int = 0


class StudentProcess:
    """One running worker with one student module imported."""

    def __init__(self, sandbox, module, limits, import_timeout=120.0):
        self.sandbox, self.module, self.limits = sandbox, module, limits
        self.import_timeout = import_timeout
        self.process = None
        self.names = {}
        self.peak_memory = 0
        self._start()

    def _start(self):
        sandbox = self.sandbox
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        output_r, output_w = os.pipe()
        try:
            fcntl.fcntl(from_worker_w, F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass
        config = {"read_fd": to_worker_r, "write_fd": from_worker_w, "module": self.module,
                  "submission_dir": sandbox.submission_dir, "confinement": sandbox.confinement(self.limits)}
        extra = {}
        if sandbox.uid is not None:
            extra = {"user": sandbox.uid, "group": sandbox.uid, "extra_groups": []}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", os.path.join(sandbox.runtime_dir, "worker.py"), json.dumps(config)],
                pass_fds=(to_worker_r, from_worker_w), stdin=subprocess.DEVNULL,
                stdout=output_w, stderr=output_w, cwd=sandbox.scratch_dir,
                env=sandbox.environment(self.limits.threads), start_new_session=True, **extra)
            sandbox._workers.add(self.process.pid)
        finally:
            for fd in (to_worker_r, from_worker_w, output_w):
                os.close(fd)
        self._send_fd, self._receive_fd = to_worker_w, from_worker_r
        self._drain = _OutputDrain(output_r, self.limits.output_kb << 10)
        self._drain.start()
        reply = self._exchange(None, timeout=self.import_timeout, cpu_budget=None,
                               what=f"importing {self.module}.py")
        if not reply.get("ok"):
            error = reply.get("error", {})
            self._stop()
            if isinstance(error, dict) and error.get("kind") == "confinement":
                raise SandboxError(f"the sandbox could not confine the student's process: {error.get('message')}")
            raise ModuleUnavailable(f"{self.module}.py could not be imported: " + _format_error(error))
        value = reply.get("value")
        self.names = value if isinstance(value, dict) else {}

    # Public API ---------------------------------------------------------

    def call(self, name, *args, timeout=10.0, cpu_budget=None, **kwargs):
        """Call ``module.name(*args, **kwargs)`` in the sandbox; return a :class:`CallResult`."""
        return self._request({"op": "call", "name": name, "args": list(args), "kwargs": kwargs},
                             timeout, cpu_budget, f"{name}(...)")

    def get(self, name, timeout=10.0):
        return self._request({"op": "get", "name": name}, timeout, None, name)

    def task(self, task_name, /, *, timeout, cpu_budget=None, what=None, **kwargs):
        """Run a worker-side task from tasks.py with this module (``kwargs`` may include ``name``)."""
        return self._request({"op": "task", "name": task_name, "kwargs": kwargs},
                             timeout, cpu_budget, what or task_name)

    def printed(self):
        """What the student's code has printed so far (first kilobytes) and the total size."""
        return self._drain.text(), self._drain.total

    def close(self):
        self._stop()

    # Internals ----------------------------------------------------------

    def _request(self, message, timeout, cpu_budget, what):
        if self.process is None or self.process.poll() is not None:
            self._start()
        started = time.monotonic()
        reply = self._exchange(message, timeout, cpu_budget, what)
        if reply.get("ok"):
            return CallResult(reply.get("value"), float(reply.get("cpu_seconds") or 0.0),
                              time.monotonic() - started, self.peak_memory, self._drain.total)
        error = reply.get("error") or {}
        if error.get("kind") == "unencodable":
            raise StudentException(f"{what} returned something the grader cannot read: "
                                   f"{error.get('message', '')}")
        raise StudentException(f"{what} raised " + _format_error(error))

    def _exchange(self, message, timeout, cpu_budget, what):
        """Send one request (None: just wait for the greeting) and wait for its reply.

        Reading the answer and watching the process are separate: the watchdog looks at
        the sandbox's processes every WATCH_INTERVAL, however many pieces the answer comes in.
        """
        if message is not None:
            try:
                codec.write_frame(self._send_fd, message)
            except OSError:
                self._fail(StudentCrash, f"the process running your code had ended before {what} "
                                         f"could be called ({self._exit_description()})")
        reader = codec.FrameReader(self._receive_fd)
        deadline = time.monotonic() + timeout
        cpu_at_start = self._cpu_seconds()
        next_watch = next_slow_watch = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= deadline:
                self._fail(StudentTimeout, f"{what} did not finish within {timeout:g} s "
                                           "(wall clock); an infinite loop, or far too slow")
            if now >= next_watch:
                self._watch(what, cpu_budget, cpu_at_start, slow=now >= next_slow_watch)
                next_watch = now + WATCH_INTERVAL
                if now >= next_slow_watch:
                    next_slow_watch = now + SLOW_WATCH_INTERVAL
            wait = max(0.0, min(deadline, next_watch) - time.monotonic())
            ready, _, _ = select.select([self._receive_fd], [], [], wait)
            if not ready:
                continue
            try:
                frame = reader.step()
            except EOFError:
                self._fail(StudentCrash, f"the process running your code ended during {what} "
                                         f"({self._exit_description()})")
            except codec.CodecError as err:
                self._fail(StudentCrash, f"during {what} the process sent data the grader does not accept ({err})")
            if frame is None:
                continue
            try:
                reply = codec.decode(frame)
            except codec.CodecError as err:
                self._fail(StudentCrash, f"{what} returned data the grader cannot read ({err})")
            if not isinstance(reply, dict):
                self._fail(StudentCrash, f"the protocol was broken during {what}")
            return reply

    def _cpu_seconds(self, pids=None):
        """CPU of this worker, of every process of the sandbox but the other workers (children
        they reaped included: cutime, cstime) and of the orphans the grader reaped."""
        if self.process is None:
            return 0.0
        pids = self.sandbox.process_ids() if pids is None else pids
        counted = [p for p in pids if p == self.process.pid or p not in self.sandbox._workers]
        return sum(info.cpu_seconds for info in map(processes.stat, counted) if info) + self.sandbox.reaped_cpu

    def _watch(self, what, cpu_budget, cpu_at_start, slow):
        """One look at the sandbox's processes. Resident size (cheap) bounds the proportional
        size (a page read per mapping) from above, so the latter is read only when the former
        is over the limit, and every ``slow`` look for the peak figure, with the disk."""
        pids = self.sandbox.process_ids()
        self.sandbox.reap_orphans(pids)
        infos = {p: processes.stat(p) for p in pids}
        outside = self.sandbox.memory_outside_mappings(pids)
        limit = self.limits.memory_mb << 20
        memory = sum(info.rss for info in infos.values() if info) + outside
        if memory > limit or slow:
            memory = sum(processes.proportional_memory(p, info.rss) for p, info in infos.items() if info) + outside
            self.peak_memory = max(self.peak_memory, memory)
        if memory > limit:
            self._fail(StudentCrash, f"{what} used more than {self.limits.memory_mb} MB of memory "
                                     f"({memory >> 20} MB); it was stopped")
        if cpu_budget is not None:
            if self._cpu_seconds(pids) - cpu_at_start > cpu_budget:
                self._fail(StudentTimeout, f"{what} used more than {cpu_budget:g} s of CPU time; it was stopped")
        if slow:
            used = processes.folder_bytes(self.sandbox.scratch_dir)
            if used > self.limits.disk_mb << 20:
                self._stop()
                for entry in os.listdir(self.sandbox.scratch_dir):
                    path = os.path.join(self.sandbox.scratch_dir, entry)
                    shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.unlink(path)
                raise StudentCrash(f"{what} wrote more than {self.limits.disk_mb} MB of files "
                                   f"({used >> 20} MB); it was stopped and its files removed")

    def _exit_description(self):
        if self.process is None:
            return "not started"
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            hints = {"SIGSEGV": "a crash in native code", "SIGKILL": "killed, often for memory",
                     "SIGXCPU": "CPU time limit", "SIGXFSZ": "wrote a file that was too large",
                     "SIGSYS": "a forbidden system call"}
            return f"signal {name}" + (f": {hints[name]}" if name in hints else "")
        return f"exit status {code}: sys.exit or os._exit was called, or the interpreter crashed"

    def _fail(self, kind, message):
        self._stop()
        raise kind(message)

    def _stop(self):
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
            self.sandbox.kill_all()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self.sandbox._workers.discard(self.process.pid)
        for fd in (getattr(self, "_send_fd", None), getattr(self, "_receive_fd", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._send_fd = self._receive_fd = None
        if getattr(self, "_drain", None) is not None:
            self._drain.join(timeout=2)
        self.process = None


def _format_error(error):
    if not isinstance(error, dict):
        return "an unknown error"
    text = f"{error.get('type', 'Exception')}: {error.get('message', '')}".strip()
    if error.get("where"):
        text += f" (at {error['where']})"
    trace = error.get("trace")
    if isinstance(trace, list) and len(trace) > 1:
        text += "\nTraceback in your files (most recent call last):\n" + "\n".join(map(str, trace))
    return text
