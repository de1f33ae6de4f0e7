"""Every number the grading depends on, in one place (the student-facing text quotes them)."""
import json
import os

# Fashion-MNIST: each model is trained on TRAIN_SUBSET training images (to fit Gradescope's
# 768 MB and 10 minutes), drawn in secret from all 60,000, and tested on all 10,000 test images
# (session/fashion.py: the fully-connected models and ConvNetDropout get disjoint subsets).
TRAIN_SUBSET = 20000
# ConvNetDropout's test images, which enter the sandbox, each get secret noise of up to this many
# grey levels (of 255) per pixel, so that no table of the public test images recognises them
# (measured: an honest ConvNet loses nothing, 0.878 -> 0.878 with 4 levels, 0.879 with 2).
TEST_IMAGE_NOISE = 4

# Test error / accuracy bars, calibrated from bench/train_bench.py (see README).
MLP_MAX_TEST_ERROR = 0.20
# Set well below what the reference reaches (0.83, 0.855, 0.88 over seeds) and below what
# plain SGD with a few epochs reaches (0.79, 0.81, 0.85), so any sensible choice passes.
TORCH_MIN_TEST_ACCURACY = {"logreg": 0.75, "mlp": 0.78, "convnet": 0.80}

# Time: one call of a plain function; training, in CPU seconds (independent of
# how much of a CPU the grading machine gives) with a wall-clock backstop.
CALL_TIMEOUT = 10.0
IMPORT_TIMEOUT = 60.0
TRAIN_CPU_SECONDS = {"numpy_mlp": 90, "logreg": 30, "mlp": 60, "convnet": 90}
TOTAL_BUDGET_SECONDS = 540
TEST_TIME_LIMIT_SECONDS = 480   # pytest-timeout's backstop for one graded test (the grader's fault if hit)


def train_wall_timeout(kind):
    """Wall-clock limit for a training run: Gradescope may give us half a CPU."""
    return 3 * TRAIN_CPU_SECONDS[kind] + 30


# Memory (MB; proportional set size, summed over processes). The student's code gets
# STUDENT_MEMORY_MB above what an idle worker costs here (measured by autograder/sandbox/budget.py:
# ~20 MB with numpy; 250-360 MB with torch's CPU build, after a first optimizer step, less
# when other processes share its libraries; ~850 MB with its CUDA build), so a verdict does
# not depend on the build. With a CPU build the student's processes are also capped so that,
# with the grader's own share, the whole tree stays within TREE_MEMORY_MB: Gradescope kills
# at 768 MB, and the watchdog needs room to notice. Measured (README): the reference's
# torch_models peaks ~140 MB above the torch baseline, a 64/128-channel ConvNetDropout
# 260-310 MB above it (whole tree 610-645 MB): it must fit, hence 340 for torch_models
# (in practice the tree cap, 700 - 110 = 590 MB, is what binds).
TREE_MEMORY_MB = 700
GRADER_MEMORY_MB = 110           # the grader's process while it grades (at least)
STUDENT_MEMORY_MB = {"default": 400, "mlp": 450, "torch_models": 340}
STUDENT_ADDRESS_SPACE_MB = 2048  # per process, above the baseline's mappings
BASELINE_FALLBACK_MB = {"numpy": 30, "torch": 250}  # if the measurement fails
TORCH_MODULES = ("torch_models",)


# Gradescope leaderboard (results.json's "leaderboard": each torch model's test accuracy and
# the numpy MLP's test error). Turn on the assignment's leaderboard on Gradescope as well.
LEADERBOARD = False

# The parts a built zip grades (written by `python -m autograder build --parts`).
PARTS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "parts.json")


def default_parts():
    """``(parts, rescale)`` from autograder/parts.json (written into a built zip), or ``(None, False)``."""
    try:
        with open(PARTS_FILE) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None, False
    parts = data.get("parts") or None
    return parts, bool(data.get("rescale", parts is not None))
