"""Throughput of batch grading: submissions per minute with --jobs 1 and --jobs 2.

Usage: python bench/batch_bench.py [--count 20] [--jobs 1,2] [--training]

Builds a class of ``--count`` submissions (copies of reference/ and of the
variants under tests/submissions/variants, when present), grades it with
``python -m autograder batch`` once per ``--jobs`` value into a fresh output
folder, and prints the wall time, submissions per minute and the speed-up
over the first value. Without ``--training`` the Fashion-MNIST training tests
are left out (``--no-training``), so that the bench takes minutes, not an
hour; the output says so.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sources():
    found = [os.path.join(REPO, "reference")]
    variants = os.path.join(REPO, "tests", "submissions", "variants")
    if os.path.isdir(variants):
        found += sorted(os.path.join(variants, name) for name in os.listdir(variants)
                        if os.path.isdir(os.path.join(variants, name)))
    return found


def make_class(folder, count):
    picks = sources()
    for i in range(count):
        source = picks[i % len(picks)]
        shutil.copytree(source, os.path.join(folder, f"student{i + 1:02d}_{os.path.basename(source)}"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return picks


def run(folder, out, jobs, training):
    command = [sys.executable, "-m", "autograder", "batch", folder, "--out", out, "--jobs", str(jobs),
               "--no-progress"] + ([] if training else ["--no-training"])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"batch failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    seconds, scores, problems = [], [], 0
    for name in os.listdir(os.path.join(out, "results")):
        with open(os.path.join(out, "results", name)) as f:
            results = json.load(f)
        seconds.append(results["extra_data"]["batch"]["wall_seconds"])
        scores.append(results["score"])
        problems += results["extra_data"]["batch"]["status"] != "graded"
    return wall, cpu, seconds, scores, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20, help="submissions in the class (default 20)")
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values (default 1,2)")
    parser.add_argument("--training", action="store_true",
                        help="include the Fashion-MNIST training tests (much longer)")
    args = parser.parse_args()
    jobs_values = [int(j) for j in args.jobs.split(",")]

    work = tempfile.mkdtemp(prefix="batch-bench-")
    try:
        folder = os.path.join(work, "class")
        os.makedirs(folder)
        picks = make_class(folder, args.count)
        mode = "with the Fashion-MNIST training tests" if args.training else \
            "WITHOUT the Fashion-MNIST training tests (--no-training; pass --training to include them)"
        print(f"batch bench: {args.count} submissions (copies of {', '.join(os.path.relpath(p, REPO) for p in picks)}),"
              f" graded {mode}")
        print(f"machine: {os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.1f} "
              "(other work on the machine slows the figures down)")
        print(f"{'jobs':>4}  {'wall s':>7}  {'subs/min':>8}  {'speed-up':>8}  {'s per grading (median)':>22}  "
              f"{'CPU s per grading':>17}  {'mean score':>10}  problems")
        base = None
        for index, jobs in enumerate(jobs_values):
            out = os.path.join(work, f"out-{index}-jobs-{jobs}")  # fresh: a batch resumes in its out folder
            wall, cpu, seconds, scores, problems = run(folder, out, jobs, args.training)
            rate = 60 * args.count / wall
            base = base or rate
            print(f"{jobs:>4}  {wall:>7.1f}  {rate:>8.2f}  {rate / base:>7.2f}x  {statistics.median(seconds):>22.1f}  "
                  f"{cpu / args.count:>17.1f}  {statistics.mean(scores):>10.2f}  {problems}", flush=True)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
