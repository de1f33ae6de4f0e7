"""Watching the sandbox while a request runs: memory, CPU and disk of all its processes.

The grader's process is the subreaper of everything the student starts, so the sandbox's
processes are the grader's descendants (orphans included). While the grader waits for an
answer a :class:`Watchdog` looks at them, and raises the typed :mod:`autograder.errors` kind
that stopped the student. Between requests the sandbox does not run at all (the process
stops it as soon as an answer is in, see ``process.py``), and one last look right after that
stop judges what the request left behind: so a thread that goes on allocating after its
function has answered, or a child that keeps writing, is seen and charged to that request.

Memory is judged on figures the kernel keeps, not on samples: each process's high-water mark
of resident memory (``VmHWM``), summed over the sandbox's processes (and the last mark of one
that ended since the previous look, or its ``ru_maxrss`` when the grader reaped it), plus
memory held outside any mapping (memfds, /dev/shm, System V). A peak between two looks is
never missed, and resident pages count in full whoever else maps them, so the same code gets
the same verdict on a quiet machine and beside busy ones. (A forked child pays for the pages
it still shares with its parent: the kernel keeps no peak of a shared figure. Correct
submissions start no processes.)

Looks come closer together as memory nears the limit: the next one is due before the
processes could add ``config.WATCHDOG_MARGIN_MB`` beyond it at ``ALLOCATION_RATE``, so the
whole tree stays inside the container while the verdict stays the kernel's.
"""

from autograder import config
from autograder.errors import DiskBudgetExceeded, OutOfMemory, StudentTimeout
from autograder.sandbox import disk, processes

MAX_WATCH_INTERVAL = 0.1    # seconds between two looks at memory and CPU, far from the memory limit
MIN_WATCH_INTERVAL = 0.01   # ... and close to it
DISK_WATCH_INTERVAL = 0.5   # seconds between two looks at the scratch folder during a request
# Faster than a process can fault pages in here (about 2 GB/s measured on the 2-core development
# machine; Gradescope gives half a CPU), with room for several threads at once.
ALLOCATION_RATE = 4 << 30   # bytes per second
MB = 1 << 20


class Watchdog:
    """Looks at the sandbox on behalf of one worker (``worker_pid``) during its requests."""

    def __init__(self, sandbox, worker_pid, limits):
        self.sandbox, self.worker_pid, self.limits = sandbox, worker_pid, limits
        self.peak_memory = 0         # the most the sandbox's processes held at once (bytes, as judged)
        self.grader_data = 0         # bytes of the grader's own data loaded into the worker
        self._last_peaks = {}        # pid -> its VmHWM at the previous look
        self._below_peaks = 0        # bytes the processes hold less than their peaks, at the last look

    # Memory ---------------------------------------------------------------

    @property
    def memory_limit(self):
        return self.limits.memory_mb << 20

    def note_grader_data(self, nbytes):
        """The worker now holds (or held) ``nbytes`` of data the grader put there: part of its peaks
        for the rest of its life, and not the student's doing, which the message about memory says."""
        self.grader_data = max(self.grader_data, int(nbytes))

    def memory(self, pids):
        """The sandbox's memory as judged: high-water marks of its processes, those that ended
        since the previous look included, plus memory outside mappings."""
        peaks, self._below_peaks = {}, 0
        for pid in pids:
            found = processes.resident_memory(pid)
            if found is not None:
                peaks[pid] = found[1]
                self._below_peaks += found[1] - found[0]
        reaped = self.sandbox.reap_orphans(pids)
        ended = (set(self._last_peaks) | set(reaped.peaks)) - set(peaks)
        total = sum(peaks.values()) + sum(max(self._last_peaks.get(p, 0), reaped.peaks.get(p, 0)) for p in ended)
        self._last_peaks = peaks
        total += self.sandbox.memory_outside_mappings(pids)
        self.peak_memory = max(self.peak_memory, total)
        return total

    def memory_message(self, what, used):
        limits = self.limits
        limit_mb = self.memory_limit // MB
        parts = []
        if limits.baseline_mb:
            parts.append(f"{limits.baseline_mb} MB for Python and the libraries it imports")
        if self.grader_data:
            parts.append(f"{-(-self.grader_data // MB)} MB for the training data the grader loads for you")
        if parts:
            parts.append(f"{max(0, limit_mb - limits.baseline_mb - -(-self.grader_data // MB))} MB for your code")
        machine = f" on this {limits.container_mb} MB grading machine" if limits.container_mb else ""
        split = f" ({', '.join(parts)})" if parts else ""
        return (f"{what} used more than the {limit_mb} MB of memory your code's processes may use{machine}"
                f"{split}: {-(-used // MB)} MB at its peak, counting all the memory each process held; it was "
                "stopped")

    # CPU ------------------------------------------------------------------

    def cpu_seconds(self, pids=None):
        """CPU of this worker, of every process of the sandbox but the other workers (children
        they reaped included: cutime, cstime) and of the orphans the grader reaped."""
        pids = self.sandbox.process_ids() if pids is None else pids
        counted = [p for p in pids if p == self.worker_pid or p not in self.sandbox.workers]
        return sum(info.cpu_seconds for info in map(processes.stat, counted) if info) + self.sandbox.reaped_cpu

    # Looking --------------------------------------------------------------

    def look(self, what, cpu_budget, cpu_at_start, disk_too):
        """One look at the sandbox's processes (and its scratch folder when ``disk_too``).
        Raises the kind of :class:`~autograder.errors.StudentError` that stops the student;
        returns the seconds until the next look is due."""
        pids = self.sandbox.process_ids()
        used = self.memory(pids)
        if used > self.memory_limit:
            raise OutOfMemory(self.memory_message(what, used))
        if cpu_budget is not None and self.cpu_seconds(pids) - cpu_at_start > cpu_budget:
            raise StudentTimeout(f"{what} used more than {cpu_budget:g} s of CPU time; it was stopped")
        if disk_too:
            self.check_disk(what, pids)
        # The judged sum grows only as a process goes past its own peak: memory it freed since must be
        # taken again first.
        room = self.memory_limit + (config.WATCHDOG_MARGIN_MB << 20) - used + self._below_peaks
        return min(MAX_WATCH_INTERVAL, max(MIN_WATCH_INTERVAL, room / ALLOCATION_RATE))

    def disk_over_budget(self, pids=()):
        limits = self.limits
        return disk.scratch_usage(self.sandbox.scratch_dir, pids, limits.disk_mb << 20, limits.files).over(
            limits.disk_mb << 20, limits.files)

    def check_disk(self, what, pids):
        limits = self.limits
        use = disk.scratch_usage(self.sandbox.scratch_dir, pids, limits.disk_mb << 20, limits.files)
        if use.entries > limits.files:
            raise DiskBudgetExceeded(f"{what} created more than {limits.files:,} files (deleted files still "
                                     "open included); it was stopped and its files removed")
        if use.bytes > limits.disk_mb << 20:
            hidden = f", {use.hidden_bytes // MB} MB of them in deleted files still open" if use.hidden_bytes else ""
            raise DiskBudgetExceeded(f"{what} wrote more than {limits.disk_mb} MB of files "
                                     f"({use.bytes // MB} MB{hidden}); it was stopped and its files removed")
