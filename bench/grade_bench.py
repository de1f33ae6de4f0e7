"""Time and memory of one full grading, as Gradescope would run it.

Usage: python bench/grade_bench.py [SUBMISSION] [--cores 0]

Runs ``python -m autograder grade SUBMISSION`` pinned to one core (taskset),
samples the resident memory of the grader and all its descendants (the student
processes included) every 50 ms, and prints:

- wall time on one core (Gradescope's default gives half a CPU: about twice that),
- peak memory summed over all processes (Gradescope's default limit: 768 MB),
- CPU time of the whole grading, of the student's code, and the share outside it.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from autograder.sandbox import _descendants, _process_table  # noqa: E402


def tree_rss(root_pid):
    table = _process_table()
    pids = [root_pid] + _descendants(root_pid, table)
    return sum(table[p][2] for p in pids if p in table)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", nargs="?", default=os.path.join(REPO, "reference"))
    parser.add_argument("--cores", default="0", help="CPU list for taskset (default: one core, 0)")
    args = parser.parse_args()

    results_dir = tempfile.mkdtemp(prefix="grade-bench-")
    results_path = os.path.join(results_dir, "results.json")
    command = [sys.executable, "-m", "autograder", "grade", args.submission, "--results", results_path]
    if shutil.which("taskset"):
        command = ["taskset", "-c", args.cores] + command
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.05)
    wall = time.monotonic() - started
    output = process.stdout.read().decode(errors="replace")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_total = usage.ru_utime + usage.ru_stime
    with open(results_path) as f:
        results = json.load(f)
    shutil.rmtree(results_dir, ignore_errors=True)
    extra = results.get("extra_data", {})
    student_cpu = float(extra.get("student_cpu_seconds", 0.0))
    total_points = sum(t["max_score"] for t in results["tests"])

    print(output.strip().splitlines()[-3] if output.strip() else "")
    print(f"submission           {os.path.relpath(args.submission, REPO)}")
    print(f"score                {results['score']:g} / {total_points:g}")
    print(f"wall time            {wall:.1f} s on core(s) {args.cores} (half a CPU: about {2 * wall:.0f} s; limit 600 s)")
    print(f"peak memory          {peak / 2 ** 20:.0f} MB summed over all processes (limit 768 MB)")
    print(f"CPU time             {cpu_total:.1f} s in all, {student_cpu:.1f} s in the student's code")
    if cpu_total > 0:
        print(f"outside student code {100 * (1 - student_cpu / cpu_total):.0f}% of CPU time")
    print(f"isolation            {extra.get('isolation', '?')}")


if __name__ == "__main__":
    main()
