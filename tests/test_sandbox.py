"""The sandbox: whatever student code does, the grader gets a clear error and keeps going."""
import os
import time

import numpy as np
import pytest

from autograder.errors import ModuleUnavailable, StudentCrash, StudentException, StudentTimeout
from autograder.sandbox import processes
from autograder.sandbox.sandbox import Limits, Sandbox

STUDENT = '''
import os, sys, time
import numpy as np

def add(a, b):
    return a + b

def fails(x):
    return helper(x)

def helper(x):
    raise ValueError(f"bad value {x}")

def spin():
    while True:
        pass

def sleep_forever():
    time.sleep(10_000)

def hog():
    blocks = []
    while True:
        blocks.append(np.ones(10 ** 7))

def leave():
    os._exit(7)

def chatty():
    for _ in range(200_000):
        print("x" * 100)
    sys.stdout.flush()
    os.write(2, b"to stderr" * 1000)
    return "done"

def daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(10_000)
        os._exit(0)
    return os.getpid()

def whoami():
    return [os.getuid(), os.getgid(), os.getcwd()]

def read(path):
    with open(path) as f:
        return f.read()

def write(path):
    with open(path, "w") as f:
        f.write("owned")
    return True

def give_generator():
    return (i for i in range(3))

def exit_quietly():
    sys.exit(0)
'''


@pytest.fixture
def sandbox(tmp_path):
    source = tmp_path / "calculus.py"
    source.write_text(STUDENT)
    broken = tmp_path / "mlp.py"
    broken.write_text("import numpy as np\n\ndef f(:\n    pass\n")
    missing_import = tmp_path / "conv.py"
    missing_import.write_text("import tensorflow\n")
    with Sandbox({"calculus.py": str(source), "mlp.py": str(broken), "conv.py": str(missing_import)}) as box:
        yield box


@pytest.fixture
def student(sandbox):
    process = sandbox.start("calculus", Limits(memory_mb=300))
    yield process
    process.close()


def test_values_go_through_as_data(student):
    result = student.call("add", np.arange(3.0), 1.0)
    assert np.array_equal(result.value, [1.0, 2.0, 3.0])


def test_exception_names_type_message_and_line(student):
    with pytest.raises(StudentException) as err:
        student.call("fails", 3)
    text = str(err.value)
    assert "ValueError: bad value 3" in text and "calculus.py, line 12, in helper" in text


def test_syntax_error_names_file_and_line(sandbox):
    with pytest.raises(ModuleUnavailable, match=r"mlp.py could not be imported: SyntaxError.*mlp.py, line 3"):
        sandbox.start("mlp")


def test_import_error_is_reported(sandbox):
    with pytest.raises(ModuleUnavailable, match="ModuleNotFoundError.*tensorflow"):
        sandbox.start("conv")


@pytest.mark.parametrize("function", ["spin", "sleep_forever"])
def test_hang_times_out_and_the_next_call_works(student, function):
    started = time.monotonic()
    with pytest.raises(StudentTimeout, match="did not finish within 1 s"):
        student.call(function, timeout=1)
    assert time.monotonic() - started < 10
    assert student.call("add", 1, 2).value == 3


def test_cpu_budget(student):
    with pytest.raises(StudentTimeout, match="CPU time"):
        student.call("spin", timeout=30, cpu_budget=0.5)


def test_memory_hog_is_stopped(student):
    with pytest.raises(StudentCrash, match="memory"):
        student.call("hog", timeout=60)
    assert student.call("add", 1, 1).value == 2


def test_exit_is_reported(student):
    with pytest.raises(StudentCrash, match="exit status 7"):
        student.call("leave")
    with pytest.raises(StudentException, match="SystemExit"):
        student.call("exit_quietly")


def _resident_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def test_megabytes_of_output_are_drained_not_kept(student):
    before = _resident_mb()
    assert student.call("chatty", timeout=60).value == "done"   # 20+ MB printed: never blocks
    assert _resident_mb() - before < 10                          # and none of it is kept here


def test_unreadable_return_value_is_named(student):
    value = student.call("give_generator").value
    assert "generator" in value.description


def test_background_processes_are_killed_on_close(sandbox):
    process = sandbox.start("calculus")
    process.call("daemon")
    time.sleep(0.3)
    process.close()
    leftovers = processes.descendants(os.getpid())
    if sandbox.uid is not None:
        leftovers += processes.pids_of_uid(sandbox.uid)
    assert leftovers == []


@pytest.mark.skipif(os.geteuid() != 0, reason="file isolation needs the grader to run as root")
def test_student_runs_as_a_spare_user_and_cannot_touch_root_files(sandbox, tmp_path):
    if sandbox.uid is None:
        pytest.skip(sandbox.summary)
    process = sandbox.start("calculus")
    uid, gid, cwd = process.call("whoami").value
    assert uid == sandbox.uid != 0 and gid != 0 and cwd == sandbox.scratch_dir
    secret = tmp_path / "secret.txt"
    secret.write_text("answers")
    os.chmod(secret, 0o600)
    with pytest.raises(StudentException, match="PermissionError"):
        process.call("read", str(secret))
    with pytest.raises(StudentException, match="PermissionError"):
        process.call("write", str(tmp_path / "results.json"))
    with pytest.raises(StudentException, match="PermissionError"):
        process.call("write", os.path.join(sandbox.submission_dir, "calculus.py"))
    assert process.call("write", os.path.join(sandbox.scratch_dir, "notes.txt")).value is True
    process.close()


CONFINED = STUDENT + '''
import ctypes, socket

def tcp(host_port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(tuple(host_port))
    return "connected"

def unshare_user():
    libc = ctypes.CDLL(None, use_errno=True)
    return [libc.unshare(0x10000000), ctypes.get_errno()]

def shm():
    libc = ctypes.CDLL(None, use_errno=True)
    return [libc.shmget(0, 1 << 20, 0o1600), ctypes.get_errno()]

def memfd():
    return os.memfd_create("hidden")

def fill_disk(files, megabytes):
    block = b"x" * (1 << 20)
    for i in range(files):
        with open(f"filler-{i}", "wb") as f:
            for _ in range(megabytes):
                f.write(block)
    time.sleep(5)
    return "wrote"

def busy_child(seconds):
    pid = os.fork()
    if pid == 0:
        end = time.process_time() + seconds
        while time.process_time() < end:
            pass
        os._exit(0)
    os.waitpid(pid, 0)
    return "done"
'''


@pytest.fixture
def confined(tmp_path):
    source = tmp_path / "calculus.py"
    source.write_text(CONFINED)
    with Sandbox({"calculus.py": str(source)}) as box:
        process = box.start("calculus", Limits(memory_mb=300))
        yield box, process
        process.close()


def _needs(box, layer):
    if not any(name.startswith(layer) for name in box.isolation):
        pytest.skip(f"this machine does not offer {layer} (isolation here: {box.summary})")


def test_confined_student_cannot_open_a_tcp_socket(confined):
    box, process = confined
    _needs(box, "seccomp")
    import socket
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        with pytest.raises(StudentException, match="Address family not supported|Permission denied"):
            process.call("tcp", list(server.getsockname()))
    finally:
        server.close()


def test_confined_student_cannot_read_outside_the_allow_list(confined, tmp_path_factory):
    box, process = confined
    _needs(box, "landlock")
    folder = tmp_path_factory.mktemp("elsewhere")
    os.chmod(folder, 0o755)
    copy = folder / "calculus.py"
    copy.write_text(open(os.path.join(os.path.dirname(__file__), "..", "reference", "calculus.py")).read())
    os.chmod(copy, 0o644)
    with pytest.raises(StudentException, match="PermissionError"):
        process.call("read", str(copy))
    with pytest.raises(StudentException, match="PermissionError"):
        process.call("read", "/etc/passwd")
    assert "def" in process.call("read", os.path.join(box.submission_dir, "calculus.py")).value


def test_confined_student_writes_only_its_scratch_folder(confined, tmp_path_factory):
    box, process = confined
    _needs(box, "landlock")
    folder = tmp_path_factory.mktemp("world-writable")
    os.chmod(folder, 0o777)
    for target in (folder / "results.json", "/tmp/ag-confined-probe.json",
                   os.path.join(box.data_dir, "forged.npy")):
        with pytest.raises(StudentException, match="PermissionError"):
            process.call("write", str(target))
        assert not os.path.exists(target)
    assert process.call("write", os.path.join(box.scratch_dir, "notes.txt")).value is True


def test_kernel_surface_is_closed(confined):
    box, process = confined
    _needs(box, "seccomp")
    result, error = process.call("unshare_user").value
    assert result == -1 and error == 1   # EPERM
    result, error = process.call("shm").value
    assert result == -1 and error == 1
    with pytest.raises(StudentException, match="PermissionError|Operation not permitted"):
        process.call("memfd")


def test_disk_budget_of_the_scratch_folder(tmp_path):
    source = tmp_path / "calculus.py"
    source.write_text(CONFINED)
    with Sandbox({"calculus.py": str(source)}) as box:
        process = box.start("calculus", Limits(memory_mb=300, disk_mb=50, file_size_mb=40))
        with pytest.raises(StudentCrash, match="wrote more than 50 MB"):
            process.call("fill_disk", 4, 30, timeout=60)
        assert os.listdir(box.scratch_dir) == []
        process.close()


def test_cpu_of_reaped_children_counts(confined):
    _box, process = confined
    with pytest.raises(StudentTimeout, match="CPU time"):
        process.call("busy_child", 3.0, timeout=60, cpu_budget=1.0)


def test_memory_held_outside_mappings_counts():
    """A memfd that is never mapped is memory the process table does not show: it is counted."""
    fd = os.memfd_create("held")
    try:
        os.ftruncate(fd, 8 << 20)
        os.pwrite(fd, b"x" * (8 << 20), 0)
        assert processes.memory_files_held([os.getpid()]) >= 8 << 20
    finally:
        os.close(fd)


@pytest.mark.skipif(os.geteuid() != 0, reason="creating objects as another uid needs root")
def test_sysv_objects_of_a_uid_are_counted_and_removed():
    """Without seccomp a student could create System V segments: they are counted, then removed."""
    import ctypes

    from autograder.sandbox.sandbox import SPARE_UIDS, UID_LOCK_DIRS, _try_lock
    uid = SPARE_UIDS[-1]
    locks = [_try_lock(os.path.join(folder, str(uid))) for folder in UID_LOCK_DIRS]
    if not all(locks):
        pytest.skip(f"uid {uid} is in use by a grading")
    try:
        pid = os.fork()
        if pid == 0:
            try:
                os.setgid(uid)
                os.setuid(uid)
                ctypes.CDLL(None).shmget(0, 4 << 20, 0o1600)   # IPC_PRIVATE, IPC_CREAT | 0600
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert processes.sysv_objects_of_uid(uid)
        assert processes.sysv_shared_memory_of_uid(uid) >= 4 << 20
        processes.remove_sysv_objects_of_uid(uid)
        assert processes.sysv_objects_of_uid(uid) == []
    finally:
        for lock in locks:
            lock.close()


def test_the_checkout_never_enters_the_allow_list_through_sys_path(monkeypatch):
    """An editable install (a .pth naming the checkout) must not open the reference to the student."""
    import sys

    from autograder.sandbox import confine
    checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    monkeypatch.setattr(sys, "path", sys.path + [checkout, os.path.dirname(checkout), "/",
                                                 os.path.join(checkout, "reference")])
    allowed = confine.interpreter_paths([checkout])
    assert not [p for p in allowed if p in (checkout, os.path.dirname(checkout), "/")
                or p.startswith(os.path.join(checkout, "reference"))]
    assert any(p.startswith(os.path.realpath(sys.prefix)) for p in allowed)
