"""Does the grading's own data cost an honest model anything? Accuracy before and after, over seeds.

    .venv/bin/python bench/data_bench.py [--submission reference] [--models numpy_mlp,logreg,mlp,convnet]
                                         [--seeds 1,2,3] [--protocols before,after]

Trains a submission's models with its own functions (``train_mlp``, ``train_torch``), in this
process, on the data a grading with ``--seed S`` gives, and measures test accuracy as the grader
does (for the fully-connected models from the returned parameters), under two protocols:

    before   the first 20,000 training images in file order, classes renamed by a derangement,
             the public test images (the grader before session/fashion.py)
    after    session/fashion.py: secret subsets and order, renamed classes, the fully-connected
             models' pixels in a secret order (test images too), ConvNetDropout's test images in
             a secret order with noise

Seeds handed to the student's code are the grading's (session/keys.py) in both, so the two
columns differ only by the data. Without the sandbox this is a few times cheaper than
``grade SUB --parts mlp,torch_models --seed S`` and gives the same accuracies for "after".
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")   # one core, as a grading gets

import argparse
import importlib
import shutil
import statistics
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from autograder.session.fashion import FashionData, derangement  # noqa: E402
from autograder.session.keys import GradingKeys  # noqa: E402
from reference import mlp as ref  # noqa: E402

MODELS = ("numpy_mlp", "logreg", "mlp", "convnet")
COUNTS = ("dh", "epochs", "batch_size")


class FolderSandbox:
    """What FashionData needs of a sandbox: a folder to write into."""

    def __init__(self):
        self.data_dir = tempfile.mkdtemp(prefix="data-bench-")

    def share(self, path, target=None):
        if target is not None:
            shutil.copyfile(path, target)


def load_submission(folder):
    """The submission's mlp and torch_models modules, imported from ``folder``."""
    sys.path.insert(0, folder)
    try:
        for name in ("calculus", "mlp", "torch_models"):
            sys.modules.pop(name, None)
        return importlib.import_module("mlp"), importlib.import_module("torch_models")
    finally:
        sys.path.remove(folder)


def grading_data(protocol, keys, public):
    """Training and test data of one grading, uint8, with the renamings to map predictions back."""
    X_train, y_train, X_test, y_test = public
    if protocol == "before":
        renaming = derangement(np.random.default_rng([keys.seed, 0x1abe1]))
        first = X_train[:20000], renaming[y_train[:20000]]
        return {"fc": first, "convnet": first, "fc_test": X_test, "convnet_test": (X_test, y_test),
                "renaming": {"fc": renaming, "convnet": renaming}}
    sandbox = FolderSandbox()
    data = FashionData(keys, sandbox)

    def read(name):
        return np.load(os.path.join(sandbox.data_dir, name), allow_pickle=False)
    fc, conv = data.training_files("logreg"), data.training_files("convnet")
    return {"fc": (read(fc["images"]), read(fc["labels"])),
            "convnet": (read(conv["images"]).reshape(-1, 784), read(conv["labels"])),
            "fc_test": data.public_test_rows()[:, data.pixel_order],
            "convnet_test": (read(data.sandbox_test_file()).reshape(-1, 784), data.test_labels("convnet")),
            "renaming": {"fc": data.renaming("logreg"), "convnet": data.renaming("convnet")}}


def scaled(rows):
    return rows.astype(np.float32) / np.float32(255)


def accuracies(mlp, torch_models, protocol, keys, public, models):
    import torch
    torch.set_num_threads(1)
    data = grading_data(protocol, keys, public)
    y_test = public[3]
    out = {}

    def accuracy(predictions, labels, renaming):
        return float(np.mean(np.argsort(renaming)[predictions] == labels))
    if "numpy_mlp" in models:
        hp = {k: int(v) if k in COUNTS else v for k, v in mlp.HYPERPARAMS.items()}
        X, y = data["fc"]
        params, _ = mlp.train_mlp(scaled(X), y, rng=np.random.default_rng(keys.student_seed("train_mlp", "fashion-mnist")),
                                  **hp)
        predictions = np.argmax(ref.fprop(params, scaled(data["fc_test"]))["oa"], axis=1)
        out["numpy_mlp"] = accuracy(predictions, y_test, data["renaming"]["fc"])
    for kind in [m for m in models if m != "numpy_mlp"]:
        hp = dict(torch_models.TORCH_HYPERPARAMS[kind])
        options = dict(hp.pop("options", None) or {})
        torch.manual_seed(keys.student_seed("model", kind))
        if kind == "logreg":
            model = torch_models.LogisticRegression(784, 10)
        elif kind == "mlp":
            model = torch_models.MLP(784, list(hp.get("hidden", [100])), 10, dropout=float(hp.get("dropout", 0.0)))
        else:
            model = torch_models.ConvNetDropout(p=float(hp["p"])) if "p" in hp else torch_models.ConvNetDropout()
        which = "convnet" if kind == "convnet" else "fc"
        shape = (-1, 1, 28, 28) if kind == "convnet" else (-1, 784)
        X, y = data[which]
        torch_models.train_torch(model, torch.from_numpy(scaled(X)).reshape(shape), torch.from_numpy(y),
                                 int(hp["epochs"]), float(hp["lr"]), int(hp["batch_size"]),
                                 keys.student_seed("train_torch", kind), **options)
        model.eval()
        test, labels = data["convnet_test"] if kind == "convnet" else (data["fc_test"], y_test)
        with torch.no_grad():
            predictions = np.concatenate([model(torch.from_numpy(scaled(test[s:s + 500])).reshape(shape))
                                          .argmax(dim=1).numpy() for s in range(0, len(test), 500)])
        out[kind] = accuracy(predictions, labels, data["renaming"][which])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submission", default=os.path.join(ROOT, "reference"))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--protocols", default="before,after")
    args = parser.parse_args()
    from coursedata.fashion_mnist import load_fashion_mnist
    X_train, y_train, X_test, y_test = load_fashion_mnist()
    public = (X_train.reshape(len(X_train), -1), np.asarray(y_train, dtype=np.int64),
              X_test.reshape(len(X_test), -1), np.asarray(y_test, dtype=np.int64))
    mlp, torch_models = load_submission(os.path.abspath(args.submission))
    models = args.models.split(",")
    results = {protocol: [] for protocol in args.protocols.split(",")}
    for seed in [int(s) for s in args.seeds.split(",")]:
        for protocol in results:
            started = time.process_time()
            found = accuracies(mlp, torch_models, protocol, GradingKeys(seed), public, models)
            results[protocol].append(found)
            print(f"seed {seed:>4} {protocol:6}  " + "  ".join(f"{k} {v:.4f}" for k, v in found.items())
                  + f"  ({time.process_time() - started:.0f} CPU s)", flush=True)
    print("\naccuracy, mean (lowest-highest); the numpy MLP's test error is 1 - accuracy")
    for protocol, runs in results.items():
        print(f"{protocol:6}  " + "  ".join(
            f"{k} {statistics.mean(r[k] for r in runs):.3f} ({min(r[k] for r in runs):.3f}-{max(r[k] for r in runs):.3f})"
            for k in models))


if __name__ == "__main__":
    main()
