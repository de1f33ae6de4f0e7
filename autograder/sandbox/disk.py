"""What the student's code keeps on disk: its scratch folder, and files it deleted but holds open.

A deleted file that a process still has open (or mapped) keeps its blocks until the last
holder lets go, yet no folder walk sees it; and a folder of a hundred thousand empty files
costs inodes and walking time while adding nothing to a byte count. So the scratch budget
counts both: the blocks of every entry of the folder plus those of deleted files the
sandbox's processes hold (through a descriptor or a mapping), and the number of entries,
deleted ones included.

Why not give scratch a file system of its own (size= and nr_inodes= limits, checked by the
kernel)? A tmpfs is memory, which the 768 MB container counts, so a 256 MB disk budget would
come out of the memory budget; a loop-mounted image needs a loop device and mount rights,
which containers such as Gradescope's do not give. The walk below works everywhere.

Passing a descriptor to another process (SCM_RIGHTS) would hide a file in a socket's queue:
seccomp denies sendmsg, so the student's code cannot.
"""
import os
from dataclasses import dataclass

DELETED = " (deleted)"
MEMORY_FILE_PREFIXES = ("/memfd:", "/dev/shm/")   # counted as memory (processes.memory_files_held)


@dataclass
class DiskUse:
    bytes: int = 0        # allocated blocks of the folder's entries and of deleted files held open
    entries: int = 0      # files, folders and links, deleted-but-open files included
    hidden_bytes: int = 0     # the part of ``bytes`` in deleted files
    complete: bool = True     # False: the walk stopped early, already over a budget

    def over(self, max_bytes, max_entries):
        return self.bytes > max_bytes or self.entries > max_entries


def scratch_usage(folder, pids, max_bytes, max_entries):
    """A :class:`DiskUse` of ``folder`` and of the deleted files ``pids`` hold.

    Stops counting as soon as either budget is exceeded (a hostile folder may hold millions
    of entries: the walk never costs more than ``max_entries`` of them).
    """
    use = DiskUse()
    _add_deleted_files(use, pids)
    stack = [folder]
    while stack:
        if use.over(max_bytes, max_entries):
            use.complete = False
            break
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    use.entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    use.bytes += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    if use.over(max_bytes, max_entries):
                        break
        except OSError:
            pass
    return use


def _add_deleted_files(use, pids):
    """Count each deleted regular file the processes hold (open or mapped) once."""
    seen = set()

    def add(key, size):
        if key not in seen:
            seen.add(key)
            use.entries += 1
            use.bytes += size
            use.hidden_bytes += size

    for pid in pids:
        for link in _descriptors(pid):
            try:
                target = os.readlink(link)
                if not target.endswith(DELETED) or target.startswith(MEMORY_FILE_PREFIXES):
                    continue
                info = os.stat(link)
            except OSError:
                continue
            if not info.st_nlink and _is_regular(info):
                add((info.st_dev, info.st_ino), info.st_blocks * 512)
        for key, link, length in _deleted_mappings(pid):
            try:
                info = os.stat(link)   # needs root (CAP_SYS_ADMIN); else the mapping's length
                size = info.st_blocks * 512 if _is_regular(info) and not info.st_nlink else 0
            except OSError:
                size = length
            if size:
                add(key, size)


def _is_regular(info):
    return (info.st_mode & 0o170000) == 0o100000


def _descriptors(pid):
    try:
        return [f"/proc/{pid}/fd/{fd}" for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return []


def _deleted_mappings(pid):
    """``((device, inode), /proc link, length)`` of each mapping of a deleted file (one read of
    the maps file, not a link per mapping: a torch worker maps a thousand ranges)."""
    try:
        with open(f"/proc/{pid}/maps", "rb") as f:
            lines = [line for line in f.read().split(b"\n") if line.endswith(DELETED.encode())]
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split(None, 5)
        if len(fields) < 6 or fields[5].startswith(tuple(p.encode() for p in MEMORY_FILE_PREFIXES)):
            continue
        try:
            start, end = (int(x, 16) for x in fields[0].split(b"-"))
            major, minor = (int(x, 16) for x in fields[3].split(b":"))
            inode = int(fields[4])
        except ValueError:
            continue
        device = os.makedev(major, minor)
        found.append(((device, inode), f"/proc/{pid}/map_files/{fields[0].decode()}", end - start))
    return found
