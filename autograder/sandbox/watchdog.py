"""Watching one student process while a request runs: memory, CPU and disk of the whole sandbox.

The grader's process is the subreaper of everything the student starts, so the sandbox's
processes are the grader's descendants (orphans included). A watchdog looks at them every
``WATCH_INTERVAL`` while the grader waits for an answer, and raises the typed
:mod:`autograder.errors` kind that stopped the student.
"""

from autograder.errors import DiskBudgetExceeded, OutOfMemory, StudentTimeout
from autograder.sandbox import processes

WATCH_INTERVAL = 0.1        # seconds between two looks at memory and CPU
SLOW_WATCH_INTERVAL = 0.5   # seconds between two looks at the scratch folder's size and at PSS


class Watchdog:
    """Looks at the sandbox on behalf of one worker (``worker_pid``) during one request."""

    def __init__(self, sandbox, worker_pid, limits):
        self.sandbox, self.worker_pid, self.limits = sandbox, worker_pid, limits
        self.peak_memory = 0

    def cpu_seconds(self, pids=None):
        """CPU of this worker, of every process of the sandbox but the other workers (children
        they reaped included: cutime, cstime) and of the orphans the grader reaped."""
        pids = self.sandbox.process_ids() if pids is None else pids
        counted = [p for p in pids if p == self.worker_pid or p not in self.sandbox.workers]
        return sum(info.cpu_seconds for info in map(processes.stat, counted) if info) + self.sandbox.reaped_cpu

    def look(self, what, cpu_budget, cpu_at_start, slow):
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
            raise OutOfMemory(f"{what} used more than {self.limits.memory_mb} MB of memory "
                              f"({memory >> 20} MB); it was stopped")
        if cpu_budget is not None and self.cpu_seconds(pids) - cpu_at_start > cpu_budget:
            raise StudentTimeout(f"{what} used more than {cpu_budget:g} s of CPU time; it was stopped")
        if slow:
            used = processes.folder_bytes(self.sandbox.scratch_dir)
            if used > self.limits.disk_mb << 20:
                raise DiskBudgetExceeded(f"{what} wrote more than {self.limits.disk_mb} MB of files "
                                         f"({used >> 20} MB); it was stopped and its files removed")



