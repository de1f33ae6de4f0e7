"""What a few hostile cases need besides a folder copied from tests/submissions/hostile/.

Each function is named in its case's row (``hostile_cases.py``): how to build the
submission (``build``), what to run beside its grading (``companion``), what to
clean after it (``cleanup``), and how to judge it instead of the usual score checks
(``check``).
"""
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile

from autograder.sandbox import processes
from autograder.sandbox.sandbox import SPARE_UIDS
from tests.corpus.variants import BASE_VARIANT, REPO, SUBMISSIONS, VARIANTS
from tests.helpers_results import lost_points, of_module, summary

# ----------------------------------------------------------------------------- zip_traversal

TRAVERSAL_TOKEN = uuid.uuid4().hex[:10]


def build_traversal_zip(workdir):
    """A zip with ../ and absolute paths, and symbolic links to the reference."""
    path = os.path.join(workdir, "traversal.zip")
    token = TRAVERSAL_TOKEN
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(os.path.join(VARIANTS, BASE_VARIANT, "conv.py"), "hw3/conv.py")
        for name in (f"../../evil_corpus_{token}.py", f"hw3/../../../evil_corpus_{token}.py",
                     f"/tmp/evil_corpus_{token}.py", f"..\\..\\evil_corpus_{token}.py"):
            info = zipfile.ZipInfo(name)
            archive.writestr(info, "raise SystemExit('escaped the unzip folder')\n")
        for name, link in (("hw3/calculus.py", os.path.join(REPO, "reference", "calculus.py")),
                           ("hw3/linear_models.py", "../../../reference/linear_models.py")):
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (0o120777 << 16)  # a symbolic link
            archive.writestr(info, link)
    return path


def traversal_leftovers(extra_dirs):
    token = TRAVERSAL_TOKEN
    places = {"/", "/tmp", "/work", REPO, os.path.dirname(REPO), *extra_dirs}
    found = []
    for place in places:
        for depth in ("", "*", "*/*"):
            found += glob.glob(os.path.join(place, depth, f"*evil_corpus_{token}*"))
    return sorted(set(found))


def check_zip_traversal(corpus, g, case, results):
    """Nothing landed outside the unzip folder; linked files count as missing; the regular file is graded."""
    escaped = traversal_leftovers([corpus.workdir, os.path.dirname(corpus.workdir)])
    assert not escaped, f"{g.describe()}: files from the zip landed outside the unzip folder: {escaped}"
    for module in ("calculus", "linear_models"):
        for t in of_module(results, module):
            assert t["score"] == 0 and re.search(case.message, t.get("output") or ""), (
                f"{g.describe()}: {module}.py came from a symbolic link in the zip, yet:\n" + summary([t], 400))
    conv = of_module(results, "conv")
    failed = [t for t in conv if lost_points(t)]
    assert not failed, f"{g.describe()}: the regular conv.py in the zip lost points:\n" + summary(failed, 400)


# ----------------------------------------------------------------------------- symlink_dir

def symlink_dir(workdir):
    """Graded where it is: copying would not keep its links to the reference as they are."""
    return os.path.join(SUBMISSIONS, "hostile", "symlink_dir")


# ----------------------------------------------------------------------------- read_other_submission

DECOY_TEMPLATE = '''
# corpus decoy {token}: a correct calculus.py whose import is slow, so that its sandbox
# exists while read_other_submission is graded.
import time as _time
if __name__ == "calculus":
    _time.sleep(25)
'''


def _sandboxes_holding(token):
    for path in glob.glob("/tmp/autograder-*/submission/calculus.py"):
        try:
            with open(path, encoding="utf-8") as f:
                if token in f.read():
                    yield path
        except OSError:
            pass


def neighbour_grading(workdir, results_dir):
    """(start, stop): a correct, slow-to-import grading whose sandbox exists when the case's grading starts."""
    token = uuid.uuid4().hex
    folder = os.path.join(workdir, "decoy")
    os.makedirs(folder)
    with open(os.path.join(VARIANTS, BASE_VARIANT, "calculus.py"), encoding="utf-8") as f:
        source = f.read()
    with open(os.path.join(folder, "calculus.py"), "w", encoding="utf-8") as f:
        f.write(source + DECOY_TEMPLATE.format(token=token))
    state = {}

    def start():
        command = [sys.executable, "-m", "autograder", "grade", folder, "--results",
                   os.path.join(results_dir, "decoy.json"), "--parts", "calculus", "--no-training"]
        state["process"] = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(_sandboxes_holding(token)):
            time.sleep(0.1)

    def stop():
        process = state.get("process")
        if process is None:
            return
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            processes.kill_tree(process.pid)
            process.wait()
            for path in list(_sandboxes_holding(token)):  # its sandbox, left behind
                shutil.rmtree(os.path.dirname(os.path.dirname(path)), ignore_errors=True)

    return start, stop


# ----------------------------------------------------------------------------- results_writer

def remove_forged_results(uid):
    """Remove the forged results files results_writer left in world-writable places; return their paths."""
    removed = []
    if uid is None:
        return removed
    skip = {"/proc", "/sys", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/boot", "/snap", "/etc"}
    deadline = time.monotonic() + 20
    for top, dirs, files in os.walk("/", onerror=lambda e: None):
        if time.monotonic() > deadline:
            break
        dirs[:] = [d for d in dirs if os.path.join(top, d) not in skip]
        if "results.json" in files:
            path = os.path.join(top, "results.json")
            try:
                if os.lstat(path).st_uid == uid or os.lstat(path).st_uid in SPARE_UIDS:
                    with open(path, "rb") as f:
                        if b"HOSTILE-RESULTS-WRITER" in f.read(4096):
                            os.remove(path)
                            removed.append(path)
            except OSError:
                pass
    return removed


# ----------------------------------------------------------------------------- notebooks costly to read

def notebook_cell_of_zeros(workdir):
    """homework.ipynb whose one code cell is CACHE = [0, 0, ...] in 2 MB (within the code limit)."""
    source = ("import numpy as np\n\nCACHE = [" + "0, " * 690_000 + "0]\n\n\n"
              "def sigmoid(x):\n    return np.asarray(CACHE[:np.size(x)], dtype=float).reshape(np.shape(x)) + 0.5\n")
    return _notebook(os.path.join(workdir, "notebook_cell_of_zeros"), json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "id": "cache", "metadata": {}, "execution_count": None, "outputs": [],
             "source": source}]}))


def notebook_empty_objects(workdir):
    """homework.ipynb of 8 MB: correct calculus functions, and metadata of millions of empty objects."""
    with open(os.path.join(VARIANTS, BASE_VARIANT, "calculus.py"), encoding="utf-8") as f:
        cell = {"cell_type": "code", "id": "code", "metadata": {}, "execution_count": None, "outputs": [],
                "source": f.read()}
    text = json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [cell]})[:-1]
    return _notebook(os.path.join(workdir, "notebook_empty_objects"),
                     text + ', "metadata": {"junk": [' + "{}," * ((8 << 20) // 3) + "{}]}}")


def _notebook(folder, text):
    os.makedirs(folder)
    with open(os.path.join(folder, "homework.ipynb"), "w", encoding="utf-8") as f:
        f.write(text)
    return folder


# ----------------------------------------------------------------------------- host_socket

HOST_SERVICE = "/tmp/autograder-corpus-host-service.sock"   # as in hostile/host_socket/calculus.py
HOST_CONNECTIONS = "host_service_connections"


class HostService(threading.Thread):
    """A service of the host any local process may talk to: a path-named AF_UNIX socket of mode 0777
    that answers "host secrets". Counts who connected."""

    def __init__(self, path):
        super().__init__(daemon=True)
        if os.path.exists(path):
            os.unlink(path)
        self.path, self.connections, self._done = path, 0, threading.Event()
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        os.chmod(path, 0o777)
        self.server.listen(8)
        self.server.settimeout(0.2)
        self.start()

    def run(self):
        while not self._done.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            with connection:
                connection.sendall(b"host secrets")

    def stop(self):
        self._done.set()
        self.join()
        self.server.close()
        os.unlink(self.path)
        return self.connections


def host_service(workdir, results_dir):
    """(start, stop): the host's service runs while the case is graded; the count of connections is
    written beside the submission."""
    state = {}

    def start():
        state["service"] = HostService(HOST_SERVICE)

    def stop():
        if "service" in state:
            with open(os.path.join(workdir, HOST_CONNECTIONS), "w") as f:
                f.write(str(state.pop("service").stop()))

    return start, stop


def host_service_unreached(g):
    with open(os.path.join(os.path.dirname(g.submission), HOST_CONNECTIONS)) as f:
        connections = int(f.read())
    assert connections == 0, f"{g.describe()}: the host's service was reached {connections} time(s)"
