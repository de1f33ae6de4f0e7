"""The memory budget of one grading, measured in the environment it runs in.

An idle worker costs what its interpreter and libraries cost here: about 20 MB
with numpy, 250-360 MB with torch's CPU build once an optimizer has stepped
(less when other processes share its libraries), and about 850 MB with torch's
CUDA build (which a Linux machine gets from the public index without the
CPU-only one). At the start of a grading :class:`MemoryBudget` measures that
baseline once (with torch only when ``torch_models`` is graded) and gives the
student's code ``config.STUDENT_MEMORY_MB`` on top of it, so the same code gets
the same verdict whichever build is installed.

With a CPU build the student's processes are also capped so that, with the
grader's own memory, the whole tree stays within ``config.TREE_MEMORY_MB``
(below Gradescope's 768 MB, with room for the watchdog's reaction time). A CUDA
build does not fit Gradescope at all (``setup.sh`` refuses it there): elsewhere
the cap is lifted and :meth:`MemoryBudget.notes` says so.

The torch measurement costs ~3.5 CPU seconds, so it is kept in the virtual
environment (``autograder-memory-baselines.json``) for the same interpreter and
the same installed numpy/torch files, and measured again whenever any of them
changes; ``setup.sh`` measures once at the end (and prints the result).

    python -m autograder.sandbox.budget        # prints the torch build and the baselines
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
info["pss_mb"] = field("/proc/self/smaps_rollup", "Pss") or field("/proc/self/status", "VmRSS")
info["vm_peak_mb"] = field("/proc/self/status", "VmPeak")
print(json.dumps(info))
"""

PROBE_TIMEOUT = 120.0
# Kept in the virtual environment it describes (root's, like the grader's files); none without one.
CACHE_FILE = (os.path.join(sys.prefix, "autograder-memory-baselines.json") if sys.prefix != sys.base_prefix
              else None)


def baseline_kind(module):
    return "torch" if module in config.TORCH_MODULES else "numpy"


def measure_baseline(kind, env=None):
    """``{"pss_mb", "vm_peak_mb", "torch", "cuda"}`` of an idle interpreter with numpy (and torch).

    Raises ``RuntimeError`` with the probe's error when it cannot run.
    """
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


def memory_kb(pid="self"):
    """Proportional set size of process ``pid`` in kB (resident size where the kernel does not
    tell); 0 if it is gone."""
    pid = os.getpid() if pid == "self" else int(pid)
    info = processes.stat(pid)
    return 0 if info is None else processes.proportional_memory(pid, info.rss) // 1024


def own_memory_mb():
    return memory_kb() // 1024


class MemoryBudget:
    """Memory limits for the workers of one grading, above a measured baseline."""

    def __init__(self, env=None, measure=measure_baseline, cache_file=CACHE_FILE):
        self._env, self._measure, self._cache_file = env, measure, cache_file
        self._baselines = {}
        self._notes = []
        self.grader_mb = config.GRADER_MEMORY_MB

    def baseline(self, kind):
        if kind not in self._baselines:
            key = environment_key(kind)
            cache = _read_cache(self._cache_file) if self._cache_file else {}
            found = cache.get(key)
            if not isinstance(found, dict) or not isinstance(found.get("pss_mb"), int):
                try:
                    # The smaller of two: the first run after an install may also compile bytecode.
                    found = min((self._measure(kind, self._env) for _ in range(2)), key=lambda b: b["pss_mb"])
                    if self._cache_file:
                        _write_cache(self._cache_file, {**cache, key: found})
                except (RuntimeError, ValueError) as err:
                    found = {"pss_mb": config.BASELINE_FALLBACK_MB[kind], "vm_peak_mb": 0, "torch": None,
                             "cuda": None}
                    self._notes.append(f"{err}; assumed {found['pss_mb']} MB for an idle worker with {kind}.")
            self._baselines[kind] = found
        return self._baselines[kind]

    def memory_mb(self, module):
        """The watchdog's limit for the worker of ``module``: baseline plus the student's share."""
        base = self.baseline(baseline_kind(module))
        share = config.STUDENT_MEMORY_MB.get(module, config.STUDENT_MEMORY_MB["default"])
        wanted = base["pss_mb"] + share
        if base.get("cuda"):
            return wanted  # does not fit Gradescope anyway; keep the verdict the CPU build would give
        self.grader_mb = max(self.grader_mb, own_memory_mb())  # as it is now, when a worker starts
        cap = config.TREE_MEMORY_MB - self.grader_mb
        if wanted - cap > share // 10:   # a cut worth telling the instructor about
            note = (f"{module}: the student's share was cut to {cap - base['pss_mb']} MB above the idle worker's "
                    f"{base['pss_mb']} MB to keep the whole grading within {config.TREE_MEMORY_MB} MB.")
            if note not in self._notes:
                self._notes.append(note)
        return min(wanted, cap)

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
                         f"{torch_base['pss_mb']} MB, so this grading's memory limits exceed Gradescope's "
                         "768 MB. Install the CPU build (setup.sh says how).")
        return notes

    def describe(self):
        """JSON-able summary for results.json's extra_data."""
        return {"grader_mb": self.grader_mb, "tree_limit_mb": config.TREE_MEMORY_MB,
                "baselines": {k: {"pss_mb": v["pss_mb"], "torch": v.get("torch"), "cuda": v.get("cuda")}
                              for k, v in self._baselines.items()}}


def main():
    budget = MemoryBudget()
    for kind in ("numpy", "torch"):
        found = budget.baseline(kind)
        build = ""
        if found.get("torch"):
            build = f", torch {found['torch']} ({'CUDA ' + found['cuda'] if found['cuda'] else 'CPU'} build)"
        print(f"idle worker with {kind:5}  {found['pss_mb']:4d} MB (address space {found['vm_peak_mb']} MB{build})")
    print(f"grader                   {budget.grader_mb:4d} MB reserved")
    for module in ("calculus", "mlp", "torch_models"):
        print(f"limit for {module:14} {budget.memory_mb(module):4d} MB")
    for note in budget.notes():
        print("note:", note)


if __name__ == "__main__":
    main()
