"""Confinement of the student's process: what the kernel lets it touch at all.

Runs inside the sandbox (a copy beside worker.py, which applies it before the
student's module is imported) and in the grader (to ask which layers this
kernel offers). Standard library only, plus pyseccomp when it is installed.

Layers, each applied when available (none needs root):

- resource limits, RLIMIT_NOFILE included;
- ``no_new_privs``: nothing executed later gains privileges (set-uid binaries);
- Landlock (Linux >= 5.13): an allow-list of files. Read and execute only the
  interpreter, its libraries and the sandbox's input folders; write only the
  sandbox's scratch folder. With ABI >= 4 no TCP connect or bind; with ABI >= 6
  no signal to a process outside the sandbox and no abstract Unix socket
  outside it. Written with ctypes: three system calls, while the Python
  bindings on PyPI are pre-releases (landlock 1.0.0.dev) or months old.
- seccomp (libseccomp through pyseccomp): no socket but a ``socketpair`` (nothing to
  connect to outside the sandbox, path-named or abstract, and no name to bind that another
  grading could see), no ptrace, no new namespaces, no System V IPC, no memfd, no io_uring,
  no bpf.
"""
import ctypes
import errno
import os
import resource
import sys

# ----------------------------------------------------------------------------- Landlock (linux/landlock.h)

SYS_LANDLOCK_CREATE_RULESET = 444   # x86_64 and the generic table alike
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
LANDLOCK_RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13        # ABI 2
FS_TRUNCATE = 1 << 14     # ABI 3
FS_IOCTL_DEV = 1 << 15    # ABI 5
NET_BIND_TCP = 1 << 0     # ABI 4
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0   # ABI 6
SCOPE_SIGNAL = 1 << 1

_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
FILE_ONLY = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ = FS_READ_FILE | FS_READ_DIR
READ_EXECUTE = READ | FS_EXECUTE
WRITE_DEVICE = FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE

# Read (and execute) beyond the interpreter's own folders (sys.path): the shared
# libraries numpy and torch load, and what they read about the machine.
SYSTEM_READ_EXECUTE = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/libexec")
SYSTEM_READ = ("/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/localtime", "/proc/self", "/proc/cpuinfo",
               "/proc/meminfo", "/proc/stat", "/sys/devices/system/cpu", "/sys/fs/cgroup/cpu",
               "/sys/fs/cgroup/cpu.max", "/dev/urandom", "/dev/random")
DEVICES_READ_WRITE = ("/dev/null", "/dev/zero")


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def landlock_abi():
    """The Landlock ABI version this kernel offers (0: none)."""
    version = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    return max(int(version), 0)


class ConfinementError(RuntimeError):
    """A layer the grader asked for could not be applied: grading must not go on without it."""


def _check(result, what):
    if result < 0:
        code = ctypes.get_errno()
        raise ConfinementError(f"{what}: {os.strerror(code)}")
    return result


def set_no_new_privs():
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")


def apply_landlock(abi, read_execute, read, read_write_devices, writable):
    """Restrict this process (and all it starts) to the given paths; paths that do not exist are skipped."""
    handled_fs = _FS_BY_ABI.get(abi, _FS_BY_ABI[5])
    attr = _RulesetAttr(handled_fs, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = _check(_libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                                   ctypes.c_uint32(0)), "landlock_create_ruleset")
    try:
        for paths, access in ((read_execute, READ_EXECUTE), (read, READ), (read_write_devices, WRITE_DEVICE),
                              (writable, handled_fs)):
            for path in paths:
                _allow(ruleset, path, access & handled_fs)
        set_no_new_privs()
        _check(_libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def _allow(ruleset, path, access):
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(f"/proc/self/fd/{fd}"):
            access &= FILE_ONLY
        rule = _PathBeneathAttr(access, fd)
        _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule),
                             ctypes.c_uint32(0)), f"landlock_add_rule({path})")
    finally:
        os.close(fd)


def interpreter_paths(private=()):
    """Folders the interpreter imports from (this process runs with -I: no checkout, no cwd).

    A folder that holds one of ``private`` (the grader's checkout), or lies inside one
    except for the virtual environment, is left out: an editable install's .pth
    file must not open the checkout.
    """
    paths = {os.path.realpath(p) for p in sys.path if p and os.path.exists(p)}
    paths.add(os.path.realpath(sys.executable))
    paths.add(os.path.join(sys.prefix, "pyvenv.cfg"))
    venv = os.path.realpath(sys.prefix) + os.sep
    private = [os.path.realpath(p) + os.sep for p in private]
    return sorted(p for p in paths
                  if not any(root.startswith(os.path.join(p, "")) or (p.startswith(root) and not p.startswith(venv))
                             for root in private))


# ----------------------------------------------------------------------------- seccomp

CLONE_NEWTIME = 0x00000080
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = (CLONE_NEWTIME, CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                   CLONE_NEWPID, CLONE_NEWNET)
AF_UNIX = 1
# Sockets: only a connected pair made by socketpair() (what the standard library's pipes between
# threads or processes use). socket() is refused, so there is nothing to connect or listen with;
# bind() is refused too, since a socketpair's end can still take an abstract name, which another
# grading on the machine would see (EADDRINUSE: a channel between two gradings); connect(),
# sendto() with an address and sendmsg() would let a datagram pair talk to a host's socket, and
# sendmsg() could also hide a descriptor in a socket's queue.
SOCKET_SYSCALLS_DENIED = ("bind", "connect", "listen", "accept", "accept4", "sendmsg", "sendmmsg")
DENIED_SYSCALLS = (
    "ptrace", "process_vm_readv", "process_vm_writev",               # other processes' memory
    "unshare", "setns",                                              # namespaces
    "shmget", "msgget", "semget",                                    # System V IPC: outlives the process
    "memfd_create", "memfd_secret",                                  # memory no file system shows
    "io_uring_setup", "io_uring_enter", "io_uring_register",         # would bypass the socket rule
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "mount", "umount2", "pivot_root", "chroot", "open_by_handle_at", "kexec_load", "init_module",
)


def seccomp_available():
    try:
        import pyseccomp
        pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        return True
    except Exception:  # not installed, or libseccomp missing
        return False


def apply_seccomp():
    import pyseccomp as seccomp
    denied = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    rules.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    rules.add_rule(seccomp.ERRNO(errno.EACCES), "socket", seccomp.Arg(0, seccomp.EQ, AF_UNIX))
    for name in SOCKET_SYSCALLS_DENIED:
        rules.add_rule(seccomp.ERRNO(errno.EACCES), name)
    rules.add_rule(seccomp.ERRNO(errno.EACCES), "sendto", seccomp.Arg(4, seccomp.NE, 0))   # an address
    for name in DENIED_SYSCALLS:
        try:
            rules.add_rule(denied, name)
        except (OSError, RuntimeError, ValueError):  # unknown to this libseccomp
            pass
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(denied, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, out of a filter's reach: C libraries fall back to clone.
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.load()


# ----------------------------------------------------------------------------- all layers

def available_layers():
    """What this machine offers, as the names reported in results.json."""
    layers = ["rlimits", "no_new_privs"]
    abi = landlock_abi()
    if abi:
        layers.append(f"landlock-abi{abi}")
    if seccomp_available():
        layers.append("seccomp")
    return layers


def apply(config):
    """Apply the layers in ``config`` (from the grader); raise ConfinementError if one fails."""
    for name, value in config["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    layers = config["layers"]
    if "seccomp" in layers:
        try:
            import pyseccomp  # noqa: F401  loaded before Landlock: finding libseccomp runs ldconfig
        except Exception as err:
            raise ConfinementError(f"seccomp: {err}") from None
    set_no_new_privs()
    abi = next((int(n.rsplit("abi", 1)[1]) for n in layers if n.startswith("landlock-abi")), 0)
    if abi:
        apply_landlock(abi, list(SYSTEM_READ_EXECUTE) + interpreter_paths(config.get("private", ())),
                       list(SYSTEM_READ) + config["readable"], DEVICES_READ_WRITE, config["writable"])
    if "seccomp" in layers:
        try:
            apply_seccomp()
        except Exception as err:
            raise ConfinementError(f"seccomp: {err}") from None
