"""Run student code in a separate, limited process and talk to it with data only.

The grader (trusted) never imports student code. For each student module it
starts ``worker.py`` in a child process that

- runs as a spare, otherwise unused uid when the grader is root (as on
  Gradescope), so it can't read the grader's files, write the results, or
  signal the grader; each grading claims its own uid, so "kill every process
  of that user" is exact;
- has limits on address space, CPU time, processes, file size and core dumps,
  a wall-clock timeout per call, a CPU-time budget per call, and a memory
  watchdog that sums the resident memory of all its processes;
- gets its requests and sends its answers over pipes in the data-only codec;
  whatever it prints goes to a separate pipe, of which only the first
  kilobytes are kept.

When a call fails in any way (exception, exit, crash, hang, memory) the test
gets a :class:`StudentError` whose message is written for the student, and the
next call starts a fresh process. ``close()`` kills the whole process tree and,
under a spare uid, every process of that uid.
"""
import ctypes
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
from dataclasses import dataclass, field

from . import codec

HERE = os.path.dirname(os.path.abspath(__file__))
SPARE_UIDS = range(61000, 61500)
PAGE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


@dataclass
class Limits:
    """Resource limits for one student process."""
    memory_mb: int = 600             # resident memory, summed over its processes
    address_space_mb: int = 3072     # per process; torch alone maps ~700 MB
    cpu_seconds: int = 600           # for the whole life of the process
    processes: int = 64              # threads count too; only under a spare uid
    file_size_mb: int = 64
    output_kb: int = 64              # what is kept of its stdout/stderr
    threads: int = 1                 # OMP/MKL/torch threads

    def rlimits(self, spare_uid):
        limits = {
            "RLIMIT_AS": self.address_space_mb << 20,
            "RLIMIT_CPU": self.cpu_seconds,
            "RLIMIT_FSIZE": self.file_size_mb << 20,
            "RLIMIT_CORE": 0,
        }
        if spare_uid:
            limits["RLIMIT_NPROC"] = self.processes
        return limits


def _set_child_subreaper():
    """Orphaned descendants are re-parented to us, so none can slip away."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _process_table():
    """{pid: (ppid, uid, rss_bytes, cpu_seconds)} for every live process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().rsplit(b")", 1)[1].split()
            uid = os.stat(f"/proc/{entry}").st_uid
        except (OSError, IndexError):
            continue
        ppid, rss_pages = int(stat[1]), int(stat[21])
        cpu = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
        table[int(entry)] = (ppid, uid, rss_pages * PAGE, cpu)
    return table


def _descendants(root_pid, table):
    children = {}
    for pid, (ppid, *_rest) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


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


def _memory_of(pids, table):
    """Memory of a set of processes: proportional set size (shared pages split between
    the processes that share them, so forked children are not counted twice), or
    resident size where the kernel does not tell."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
                else:
                    total += table[pid][2]
        except (OSError, ValueError):
            total += table[pid][2]
    return total


class Sandbox:
    """One grading's sandbox: a private directory tree and, as root, a spare uid.

    Layout of ``self.root`` (mode 0711: others may enter, not list):
        submission/  copy of the student's .py files, read-only to the student
        runtime/     worker.py, the codec and the worker-side tasks
        data/        inputs the grader shares with student code (no test labels)
        scratch/     the student's cwd, HOME and TMPDIR, writable by it
    The first three belong to root with the spare uid's group (0750, files 0640),
    so another grading's student, under another uid, can read none of them.
    """

    def __init__(self, submission_files, *, base_dir=None, use_spare_uid=None):
        _set_child_subreaper()
        if use_spare_uid is None:
            use_spare_uid = os.geteuid() == 0
        self.uid, self._uid_lock = (self._claim_uid() if use_spare_uid else (None, None))
        self.root = tempfile.mkdtemp(prefix="autograder-", dir=base_dir)
        os.chmod(self.root, 0o711)
        self.submission_dir = self._mkdir("submission", 0o750)
        self.runtime_dir = self._mkdir("runtime", 0o750)
        self.data_dir = self._mkdir("data", 0o750)
        self.scratch_dir = self._mkdir("scratch", 0o700)
        for name, path in submission_files.items():
            self.share(path, os.path.join(self.submission_dir, name))
        for source, target in [("worker.py", "worker.py"), ("codec.py", "_ag_codec.py"),
                               ("tasks.py", "_ag_tasks.py")]:
            self.share(os.path.join(HERE, source), os.path.join(self.runtime_dir, target))
        if self.uid is not None:
            os.chown(self.scratch_dir, self.uid, self.uid)
            if not self._uid_can_run_python():
                self._release_uid()
        self.isolation = ("separate process as spare uid %d" % self.uid if self.uid is not None
                          else "separate process as the grader's own user (not root, or the "
                               "interpreter is not reachable by other users): no file isolation")

    def share(self, source, target=None):
        """Copy ``source`` to ``target`` (or fix ``source`` in place) so that only this
        grading's student process can read it: owned by root, group = the spare uid's, 0640.

        Other gradings running at the same time, with other uids, cannot read it.
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
        lock_dir = os.path.join(tempfile.gettempdir(), "autograder-uids")
        os.makedirs(lock_dir, mode=0o700, exist_ok=True)
        for uid in SPARE_UIDS:
            handle = open(os.path.join(lock_dir, str(uid)), "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self._kill_uid(uid)  # leftovers from a grading that died
            return uid, handle
        return None, None

    def _release_uid(self):
        if self._uid_lock is not None:
            self._uid_lock.close()
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
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # kept: see the machine notes
            if var in os.environ:
                env[var] = os.environ[var]
        return env

    def start(self, module, limits=None, import_timeout=120.0):
        """A :class:`StudentProcess` with ``module`` imported (raises ModuleUnavailable)."""
        return StudentProcess(self, module, limits or Limits(), import_timeout)

    def kill_all(self, root_pid=None):
        """Kill the student's processes: the tree under us and every process of the uid."""
        for _attempt in range(50):
            table = _process_table()
            victims = set(_descendants(os.getpid(), table))
            if self.uid is not None:
                victims |= {pid for pid, (_p, uid, *_r) in table.items() if uid == self.uid}
            victims.discard(os.getpid())
            if not victims:
                break
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self._reap_zombies()
            time.sleep(0.01)
        self._reap_zombies()

    @staticmethod
    def _kill_uid(uid):
        for _attempt in range(50):
            pids = [pid for pid, (_p, owner, *_r) in _process_table().items() if owner == uid]
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)

    @staticmethod
    def _reap_zombies():
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def close(self):
        self.kill_all()
        if self.uid is not None:
            _remove_files_owned_by(self.uid)
        if self._uid_lock is not None:
            self._uid_lock.close()
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
        config = {"read_fd": to_worker_r, "write_fd": from_worker_w, "module": self.module,
                  "submission_dir": sandbox.submission_dir,
                  "limits": self.limits.rlimits(sandbox.uid is not None)}
        extra = {}
        if sandbox.uid is not None:
            extra = {"user": sandbox.uid, "group": sandbox.uid, "extra_groups": []}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", os.path.join(sandbox.runtime_dir, "worker.py"), json.dumps(config)],
                pass_fds=(to_worker_r, from_worker_w), stdin=subprocess.DEVNULL,
                stdout=output_w, stderr=output_w, cwd=sandbox.scratch_dir,
                env=sandbox.environment(self.limits.threads), start_new_session=True, **extra)
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
            raise ModuleUnavailable(f"{self.module}.py could not be imported: "
                                    + _format_error(error))
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
        """Send one request (None: just wait for the greeting) and wait for its reply."""
        if message is not None:
            try:
                data = codec.encode(message)
                os.write(self._send_fd, len(data).to_bytes(8, "big"))
                view = memoryview(data)
                while view:
                    view = view[os.write(self._send_fd, view):]
            except (BrokenPipeError, OSError):
                self._fail(StudentCrash, f"the process running your code had ended before {what} "
                                         f"could be called ({self._exit_description()})")
        reader = _FrameReader(self._receive_fd)
        deadline = time.monotonic() + timeout
        cpu_at_start = self._tree_usage()[1]
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._fail(StudentTimeout, f"{what} did not finish within {timeout:g} s "
                                           "(wall clock); an infinite loop, or far too slow")
            ready, _, _ = select.select([self._receive_fd], [], [], min(remaining, 0.05))
            if ready:
                try:
                    frame = reader.read_available()
                except codec.CodecError as err:
                    self._fail(StudentCrash, f"during {what} the process sent unreadable data ({err})")
                if frame is False:
                    self._fail(StudentCrash, f"the process running your code ended during {what} "
                                             f"({self._exit_description()})")
                if frame is not None:
                    try:
                        reply = codec.decode(frame)
                    except codec.CodecError as err:
                        self._fail(StudentCrash, f"{what} returned data the grader cannot read ({err})")
                    if not isinstance(reply, dict):
                        self._fail(StudentCrash, f"the protocol was broken during {what}")
                    return reply
            memory, cpu = self._tree_usage()
            self.peak_memory = max(self.peak_memory, memory)
            if memory > self.limits.memory_mb << 20:
                self._fail(StudentCrash, f"{what} used more than {self.limits.memory_mb} MB of memory "
                                         f"({memory >> 20} MB); it was stopped")
            if cpu_budget is not None and cpu - cpu_at_start > cpu_budget:
                self._fail(StudentTimeout, f"{what} used more than {cpu_budget:g} s of CPU time; it was stopped")

    def _tree_usage(self):
        """(resident bytes, CPU seconds) summed over the worker and its descendants."""
        if self.process is None:
            return 0, 0.0
        table = _process_table()
        pids = [self.process.pid] + _descendants(self.process.pid, table)
        if self.sandbox.uid is not None:
            pids += [p for p, (_pp, uid, *_r) in table.items() if uid == self.sandbox.uid]
        pids = {p for p in pids if p in table}
        return _memory_of(pids, table), sum(table[p][3] for p in pids)

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
                     "SIGXCPU": "CPU time limit", "SIGXFSZ": "wrote a file that was too large"}
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


class _FrameReader:
    """Collects one length-prefixed frame from a non-blocking read loop."""

    def __init__(self, fd):
        self.fd, self.buffer, self.length = fd, bytearray(), None

    def read_available(self):
        """The frame once complete; None if more is needed; False at end of file."""
        chunk = os.read(self.fd, 1 << 20)
        if not chunk:
            return False
        self.buffer += chunk
        if self.length is None and len(self.buffer) >= 8:
            self.length = int.from_bytes(self.buffer[:8], "big")
            if self.length > codec.MAX_MESSAGE_BYTES:
                raise codec.CodecError("message too large")
        if self.length is not None and len(self.buffer) >= 8 + self.length:
            return bytes(self.buffer[8:8 + self.length])
        return None


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
