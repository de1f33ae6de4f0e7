"""The sandbox for its whole life: stopped between requests, memory judged on the kernel's peaks,
disk that nothing hides, and sockets that reach nothing outside the sandbox."""
import os
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

from autograder import config
from autograder.errors import DiskBudgetExceeded, OutOfMemory, StudentException
from autograder.sandbox import processes
from autograder.sandbox.sandbox import Limits, Sandbox

MB = 1 << 20

STUDENT = '''
import os, socket, threading, time
import numpy as np

def add(a, b):
    return a + b

def nap(seconds):
    time.sleep(seconds)
    return seconds

def allocate_after_answering(megabytes, delay):
    """Answers at once; a thread then allocates while the grader judges the answer."""
    def later():
        time.sleep(delay)
        blocks = [np.ones(10 * 2 ** 17) for _ in range(megabytes // 10)]   # 10 MB each, touched
        time.sleep(10_000)
    threading.Thread(target=later, daemon=True).start()
    return "answered"

def fork_after_answering():
    def loop():
        for _ in range(30):
            try:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
            except OSError:
                return
            time.sleep(0.001)
    threading.Thread(target=loop, daemon=True).start()
    return "answered"

SPIN = [0]

def spin_after_answering():
    def later():
        while True:
            SPIN[0] += 1
    threading.Thread(target=later, daemon=True).start()
    return "answered"

def spins():
    return SPIN[0]

def spike(megabytes):
    """A short peak, freed before the function returns."""
    block = np.ones(megabytes * 2 ** 17)
    del block
    return "freed"

def steady(megabytes):
    global KEPT
    KEPT = np.ones(megabytes * 2 ** 17)
    return "kept"

HELD = []

def hold_deleted_files(count, megabytes):
    for i in range(count):
        f = open(f"hidden-{i}", "wb+")
        f.write(b"x" * (megabytes << 20))
        f.flush()
        os.unlink(f"hidden-{i}")
        HELD.append(f)
    time.sleep(2)
    return len(HELD)

def many_empty_files(count):
    for i in range(count):
        open(f"empty-{i}", "w").close()
    time.sleep(2)
    return count

def connect_path(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s.recv(100).decode()

def bind_abstract(name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("\\0" + name)
    return "bound"

def bind_abstract_on_a_pair(name):
    a, b = socket.socketpair()
    a.bind("\\0" + name)
    return "bound"

def datagram_to(path):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    a.sendto(b"hello", path)
    return "sent"

def pair_round_trip():
    a, b = socket.socketpair()
    a.sendall(b"ping")
    return b.recv(4).decode()

def train_a_little():
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    X, y = torch.randn(256, 20), torch.randint(0, 3, (256,))
    model = torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(16, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32, shuffle=True,
                                         num_workers=0)
    losses = []
    for _ in range(3):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total)
    return [float(np.float64(v)) for v in losses]
'''


@pytest.fixture
def box(tmp_path):
    source = tmp_path / "calculus.py"
    source.write_text(STUDENT)
    with Sandbox({"calculus.py": str(source)}) as sandbox:
        yield sandbox


def _needs(box, layer):
    if not any(name.startswith(layer) for name in box.isolation):
        pytest.skip(f"this machine does not offer {layer} (isolation here: {box.summary})")


def test_a_thread_allocating_after_its_function_answered_is_stopped_and_never_runs_unseen(box):
    """The issue's row: a thread allocates 1.3 GB after train_mlp answered, while the grader judges."""
    process = box.start("calculus", Limits(memory_mb=400))
    assert process.call("allocate_after_answering", 1300, 0.2).value == "answered"
    time.sleep(1.0)    # the grader "judging": the thread's delay has long passed
    peak = processes.peak_resident(process.process.pid)
    assert peak < 200 * MB, f"the worker grew to {peak >> 20} MB while the grader was not waiting on it"
    watchdog = process.watchdog
    with pytest.raises(OutOfMemory, match=r"more than the 400 MB"):
        process.call("nap", 5, timeout=30)
    # Looks come close enough near the limit that the tree never gets far past it.
    assert watchdog.peak_memory <= (400 + config.WATCHDOG_MARGIN_MB) * MB
    assert process.call("add", 1, 2).value == 3     # a fresh process, without the thread


def test_between_requests_nothing_of_the_student_runs(box):
    process = box.start("calculus", Limits(memory_mb=400))
    process.call("spin_after_answering")
    first = process.call("spins").value
    time.sleep(0.2)    # the stop signal has landed
    cpu = processes.stat(process.process.pid).cpu_seconds
    time.sleep(0.5)
    assert processes.stat(process.process.pid).cpu_seconds == cpu
    assert processes.stat(process.process.pid).state == "T"
    assert process.call("spins").value >= first   # it runs again during the next request


def test_children_forked_while_the_sandbox_is_being_stopped_are_stopped_too(box):
    process = box.start("calculus", Limits(memory_mb=600))
    process.call("fork_after_answering")
    pids = box.process_ids()
    assert all(processes.stat(p).state in ("T", "t", "Z") for p in pids if processes.stat(p))
    time.sleep(0.3)
    assert box.process_ids() == pids    # nothing forked while the grader was not waiting on it
    process.close()


def test_a_short_peak_is_never_missed(box):
    """A peak freed within milliseconds: sampling sees it or not, the kernel's mark always does."""
    for _attempt in range(3):
        process = box.start("calculus", Limits(memory_mb=250, baseline_mb=24, container_mb=768))
        with pytest.raises(OutOfMemory, match=r"spike\(\.\.\.\) used more than the 250 MB of memory your code's "
                           r"processes may use on this 768 MB grading machine \(24 MB for Python and the libraries "
                           r"it imports, 226 MB for your code\): \d+ MB at its peak"):
            process.call("spike", 400)
        process.close()


PEAK_OF_A_FRESH_WORKER = """
import sys
from autograder.sandbox.sandbox import Limits, Sandbox
with Sandbox({"calculus.py": sys.argv[1]}) as box:
    process = box.start("calculus", Limits(memory_mb=600))
    process.call("steady", 100)
    print(process.watchdog.peak_memory)
    process.close()
"""


def test_memory_verdict_figures_are_the_same_beside_processes_sharing_the_libraries(tmp_path):
    """Proportional size drops when neighbours map the same libraries; the peaks judged on do not.
    (The sandbox runs in a process of its own: the neighbours must not be its descendants.)"""
    source = tmp_path / "calculus.py"
    source.write_text(STUDENT)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def peak_of_a_fresh_worker():
        done = subprocess.run([sys.executable, "-c", PEAK_OF_A_FRESH_WORKER, str(source)], cwd=repo,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return int(done.stdout.split()[-1])
    quiet = peak_of_a_fresh_worker()
    neighbours = [subprocess.Popen([sys.executable, "-c", "import numpy, time; a = numpy.ones(10**6); time.sleep(60)"])
                  for _ in range(3)]
    try:
        time.sleep(2)
        busy = peak_of_a_fresh_worker()
    finally:
        for neighbour in neighbours:
            neighbour.kill()
            neighbour.wait()
    assert abs(busy - quiet) <= 2 * MB, f"quiet {quiet / MB:.1f} MB, beside neighbours {busy / MB:.1f} MB"


def test_deleted_files_still_open_count_against_the_disk_budget(box):
    process = box.start("calculus", Limits(memory_mb=400, disk_mb=50, file_size_mb=40))
    with pytest.raises(DiskBudgetExceeded, match=r"wrote more than 50 MB .*in deleted files still open"):
        process.call("hold_deleted_files", 6, 20, timeout=60)
    assert os.listdir(box.scratch_dir) == []
    assert process.call("add", 1, 1).value == 2


def test_the_number_of_files_counts_and_the_walk_stays_bounded(box):
    process = box.start("calculus", Limits(memory_mb=400, files=1000))
    with pytest.raises(DiskBudgetExceeded, match=r"created more than 1,000 files"):
        process.call("many_empty_files", 3000, timeout=60)
    assert os.listdir(box.scratch_dir) == []


@pytest.fixture
def host_service(tmp_path_factory):
    """A path-named AF_UNIX socket of a host service anyone may connect to (mode 0777), served by a
    thread of this process (never a child: the sandbox stops its own children between calls)."""
    folder = tmp_path_factory.mktemp("service")
    os.chmod(folder, 0o777)
    path = str(folder / "service.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o777)
    server.listen(4)
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            accepted.append(1)
            connection.sendall(b"host secrets")
            connection.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path, accepted
    stop.set()
    thread.join()
    server.close()


def test_no_socket_outside_the_sandbox_can_be_reached(box, host_service):
    _needs(box, "seccomp")
    path, accepted = host_service
    process = box.start("calculus", Limits(memory_mb=600))
    with pytest.raises(StudentException, match="PermissionError"):
        process.call("connect_path", path)
    with pytest.raises(StudentException, match="PermissionError"):
        process.call("datagram_to", path)
    assert accepted == []


def test_no_abstract_name_can_be_bound(box):
    """Another grading would see the name (EADDRINUSE): a channel between two gradings."""
    _needs(box, "seccomp")
    process = box.start("calculus", Limits(memory_mb=600))
    name = f"autograder-test-{uuid.uuid4().hex}"
    with pytest.raises(StudentException, match="PermissionError"):
        process.call("bind_abstract", name)
    with pytest.raises(StudentException, match="PermissionError"):
        process.call("bind_abstract_on_a_pair", name)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.bind("\0" + name)   # still free: nothing of the student's holds it
    finally:
        probe.close()


def test_what_students_use_still_works_under_the_socket_rules(box):
    # torch's training step (DataLoader, autograd) under the rules; limits wide enough for the CUDA
    # build that Python 3.10 gets in CI (its idle worker alone takes ~850 MB): sockets are the subject.
    process = box.start("calculus", Limits(memory_mb=2048, address_space_mb=8192))
    assert process.call("pair_round_trip").value == "ping"
    losses = process.call("train_a_little", timeout=120).value
    assert len(losses) == 3 and all(loss == loss and loss < 1e3 for loss in losses)
