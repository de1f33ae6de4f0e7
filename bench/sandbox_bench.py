"""Cost of the sandbox itself: an 8 MB answer across the channel, and the watchdog's CPU.

Usage: python bench/sandbox_bench.py

Prints
- the median and worst round trip of a call whose answer is an 8 MB float64
  array (the grader's target: under 50 ms),
- the grader's own CPU time while the student's code spins for a few seconds,
  as a share of the student's CPU time (target: at most 5%),
- the confinement layers in force on this machine.
"""
import os
import resource
import statistics
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from autograder.sandbox.sandbox import Limits, Sandbox  # noqa: E402

STUDENT = '''
import time
import numpy as np

ANSWER = np.random.default_rng(0).random(1 << 20)   # 8 MB of float64

def answer():
    return ANSWER

def spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds
'''


def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "calculus.py")
        with open(path, "w") as f:
            f.write(STUDENT)
        with Sandbox({"calculus.py": path}) as box:
            process = box.start("calculus", Limits(memory_mb=400))
            process.call("answer")  # warm up
            times = []
            for _ in range(30):
                started = time.perf_counter()
                value = process.call("answer").value
                times.append(time.perf_counter() - started)
            assert value.nbytes == 8 << 20
            print(f"8 MB answer          median {statistics.median(times) * 1000:.1f} ms, "
                  f"worst {max(times) * 1000:.1f} ms over {len(times)} calls (target < 50 ms)")
            seconds = 5.0
            before = own_cpu()
            result = process.call("spin", seconds, timeout=60, cpu_budget=seconds * 2)
            grader = own_cpu() - before
            print(f"watchdog             grader CPU {grader:.3f} s while the student used "
                  f"{result.cpu_seconds:.2f} s: {100 * grader / result.cpu_seconds:.1f}% (target <= 5%)")
            print(f"isolation            {box.summary}")
            process.close()


if __name__ == "__main__":
    main()
