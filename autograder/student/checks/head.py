#!/usr/bin/env python3
"""Self-check for the homework: run it in the folder that holds your files.

    python check.py                    # checks every file it finds here
    python check.py path/to/folder     # or in another folder
    python check.py --only calculus,mlp

It tries properties that every correct solution has -- shapes, stability at
|x| = 1e4, gradients against finite differences, bprop_loop equal to bprop,
probabilities that sum to 1, and so on -- and prints one line per check:
a tick when it holds, a cross with what to fix when it does not.

Passing every check here does NOT mean full marks: the autograder also
compares your values with the instructor's on hidden inputs and trains your
models on Fashion-MNIST. But a cross here is almost always a lost point there.

Needs only numpy (torch for torch_models.py). It contains no solution.
"""
import os

# One thread, as on the grader, so the timing estimates below mean something.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
