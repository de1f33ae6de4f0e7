"""A correct submission with a wider ConvNetDropout: 64 and 128 channels instead of 16 and 32.

    python bench/wide_convnet.py DEST     # writes the five modules to DEST

A copy of reference/ whose ConvNetDropout is the size a student may reasonably
choose; TORCH_HYPERPARAMS['convnet'] trains it for 1 epoch instead of 4 (it costs
about 15 times as much per image), which still clears the accuracy bar. Made by
replacing lines of the reference (each must occur exactly once), so it never
drifts from it. bench/grade_bench.py grades it to show the memory headroom.
"""
import os
import shutil
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from autograder.contract import PARTS  # noqa: E402

CHANNELS = (64, 128)
WIDER = [
    ("nn.Conv2d(1, 16, kernel_size=5, padding=2)", f"nn.Conv2d(1, {CHANNELS[0]}, kernel_size=5, padding=2)"),
    ("nn.Conv2d(16, 32, kernel_size=3, padding=1)",
     f"nn.Conv2d({CHANNELS[0]}, {CHANNELS[1]}, kernel_size=3, padding=1)"),
    ("nn.Linear(32 * 7 * 7, 10)", f"nn.Linear({CHANNELS[1]} * 7 * 7, 10)"),
    ("convnet=dict(epochs=4,", "convnet=dict(epochs=1,"),
]


def wide_torch_models_source():
    with open(os.path.join(REPO, "reference", "torch_models.py"), encoding="utf-8") as f:
        source = f.read()
    for old, new in WIDER:
        if source.count(old) != 1:
            raise RuntimeError(f"reference/torch_models.py no longer has exactly one {old!r}: update WIDER")
        source = source.replace(old, new)
    return source


def write_wide_convnet_copy(dest):
    """Write the reference's modules to ``dest`` with the wide ConvNetDropout; returns ``dest``."""
    os.makedirs(dest, exist_ok=True)
    for module in PARTS:
        shutil.copyfile(os.path.join(REPO, "reference", f"{module}.py"), os.path.join(dest, f"{module}.py"))
    with open(os.path.join(dest, "torch_models.py"), "w", encoding="utf-8") as f:
        f.write(wide_torch_models_source())
    return dest


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.split("\n\n")[1])
    print(write_wide_convnet_copy(sys.argv[1]))
