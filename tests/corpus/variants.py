"""Correct submissions written independently from the contract, and how each is packed."""
import os
import shutil
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUBMISSIONS = os.path.join(REPO, "tests", "submissions")
VARIANTS = os.path.join(SUBMISSIONS, "variants")

VARIANT_STYLES = {
    "loops": "plain Python loops over entries and examples, lists for histories",
    "vectorised": "other stable formulas (tanh sigmoid, logaddexp.reduce, lstsq ridge), einsum, arrays",
    "zipped": "a zip with one nested folder, files importing each other and a helper module",
    "logprob_adam": "vectorised, with models returning log-probabilities and torch.optim.Adam as an option",
    "small_convnet": "vectorised, with issue 14's ConvNetDropout (3x3 conv of 32 channels, BatchNorm, max-pool, "
                     "dropout, linear: 54,474 parameters) trained with Adam at batch size 64",
}
TORCH_ONLY_VARIANTS = ("logprob_adam", "small_convnet")   # vectorised's other four files
TRAINING_VARIANT = "zipped"     # the one variant graded with Fashion-MNIST training
BASE_VARIANT = "vectorised"     # the correct functions that hostile files build on


def build_zipped_variant(destination):
    """tests/submissions/variants/zipped/<folder>/ packed as students' zip tools do, with some junk."""
    (folder,) = [d for d in os.listdir(os.path.join(VARIANTS, "zipped")) if not d.startswith(".")]
    source = os.path.join(VARIANTS, "zipped", folder)
    path = os.path.join(destination, "submission.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/", "")
        for name in sorted(os.listdir(source)):
            if name.endswith(".py"):
                archive.write(os.path.join(source, name), f"{folder}/{name}")
        archive.writestr(f"__MACOSX/{folder}/._calculus.py", b"\x00\x05\x16\x07 resource fork")
        archive.writestr(f"{folder}/.DS_Store", b"\x00\x00\x00\x01Bud1")
        archive.writestr(f"{folder}/README.txt", "Jane Doe, homework 3\n")
    return path


def build_torch_only_variant(style, destination):
    """variants/vectorised with torch_models.py from variants/<style>."""
    folder = os.path.join(destination, style)
    shutil.copytree(os.path.join(VARIANTS, BASE_VARIANT), folder)
    shutil.copy(os.path.join(VARIANTS, style, "torch_models.py"), folder)
    return folder


def variant_path(style, workdir):
    """The submission (folder or zip) of a variant, built under ``workdir`` when it needs building."""
    if style == "zipped":
        return build_zipped_variant(workdir)
    if style in TORCH_ONLY_VARIANTS:
        return build_torch_only_variant(style, workdir)
    return os.path.join(VARIANTS, style)
