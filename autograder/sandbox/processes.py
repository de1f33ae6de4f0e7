"""The process table as the sandbox, the batch runner and the tests need it.

Two ways to find a student's processes, for two costs:

- :func:`tree` walks ``/proc/PID/task/TID/children`` down from one process:
  it reads a file per process of the tree, whatever else runs on the machine,
  so the watchdog can afford it several times a second;
- :func:`pids_of_uid` reads every ``/proc/PID`` once: for closing a grading
  (or claiming a uid), when anything of the spare uid must be found, wherever
  it went.

With the grader a child subreaper, orphans of the student's processes become
the grader's children, so a tree walk from the grader finds them too.
"""
import ctypes
import os
import signal
import time
from dataclasses import dataclass, field

PR_SET_CHILD_SUBREAPER = 36   # prctl option (linux/prctl.h)
PAGE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Fields of /proc/PID/stat, counted from the first after the command name (man 5 proc).
_STATE, _PPID, _UTIME, _STIME, _CUTIME, _CSTIME, _RSS = 0, 1, 11, 12, 13, 14, 21


@dataclass
class Process:
    pid: int
    ppid: int
    state: str
    cpu_seconds: float        # its own CPU and that of the children it reaped (cutime, cstime)
    rss: int
    comm: str = ""


def stat(pid):
    """A :class:`Process` for ``pid``, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    try:
        comm = raw[raw.index(b"(") + 1:raw.rindex(b")")].decode(errors="replace")
        fields = raw[raw.rindex(b")") + 2:].split()
        ticks = sum(int(fields[i]) for i in (_UTIME, _STIME, _CUTIME, _CSTIME))
        return Process(pid, int(fields[_PPID]), fields[_STATE].decode(), ticks / CLOCK_TICKS,
                       int(fields[_RSS]) * PAGE, comm)
    except (ValueError, IndexError):
        return None


def children(pid):
    """Direct children of ``pid`` (of all its threads)."""
    found = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                found += [int(p) for p in f.read().split()]
        except (OSError, ValueError):
            pass
    return found


def descendants(root_pid):
    """Every descendant of ``root_pid`` (not itself), by walking down the tree."""
    found, stack, seen = [], [root_pid], {root_pid}
    while stack:
        for child in children(stack.pop()):
            if child not in seen:
                seen.add(child)
                found.append(child)
                stack.append(child)
    return found


def tree(root_pid):
    """``root_pid`` and its descendants that are still in the process table."""
    return [p for p in [root_pid] + descendants(root_pid) if os.path.exists(f"/proc/{p}")]


def uid_of(pid):
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def pids_of_uid(uid):
    """Every process of ``uid`` (reads all of /proc: not for every poll)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and uid_of(entry) == uid:
            found.append(int(entry))
    return found


def table():
    """{pid: (Process, uid)} for every live process (reads all of /proc: not for every poll)."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info, uid = stat(int(entry)), uid_of(entry)
            if info is not None and uid is not None:
                found[info.pid] = (info, uid)
    return found


def signal_each(pids, signum):
    """Send ``signum`` to each of ``pids``; a process already gone is skipped."""
    for pid in pids:
        try:
            os.kill(pid, signum)
        except OSError:
            pass


def kill(pids):
    signal_each(pids, signal.SIGKILL)


def kill_uid(uid, attempts=50):
    """SIGKILL every process of ``uid`` until none is left (a fork loop needs several rounds)."""
    for _attempt in range(attempts):
        pids = [p for p in pids_of_uid(uid) if (stat(p) or Process(p, 0, "Z", 0, 0)).state != "Z"]
        if not pids:
            return
        kill(pids)
        time.sleep(0.01)


def kill_tree(root_pid, attempts=20):
    """SIGKILL ``root_pid`` and all its descendants, its process group too."""
    for _attempt in range(attempts):
        victims = descendants(root_pid)
        if not victims:
            break
        kill(victims)
        time.sleep(0.01)
    kill([root_pid])
    try:
        os.killpg(root_pid, signal.SIGKILL)
    except OSError:
        pass


def set_child_subreaper():
    """Orphaned descendants are re-parented to us, so none can slip away."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


@dataclass
class Reaped:
    """What the kernel told about the processes :func:`reap` collected."""
    cpu_seconds: float = 0.0      # their CPU and that of the children they reaped
    peaks: dict = field(default_factory=dict)   # pid -> most resident memory it had (bytes)


def reap(pids):
    """Collect the exit status of those of ``pids`` that are our finished children.

    Returns a :class:`Reaped`: the CPU seconds they used and the peak resident memory of
    each, which no process table shows once they are gone.
    """
    reaped = Reaped()
    for pid in pids:
        try:
            done, _status, usage = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        if done:
            reaped.cpu_seconds += usage.ru_utime + usage.ru_stime
            reaped.peaks[pid] = usage.ru_maxrss * 1024
    return reaped


def resident_memory(pid):
    """``(now, peak)``: the resident memory of process ``pid`` (VmRSS) and the most it has had so
    far (VmHWM), in bytes; None if it is gone (or a zombie).

    The kernel keeps the high-water mark itself, so a peak between two looks is never missed,
    and it counts every page the process maps, whoever else maps it: unlike the proportional
    size, it does not drop when other processes load the same libraries.
    """
    now = peak = None
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    peak = int(line.split()[1]) * 1024
                elif line.startswith(b"VmRSS:"):
                    now = int(line.split()[1]) * 1024
                    break   # VmRSS comes after VmHWM
    except (OSError, ValueError, IndexError):
        return None
    return None if peak is None else (now if now is not None else peak, peak)


def peak_resident(pid):
    """VmHWM of process ``pid`` in bytes (see :func:`resident_memory`), or None if it is gone."""
    found = resident_memory(pid)
    return None if found is None else found[1]


# ----------------------------------------------------------------------------- pausing

STOPPED_STATES = ("T", "t", "Z", "X")


def _all_threads_stopped(pid):
    """True when every thread of ``pid`` is stopped (or the process is gone)."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return True
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as f:
                raw = f.read()
            state = raw[raw.rindex(b")") + 2:raw.rindex(b")") + 3].decode()
        except (OSError, ValueError):
            continue
        if state not in STOPPED_STATES:
            return False
    return True


def stop_all(list_pids, timeout=2.0):
    """SIGSTOP every process ``list_pids()`` returns, wait until all their threads stand still,
    and list again until a listing finds no process not yet stopped.

    A process may fork while the signal is on its way: once it is stopped, its fork is complete
    and the child is in the next listing, so when a listing brings nothing new, nothing of the
    sandbox can run. Returns False if that did not happen within ``timeout`` seconds (a thread
    stuck in the kernel, or processes multiplying faster than they are stopped).
    """
    deadline = time.monotonic() + timeout
    signalled = set()
    while True:
        pids = list_pids()
        new = [p for p in pids if p not in signalled]
        signal_each(new, signal.SIGSTOP)
        signalled.update(new)
        while not all(_all_threads_stopped(p) for p in pids):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.0002)
        if not new:
            return True


def resume_all(pids):
    signal_each(pids, signal.SIGCONT)


# ----------------------------------------------------------------------------- memory beyond mappings

SHARED_MEMORY_DIR = "/dev/shm"
IPC_RMID = 0                                   # sys/ipc.h
_SYSV_TABLES = {                               # /proc/sysvipc/<table>: (id column, uid column, remover)
    "shm": (1, 7, "shmctl"),
    "msg": (1, 7, "msgctl"),
    "sem": (1, 4, "semctl"),
}


def _sysv_rows(table):
    try:
        with open(f"/proc/sysvipc/{table}", "rb") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return []
    return [line.split() for line in lines if line.strip()]


def sysv_shared_memory_of_uid(uid):
    """Bytes of System V shared memory segments created by ``uid`` (mapped or not)."""
    total = 0
    for row in _sysv_rows("shm"):
        try:
            if int(row[7]) == uid or int(row[9]) == uid:   # owner or creator
                total += int(row[3])
        except (ValueError, IndexError):
            pass
    return total


def sysv_objects_of_uid(uid):
    """[(table, id)] of the System V shared memory segments, message queues and semaphores of ``uid``."""
    found = []
    for table, (id_column, uid_column, _remover) in _SYSV_TABLES.items():
        for row in _sysv_rows(table):
            try:
                if int(row[uid_column]) == uid:
                    found.append((table, int(row[id_column])))
            except (ValueError, IndexError):
                pass
    return found


def remove_sysv_objects_of_uid(uid):
    """Remove the System V objects of ``uid``; returns how many were removed."""
    libc = ctypes.CDLL(None, use_errno=True)
    removed = 0
    for table, ident in sysv_objects_of_uid(uid):
        remover = _SYSV_TABLES[table][2]
        args = (ident, 0, IPC_RMID) if remover == "semctl" else (ident, IPC_RMID, None)
        if getattr(libc, remover)(*args) == 0:
            removed += 1
    return removed


def shm_files_of_uid(uid):
    """Bytes of the files ``uid`` owns in /dev/shm (memory, not disk)."""
    total = 0
    try:
        entries = list(os.scandir(SHARED_MEMORY_DIR))
    except OSError:
        return 0
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if info.st_uid == uid:
            total += info.st_blocks * 512
    return total


def memory_files_held(pids, seen=None):
    """Bytes of in-memory files the processes hold open: memfds, and deleted files of /dev/shm.

    Each file is counted once (``seen`` holds (device, inode) pairs across calls).
    """
    seen = set() if seen is None else seen
    total = 0
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            path = f"/proc/{pid}/fd/{fd}"
            try:
                target = os.readlink(path)
                if not (target.startswith("/memfd:") or target.startswith(SHARED_MEMORY_DIR + "/")):
                    continue
                info = os.stat(path)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total
