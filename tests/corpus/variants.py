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
    "float32_paramlists": "vectorised, with float32 training where the data is float32, rng.choice orders, an MLP "
                          "in two nn.ParameterLists, a BatchNorm ConvNet, a DataLoader with a generator and "
                          "reduction='sum' / batch size, eval() between epochs",
    "float32_data": "vectorised, with float32 data and float64 parameters, rng.shuffle, np.array_split batches, "
                    "an OrderedDict MLP, a LogisticRegression of plain (in, out) parameters, index_select",
}
TORCH_ONLY_VARIANTS = ("logprob_adam", "small_convnet")   # vectorised's other four files
# Variants whose files are appended to variants/vectorised's (they redefine some of its functions).
OVERLAY_VARIANTS = ("float32_paramlists", "float32_data")
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


def build_overlay_variant(style, destination):
    """variants/vectorised with each file of variants/<style> appended to the module of the same name."""
    folder = os.path.join(destination, style)
    shutil.copytree(os.path.join(VARIANTS, BASE_VARIANT), folder)
    for name in sorted(os.listdir(os.path.join(VARIANTS, style))):
        with open(os.path.join(VARIANTS, style, name), encoding="utf-8") as f:
            overlay = f.read()
        with open(os.path.join(folder, name), "a", encoding="utf-8") as f:
            f.write(overlay)
    return folder


def variant_path(style, workdir):
    """The submission (folder or zip) of a variant, built under ``workdir`` when it needs building."""
    if style == "zipped":
        return build_zipped_variant(workdir)
    if style in TORCH_ONLY_VARIANTS:
        return build_torch_only_variant(style, workdir)
    if style in OVERLAY_VARIANTS:
        return build_overlay_variant(style, workdir)
    return os.path.join(VARIANTS, style)
