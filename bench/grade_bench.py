"""Time and memory of a full grading, as Gradescope would run it.

Usage: python bench/grade_bench.py [SUBMISSION ...] [--cores 0] [--no-training]

Grades each submission (default: reference/ and a copy of it whose
ConvNetDropout has 64/128 channels, from bench/wide_convnet.py) with
``python -m autograder grade``, pinned to one core (taskset), while this
script, on another core, samples every 50 ms the resident memory summed over the
grader and all its descendants, the student's processes included (shared pages
counted in each process: more than the machine holds). Prints, per submission:

- the score,
- CPU seconds of the whole grading and of the student's code, and the share
  spent outside the student's code (the grader's checks, pytest, the sandbox and
  its watchdog; bench/sandbox_bench.py measures the sandbox's own cost alone),
- wall time on one core (Gradescope's default gives half a CPU: about twice that),
- peak memory of the whole tree (Gradescope's default limit: 768 MB), sampled, and as
  the kernel's peaks the grading reports: the student's processes (the figure the
  watchdog judges on) plus the grader's own,

and the conditions: interpreter, torch build, cores and load average.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from autograder.sandbox import processes  # noqa: E402
from wide_convnet import CHANNELS, write_wide_convnet_copy  # noqa: E402  (beside this file)

SAMPLE_SECONDS = 0.05


def _children():
    """{ppid: [pid, ...]} for every live process."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    return children


def tree_resident_bytes(root_pid):
    children, total, stack = _children(), 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        info = processes.stat(pid)
        total += info.rss if info else 0
    return total


def grade_once(submission, cores, training):
    results_dir = tempfile.mkdtemp(prefix="grade-bench-")
    results_path = os.path.join(results_dir, "results.json")
    command = [sys.executable, "-m", "autograder", "grade", submission, "--results", results_path]
    if not training:
        command.append("--no-training")
    if shutil.which("taskset"):
        command = ["taskset", "-c", cores] + command
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_resident_bytes(process.pid))
        time.sleep(SAMPLE_SECONDS)
    wall = time.monotonic() - started
    output = process.stdout.read().decode(errors="replace")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_total = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    try:
        with open(results_path) as f:
            results = json.load(f)
    except (OSError, ValueError):
        raise SystemExit(f"no results for {submission}:\n{output[-3000:]}")
    finally:
        shutil.rmtree(results_dir, ignore_errors=True)
    extra = results.get("extra_data", {})
    return {"score": results["score"], "max": sum(t["max_score"] for t in results["tests"]),
            "cpu": cpu_total, "student_cpu": float(extra.get("student_cpu_seconds", 0.0)), "wall": wall,
            "peak_mb": peak / 2 ** 20, "student_peak_mb": float(extra.get("student_peak_memory_mb", 0.0)),
            "grader_peak_mb": float(extra.get("grader_peak_memory_mb", 0.0)),
            "isolation": extra.get("isolation", "?"), "memory": extra.get("memory", {}),
            "lost": [f"{t['name']}: {(t.get('output') or '').strip()[:160]}" for t in results["tests"]
                     if t["score"] < t["max_score"]]}


def torch_build():
    done = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__, torch.version.cuda)"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return "not installed"
    version, cuda = done.stdout.split()
    return f"{version} ({'CPU' if cuda == 'None' else 'CUDA ' + cuda} build)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", nargs="*", help="folders or zips (default: reference and its wide-ConvNet copy)")
    parser.add_argument("--cores", default="0", help="CPU list for taskset (default: one core, 0)")
    parser.add_argument("--no-training", action="store_true", help="leave out the Fashion-MNIST training tests")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="grade-bench-subs-")
    try:
        wide = f"reference with a {CHANNELS[0]}/{CHANNELS[1]}-channel ConvNetDropout"
        submissions = [(os.path.relpath(s, REPO), s) for s in args.submissions] or [
            ("reference", os.path.join(REPO, "reference")),
            (wide, write_wide_convnet_copy(os.path.join(workdir, "wide_convnet")))]
        others = sorted(set(range(os.cpu_count() or 1)) - {int(c) for c in args.cores.split(",") if c.isdigit()})
        if others and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, others)  # the sampler stays off the grading's core
        load = os.getloadavg()
        print(f"conditions: Python {platform.python_version()} ({sys.executable}), torch {torch_build()}, "
              f"{os.cpu_count()} cores, grading on core(s) {args.cores}, load average before "
              f"{load[0]:.2f} (1 min) {load[1]:.2f} (5 min), {'no training' if args.no_training else 'training included'}")
        for name, path in submissions:
            figures = grade_once(path, args.cores, not args.no_training)
            overhead = 100 * (1 - figures["student_cpu"] / figures["cpu"]) if figures["cpu"] > 0 else 0.0
            print(f"\n{name}")
            print(f"  score                {figures['score']:g} / {figures['max']:g}")
            print(f"  CPU time             {figures['cpu']:.1f} s in all, {figures['student_cpu']:.1f} s in the "
                  "student's code")
            print(f"  outside student code {overhead:.0f}% of CPU time (grader's checks, pytest, sandbox)")
            print(f"  wall time            {figures['wall']:.1f} s on core(s) {args.cores} (half a CPU: about "
                  f"{2 * figures['wall']:.0f} s; limit 600 s)")
            memory = figures["memory"]
            machine = memory.get("container_mb", 768)
            print(f"  peak memory          {figures['peak_mb']:.0f} MB for the whole tree, sampled (resident, "
                  f"summed; machine {machine} MB)")
            print(f"  kernel's peaks       student's processes {figures['student_peak_mb']:.0f} MB (VmHWM, summed: "
                  f"what the watchdog judges), grader {figures['grader_peak_mb']:.0f} MB: "
                  f"{figures['student_peak_mb'] + figures['grader_peak_mb']:.0f} MB at most")
            baselines = memory.get("baselines", {})
            if baselines:
                print("  idle worker          " + ", ".join(f"{k} {v['peak_mb']} MB" for k, v in baselines.items())
                      + f"; grader {memory.get('grader_mb', '?')} MB kept, watchdog margin "
                        f"{memory.get('margin_mb', '?')} MB")
            print(f"  isolation            {figures['isolation']}")
            for line in figures["lost"]:
                print(f"  lost points          {line}")
        load = os.getloadavg()
        print(f"\nload average after: {load[0]:.2f} (1 min) — above ~1 means another job shared the cores")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
