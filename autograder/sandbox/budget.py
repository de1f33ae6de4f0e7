"""The memory budget of one grading: what each student worker may hold, from the machine's size.

Everything is stated in one measure, the one the watchdog judges on: peak resident memory
(the kernel's ``VmHWM``), summed over the student's processes. On a machine of
``config.container_memory_mb()`` (768 MB unless the instructor built the zip for more), the
grader keeps ``config.GRADER_MEMORY_MB`` (or what it holds when a worker starts, if more) and
the watchdog ``config.WATCHDOG_MARGIN_MB``; a worker may hold the rest. The limit does not
depend on any measurement, so no measurement's spread can move a verdict.

Of that limit, an idle worker takes what its interpreter and libraries take (its baseline:
about 25 MB with numpy, 300 MB with torch's CPU build once an optimizer has stepped, the same
on a quiet machine and beside busy ones, since resident pages count in full whoever shares
them). A training run also loads the grader's Fashion-MNIST files into the worker (83 MB, one
float copy at a time: ``sandbox/calls.py``). What is left is the student's, stated without
either: :meth:`MemoryBudget.table` prints it, and the message of a student stopped for memory
gives the same split.

torch's CUDA build (which a Linux machine gets from the public index without the CPU-only
one) idles at ~875 MB, more than the machine: there the worker gets its own baseline plus what
the CPU build would leave the student, so the verdict is the CPU build's, and
:meth:`MemoryBudget.notes` says the grading does not fit Gradescope.

The baselines are measured once per environment, in a fresh interpreter with the sandbox's
environment (the larger of two runs), and kept in the virtual environment
(``autograder-memory-peaks.json``) until the interpreter or the numpy/torch files change;
``setup.sh`` measures once at the end (and prints the result).

    python -m autograder.sandbox.budget        # prints the torch build, the baselines and the budget
"""
import importlib.util
import json
import os
import stat
import subprocess
import sys
import tempfile

from autograder import config
from autograder.sandbox import processes

# Run in a fresh interpreter like the worker's: imports what every worker of that
# kind imports, and for torch does what any training does (a tiny forward,
# backward and Adam step), then reports its own memory.
_PROBE = r"""
import json, sys
import numpy
info = {"torch": None, "cuda": None}
if sys.argv[1] == "torch":
    import torch
    torch.set_num_threads(1)
    model = torch.nn.Linear(8, 2)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.zeros(4, 8)).sum().backward()
    optimizer.step()
    info["torch"], info["cuda"] = torch.__version__, torch.version.cuda
def field(path, name):
    with open(path) as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1]) // 1024
    return None
info["peak_mb"] = field("/proc/self/status", "VmHWM")
info["vm_peak_mb"] = field("/proc/self/status", "VmPeak")
print(json.dumps(info))
"""

PROBE_TIMEOUT = 120.0
# Kept in the virtual environment it describes (root's, like the grader's files); none without one.
CACHE_FILE = (os.path.join(sys.prefix, "autograder-memory-peaks.json") if sys.prefix != sys.base_prefix
              else None)


def baseline_kind(module):
    return "torch" if module in config.TORCH_MODULES else "numpy"


LIBRARY_PACKAGES = ("numpy", "torch")


def settle_library_pages(packages=LIBRARY_PACKAGES):
    """Drop from the page cache the shared libraries of ``packages`` that no process maps.

    How much of a library a worker holds resident depends on how its pages sit in the page cache:
    pages just written by pip come in large folios, and one fault maps a whole folio, so a fresh
    install's idle torch worker held 344 to 375 MB against 299 MB once the same files had been read
    back from disk (libtorch_cpu.so: 78 to 95 MB resident against 48 MB). Dropping the pages that
    nothing maps makes the next worker read them back the ordinary way, so an idle worker's size
    and a verdict near the limit do not depend on the install's history. Pages some process maps
    stay (the kernel keeps them), so this never slows or changes a running worker.
    """
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for root in spec.submodule_search_locations:
            for folder, _dirs, names in os.walk(root):
                for name in names:
                    if ".so" in name:
                        _drop_cached_pages(os.path.join(folder, name))


def _drop_cached_pages(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass
    finally:
        os.close(fd)


def measure_baseline(kind, env=None):
    """``{"peak_mb", "vm_peak_mb", "torch", "cuda"}`` of an idle interpreter with numpy (and torch).

    Raises ``RuntimeError`` with the probe's error when it cannot run.
    """
    settle_library_pages()
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _PROBE, kind], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT, env=env, stdin=subprocess.DEVNULL, cwd="/")
    except (OSError, subprocess.SubprocessError) as err:
        raise RuntimeError(f"the {kind} memory probe could not run: {err}") from None
    if done.returncode != 0:
        tail = (done.stderr or "").strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise RuntimeError(f"the {kind} memory probe failed: {tail[0][:300]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def environment_key(kind):
    """What a baseline depends on: the interpreter and the installed numpy (and torch) files."""
    parts = [os.path.realpath(sys.executable), sys.version]
    for name in ("numpy", "torch") if kind == "torch" else ("numpy",):
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec and spec.origin else ""
        try:
            info = os.stat(origin)
            parts.append(f"{origin}:{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            parts.append(f"{name}: not found")
    return "|".join(parts)


def _read_cache(path):
    """The cached baselines, if the file is ours and nobody else can write it."""
    try:
        with open(path) as f:
            info = os.fstat(f.fileno())
            if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return {}
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(path, data):
    try:
        handle, temporary = tempfile.mkstemp(prefix=".memory-baselines-", dir=os.path.dirname(path))
        with os.fdopen(handle, "w") as f:
            json.dump(data, f, indent=1)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only checkout: measure again next time


def own_memory_mb():
    """The grader's own peak resident memory so far (MB)."""
    return (processes.peak_resident(os.getpid()) or 0) >> 20


MB = 1 << 20


class MemoryBudget:
    """Memory limits for the workers of one grading, from the machine's size."""

    def __init__(self, env=None, measure=measure_baseline, cache_file=CACHE_FILE, container_mb=None):
        self._env, self._measure, self._cache_file = env, measure, cache_file
        self.container_mb = container_mb or config.container_memory_mb()
        self._baselines = {}
        self._notes = []
        self.grader_mb = config.GRADER_MEMORY_MB

    def baseline(self, kind):
        if kind not in self._baselines:
            key = environment_key(kind)
            cache = _read_cache(self._cache_file) if self._cache_file else {}
            found = cache.get(key)
            if not isinstance(found, dict) or not isinstance(found.get("peak_mb"), int):
                try:
                    # The larger of two runs: it is what the student's share is stated after.
                    found = max((self._measure(kind, self._env) for _ in range(2)), key=lambda b: b["peak_mb"])
                    if self._cache_file:
                        _write_cache(self._cache_file, {**cache, key: found})
                except (RuntimeError, ValueError, KeyError, TypeError) as err:
                    found = {"peak_mb": config.BASELINE_FALLBACK_MB[kind], "vm_peak_mb": 0, "torch": None,
                             "cuda": None}
                    self._notes.append(f"{err}; assumed {found['peak_mb']} MB for an idle worker with {kind}.")
            self._baselines[kind] = found
        return self._baselines[kind]

    def worker_limit_mb(self):
        """What a worker may hold on this machine, its libraries and the grader's data included."""
        self.grader_mb = max(self.grader_mb, own_memory_mb())  # as it is now, when a worker starts
        return self.container_mb - config.WATCHDOG_MARGIN_MB - self.grader_mb

    def memory_mb(self, module):
        """The watchdog's limit for the worker of ``module``."""
        base = self.baseline(baseline_kind(module))
        limit = self.worker_limit_mb()
        if base.get("cuda"):
            # Does not fit the machine anyway: the share a CPU build would leave, on top of this baseline.
            return base["peak_mb"] + limit - config.TORCH_CPU_BASELINE_MB
        if limit - base["peak_mb"] < 100:
            note = (f"{module}: an idle worker takes {base['peak_mb']} MB of the {limit} MB a worker may hold on a "
                    f"{self.container_mb} MB machine: student code has almost no room (build for more memory).")
            if note not in self._notes:
                self._notes.append(note)
        return limit

    def address_space_mb(self, module, default):
        """RLIMIT_AS for the worker: the baseline's mappings (CUDA maps ~3 GB) plus room."""
        base = self.baseline(baseline_kind(module))
        return max(default, int(base.get("vm_peak_mb") or 0) + config.STUDENT_ADDRESS_SPACE_MB)

    def notes(self):
        """What the instructor should know about this environment's memory, as sentences."""
        notes = list(self._notes)
        torch_base = self._baselines.get("torch")
        if torch_base and torch_base.get("cuda"):
            notes.append(f"torch {torch_base['torch']} is the CUDA build: an idle worker with it takes "
                         f"{torch_base['peak_mb']} MB, so this grading's memory limits exceed a "
                         f"{self.container_mb} MB machine. Install the CPU build (setup.sh says how).")
        return notes

    def describe(self):
        """JSON-able summary for results.json's extra_data."""
        return {"container_mb": self.container_mb, "grader_mb": self.grader_mb,
                "margin_mb": config.WATCHDOG_MARGIN_MB,
                "baselines": {k: {"peak_mb": v["peak_mb"], "torch": v.get("torch"), "cuda": v.get("cuda")}
                              for k, v in self._baselines.items()}}

    def table(self, training_data_mb):
        """Lines for people: each part's limit and what of it is the student's."""
        lines = [f"grading machine {self.container_mb} MB: grader {self.grader_mb} MB, watchdog margin "
                 f"{config.WATCHDOG_MARGIN_MB} MB (peak resident memory, summed over processes)",
                 f"{'part':14} {'limit':>6} {'idle worker':>12} {'grader data':>12} {'student':>8}"]
        for module in ("calculus", "linear_models", "mlp", "conv", "torch_models"):
            base = self.baseline(baseline_kind(module))["peak_mb"]
            data = training_data_mb if module in ("mlp", "torch_models") else 0
            limit = self.memory_mb(module)
            lines.append(f"{module:14} {limit:5d}M {base:11d}M {data:11d}M {limit - base - data:7d}M")
        return lines


def main():
    from autograder.sandbox.calls import training_data_bytes
    from autograder.sandbox.sandbox import worker_environment
    budget = MemoryBudget(worker_environment("/", 1))
    for kind in ("numpy", "torch"):
        found = budget.baseline(kind)
        build = ""
        if found.get("torch"):
            build = f", torch {found['torch']} ({'CUDA ' + found['cuda'] if found['cuda'] else 'CPU'} build)"
        print(f"idle worker with {kind:5}  {found['peak_mb']:4d} MB (address space {found['vm_peak_mb']} MB{build})")
    print("\n".join(budget.table(-(-training_data_bytes() // MB))))
    for note in budget.notes():
        print("note:", note)


if __name__ == "__main__":
    main()
