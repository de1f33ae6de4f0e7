"""The process that runs student code. Started by autograder.sandbox.sandbox, never imported by it.

Runs as ``python -I worker.py CONFIG_JSON`` in the sandbox directory, as an
unprivileged user when the grader is root. Before any student code runs it
moves the protocol pipes out of the way and confines itself (``confine.py``:
resource limits, no_new_privs, Landlock, seccomp; none can be undone), and
then imports one student module. It then
answers requests from the grader, one at a time:

    {"op": "call", "name": "sigmoid", "args": [...], "kwargs": {...}}
    {"op": "get", "name": "HYPERPARAMS"}
    {"op": "task", "name": "train_numpy_mlp", "kwargs": {...}}

with {"ok": true, "value": ...} or {"ok": false, "error": {...}}. Messages use
the data-only codec that sits beside this file.
"""
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_beside(filename, name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lower_oom_priority():
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")  # if memory runs out, the kernel kills this process first
    except OSError:
        pass


class Channel:
    """Frames of the data-only codec over the two protocol pipes."""

    def __init__(self, read_fd, write_fd, codec):
        self.read_fd, self.write_fd, self.codec = read_fd, write_fd, codec

    def receive(self):
        return self.codec.read_frame(self.read_fd)

    def send(self, message):
        try:
            self.codec.write_frame(self.write_fd, message)
        except Exception as err:  # anything the value does while being encoded: tell the grader
            self.codec.write_frame(self.write_fd, {"ok": False, "error": {
                "kind": "unencodable", "type": type(err).__name__, "message": _text(err)[:500]}})


def _text(err):
    try:
        return str(err)
    except BaseException:
        return "(the exception's message could not be shown)"


def describe_exception(err, submission_dir):
    """Type, message and the innermost place in the student's files where it happened."""
    frames = traceback.extract_tb(err.__traceback__)
    if isinstance(err, SyntaxError) and err.filename:
        where = f"{os.path.basename(err.filename)}, line {err.lineno}"
    else:
        student = [f for f in frames if f.filename.startswith(submission_dir + os.sep)]
        where = ""
        if student:
            last = student[-1]
            where = f"{os.path.relpath(last.filename, submission_dir)}, line {last.lineno}, in {last.name}"
    lines = [f"  {os.path.relpath(f.filename, submission_dir)}, line {f.lineno}, in {f.name}: {f.line}"
             for f in frames if f.filename.startswith(submission_dir + os.sep)]
    message = _text(err)
    return {"kind": "exception", "type": type(err).__name__, "message": message[:2000],
            "where": where, "trace": lines[-8:]}


def main():
    config = json.loads(sys.argv[1])
    lower_oom_priority()
    read_fd = os.dup(config["read_fd"])
    write_fd = os.dup(config["write_fd"])
    os.close(config["read_fd"])
    os.close(config["write_fd"])
    codec = _load_beside("_ag_codec.py", "_ag_codec")
    channel = Channel(read_fd, write_fd, codec)
    confine = _load_beside("_ag_confine.py", "_ag_confine")
    try:
        confine.apply(config["confinement"])
    except Exception as err:  # no student code has run: this is the grader's problem
        channel.send({"ok": False, "error": {"kind": "confinement", "type": type(err).__name__,
                                             "message": _text(err)[:500]}})
        return
    submission_dir = config["submission_dir"]
    sys.path.insert(0, submission_dir)
    sys.dont_write_bytecode = True
    tasks = _load_beside("_ag_tasks.py", "_ag_tasks")

    try:
        module = importlib.import_module(config["module"])
    except BaseException as err:  # SystemExit and KeyboardInterrupt from student code too
        channel.send({"ok": False, "error": describe_exception(err, submission_dir)})
        return
    names = {n: callable(getattr(module, n)) for n in dir(module) if not n.startswith("_")}
    channel.send({"ok": True, "value": names})

    while True:
        request = channel.receive()
        if request is None or request.get("op") == "exit":
            return
        started = time.process_time()
        try:
            value = handle(request, module, tasks)
            reply = {"ok": True, "value": value}
        except BaseException as err:
            reply = {"ok": False, "error": describe_exception(err, submission_dir)}
        reply["cpu_seconds"] = time.process_time() - started
        channel.send(reply)


def handle(request, module, tasks):
    op, name = request["op"], request["name"]
    if op == "get":
        if not hasattr(module, name):
            raise AttributeError(f"module '{module.__name__}' has no attribute '{name}'")
        return getattr(module, name)
    if op == "call":
        function = getattr(module, name)
        return function(*request.get("args", ()), **request.get("kwargs", {}))
    if op == "task":
        return getattr(tasks, name)(module, **request.get("kwargs", {}))
    raise ValueError(f"unknown request {op!r}")


if __name__ == "__main__":
    main()
