"""One student process: a worker with one student module imported, spoken to with data only.

Requests and replies go over two pipes in the data-only codec; whatever the student's code
prints goes to a third pipe that is drained (and counted, never shown: it could be anything).
While the grader waits for a reply, a :class:`~autograder.sandbox.watchdog.Watchdog` looks at
the sandbox. Any failure stops the process and raises a typed :class:`~autograder.errors.StudentError`
whose message is for the student; the next request starts a fresh process.

Between requests the sandbox is stopped (SIGSTOP), from the moment a reply is in until the next
request is sent, and the watchdog takes one more look once it stands still. Stopping rather
than watching between requests: while the grader judges an answer (seconds, for a trained
model) nothing of the student's runs at all, so nothing it does can happen unseen or be
charged to no request, and the grader spends no CPU watching an idle sandbox.
"""
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from autograder.errors import (DiskBudgetExceeded, ModuleUnavailable, OutOfMemory, SandboxError, StudentCrash,
                               StudentError, StudentException, StudentTimeout)
from autograder.sandbox import codec
from autograder.sandbox.watchdog import DISK_WATCH_INTERVAL, Watchdog

PIPE_BYTES = 1 << 20        # the answer pipe's buffer (F_SETPIPE_SZ): fewer wake-ups for big answers
F_SETPIPE_SZ = 1031         # fcntl.F_SETPIPE_SZ exists only from Python 3.10 on some builds


class _OutputDrain(threading.Thread):
    """Reads (and drops) the student's stdout/stderr, so that printing never blocks it."""

    def __init__(self, fd):
        super().__init__(daemon=True)
        self.fd = fd

    def run(self):
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
        os.close(self.fd)


@dataclass
class CallResult:
    value: object
    cpu_seconds: float
    peak_memory: int = 0


class StudentProcess:
    """One running worker with one student module imported."""

    def __init__(self, sandbox, module, limits, import_timeout=120.0):
        self.sandbox, self.module, self.limits = sandbox, module, limits
        self.import_timeout = import_timeout
        self.process = None
        self.names = {}
        self.watchdog = None
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
            sandbox.workers.add(self.process.pid)
            self.watchdog = Watchdog(sandbox, self.process.pid, self.limits)
        finally:
            for fd in (to_worker_r, from_worker_w, output_w):
                os.close(fd)
        self._send_fd, self._receive_fd = to_worker_w, from_worker_r
        self._drain = _OutputDrain(output_r)
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

    def task(self, task_name, /, *, timeout, cpu_budget=None, what=None, grader_data=0, **kwargs):
        """Run a worker-side task from tasks.py with this module (``kwargs`` may include ``name``).

        ``grader_data``: bytes of the grader's own data the task loads into the worker (the
        training images and their float copy): the message about memory tells them apart.
        """
        return self._request({"op": "task", "name": task_name, "kwargs": kwargs},
                             timeout, cpu_budget, what or task_name, grader_data)

    def close(self):
        self._stop()

    # Internals ----------------------------------------------------------

    def _request(self, message, timeout, cpu_budget, what, grader_data=0):
        if self.process is None or self.process.poll() is not None:
            self._start()
        self.watchdog.note_grader_data(grader_data)   # for the rest of this process's life
        reply = self._exchange(message, timeout, cpu_budget, what)
        if reply.get("ok"):
            return CallResult(reply.get("value"), float(reply.get("cpu_seconds") or 0.0),
                              self.watchdog.peak_memory)
        error = reply.get("error") or {}
        if error.get("kind") == "unencodable":
            raise StudentException(f"{what} returned something the grader cannot read: "
                                   f"{error.get('message', '')}")
        # The address-space limit shows as a MemoryError raised in the student's code.
        kind = OutOfMemory if error.get("type") == "MemoryError" else StudentException
        raise kind(f"{what} raised " + _format_error(error))

    def _exchange(self, message, timeout, cpu_budget, what):
        """Send one request (None: just wait for the greeting) and wait for its reply.

        Reading the answer and watching the process are separate: the watchdog looks at
        the sandbox's processes every WATCH_INTERVAL, however many pieces the answer comes in.
        """
        if message is not None:
            self.sandbox.resume()
            try:
                codec.write_frame(self._send_fd, message)
            except OSError:
                self._fail(StudentCrash, f"the process running your code had ended before {what} "
                                         f"could be called ({self._exit_description()})")
        reader = codec.FrameReader(self._receive_fd)
        deadline = time.monotonic() + timeout
        cpu_at_start = self.watchdog.cpu_seconds()
        next_watch = next_disk_watch = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= deadline:
                self._fail(StudentTimeout, f"{what} did not finish within {timeout:g} s "
                                           "(wall clock); an infinite loop, or far too slow")
            if now >= next_watch:
                disk_too = now >= next_disk_watch
                next_watch = now + self._look(what, cpu_budget, cpu_at_start, disk_too)
                if disk_too:
                    next_disk_watch = now + DISK_WATCH_INTERVAL
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
            if not self.sandbox.pause():
                self._fail(StudentCrash, f"after {what} answered, its processes could not be stopped until "
                                         "the next call (one stuck in the kernel, or more and more of them)")
            self._look(what, cpu_budget, cpu_at_start, disk_too=True)  # what the request left behind
            try:
                reply = codec.decode(frame)
            except codec.CodecError as err:
                self._fail(StudentCrash, f"{what} returned data the grader cannot read ({err})")
            if not isinstance(reply, dict):
                self._fail(StudentCrash, f"the protocol was broken during {what}")
            return reply

    def _look(self, what, cpu_budget, cpu_at_start, disk_too):
        """One look of the watchdog; on a verdict, stop the process (and empty scratch for disk)."""
        try:
            return self.watchdog.look(what, cpu_budget, cpu_at_start, disk_too)
        except StudentError as stopped:
            self._stop()
            if isinstance(stopped, DiskBudgetExceeded):
                self.sandbox.clear_scratch()
            raise

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
        # What a request stopped for another reason (time, a crash) left on disk is judged too: over
        # the budget, it is removed, so that the next process does not start over it (and is not
        # blamed for it).
        if self.watchdog is not None and self.watchdog.disk_over_budget():
            self.sandbox.clear_scratch()
            message += "; it had also filled its folder past the disk budget, which was emptied"
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
            self.sandbox.workers.discard(self.process.pid)
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
