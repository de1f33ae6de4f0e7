"""What a grading draws and what the sandbox receives for training (session/keys.py, session/fashion.py).

- every value comes from a key of its own: what the student's code is handed (inputs, seeds)
  is not the grading's seed and tells nothing of the secrets;
- the sandbox gets two disjoint training sets (the fully-connected one with its pixels in a
  secret order), renamed labels, and, only for ConvNetDropout, the test images in a secret
  order with bounded noise: never the test labels, never an image a public table holds.
"""
import hashlib
import os
import shutil

import numpy as np
import pytest

from autograder import config
from autograder.judge.fashion import predicted_classes
from autograder.session.fashion import FashionData, derangement
from autograder.session.keys import STUDENT_SEED_RANGE, GradingKeys


def test_each_purpose_has_its_own_key_and_the_same_seed_the_same_keys():
    keys = GradingKeys(101)
    purposes = [("inputs", "test_a"), ("inputs", "test_b"), ("hidden inputs", "test_a"),
                ("fashion-mnist", "pixel order"), ("student seed", "train_torch", "mlp")]
    assert len({keys.key(*p) for p in purposes}) == len(purposes)
    assert GradingKeys(101).key("inputs", "test_a") == keys.key("inputs", "test_a")
    assert GradingKeys(102).key("inputs", "test_a") != keys.key("inputs", "test_a")
    assert np.array_equal(keys.generator("inputs", "x").random(5), GradingKeys(101).generator("inputs", "x").random(5))


def test_seeds_handed_to_student_code_are_not_the_gradings_seed():
    for seed in (0, 1, 2 ** 31 - 1, 2 ** 62 - 1):
        keys = GradingKeys(seed)
        handed = {keys.student_seed("train_torch", kind) for kind in ("logreg", "mlp", "convnet")}
        handed |= {keys.student_seed("model", "logreg"), keys.student_seed("train_mlp", "fashion-mnist")}
        assert len(handed) == 5 and seed not in handed
        assert all(0 <= s < STUDENT_SEED_RANGE for s in handed)


class FakeSandbox:
    """What FashionData needs of a sandbox: a data folder and ``share``."""

    def __init__(self, folder):
        self.data_dir = str(folder)
        os.makedirs(self.data_dir, exist_ok=True)
        self.shared = []

    def share(self, path, target=None):
        if target is not None:
            shutil.copyfile(path, target)
        self.shared.append(os.path.basename(target or path))


def load(sandbox, name):
    return np.load(os.path.join(sandbox.data_dir, name), allow_pickle=False)


def test_the_training_sets_are_disjoint_secret_subsets_with_renamed_labels(tmp_path, public):
    sandbox = FakeSandbox(tmp_path / "data")
    data = FashionData(GradingKeys(7), sandbox)
    fc = data.training_files("logreg")
    assert data.training_files("numpy_mlp") == data.training_files("mlp") == fc
    assert sorted(os.listdir(sandbox.data_dir)) == sorted(fc.values()), "the ConvNet's set is given only when needed"
    conv = data.training_files("convnet")
    data.close()
    index = {row.tobytes(): i for i, row in enumerate(public.train)}
    fc_rows = load(sandbox, fc["images"])
    order = data.pixel_order
    assert sorted(order) == list(range(784)) and np.mean(order == np.arange(784)) < 0.05
    unpermuted = np.empty_like(fc_rows)
    unpermuted[:, order] = fc_rows
    fc_ids = np.array([index[row.tobytes()] for row in unpermuted])
    conv_images = load(sandbox, conv["images"])
    conv_ids = np.array([index[image.reshape(-1).tobytes()] for image in conv_images])
    n = config.TRAIN_SUBSET
    assert len(set(fc_ids)) == len(set(conv_ids)) == n and not set(fc_ids) & set(conv_ids)
    assert not np.array_equal(np.sort(fc_ids), np.arange(n)), "not the first images"
    assert np.mean(np.diff(fc_ids) > 0) < 0.6, "not in file order"
    assert sum(row.tobytes() in index for row in fc_rows[:500]) == 0, "no fully-connected image is a public one"
    for kind, ids, files in (("logreg", fc_ids, fc), ("convnet", conv_ids, conv)):
        renaming = data.renaming(kind)
        assert not np.any(renaming == np.arange(10)) and sorted(renaming) == list(range(10))
        assert np.array_equal(load(sandbox, files["labels"]), renaming[public.train_labels[ids]])
    assert sorted(sandbox.shared) == sorted(list(fc.values()) + list(conv.values()))


def test_the_test_images_of_fully_connected_models_follow_the_training_pixel_order(tmp_path, public):
    data = FashionData(GradingKeys(8), FakeSandbox(tmp_path / "data"))
    rows = np.array([[1, 2, 3], [4, 5, 6]])
    forward = predicted_classes(lambda x: x * 255, rows, columns=np.array([2, 0, 1]))
    assert list(forward) == [0, 0], "a fully-connected model reads the test rows in the given pixel order"
    assert np.array_equal(data.public_test_rows(), public.test)
    right = data.renaming("mlp")[public.test_labels]
    assert data.accuracy("mlp", right) == 1.0
    assert data.accuracy("mlp", public.test_labels) == 0.0, "the public class numbers are all wrong"
    assert data.public_fit(public.test_labels) == 1.0 and data.public_fit(right) == 1.0
    assert data.public_fit(np.zeros(len(right), dtype=int)) == pytest.approx(0.1, abs=0.01)


def test_the_convnets_test_images_are_in_a_secret_order_with_bounded_noise(tmp_path, public):
    sandbox = FakeSandbox(tmp_path / "data")
    data = FashionData(GradingKeys(9), sandbox)
    images = load(sandbox, data.sandbox_test_file("convnet")).reshape(10000, -1).astype(int)
    labels = data.test_labels("convnet")
    public_keys = {hashlib.sha1(row.tobytes()).hexdigest() for row in public.test}
    assert not any(hashlib.sha1(row.astype(np.uint8).tobytes()).hexdigest() in public_keys for row in images)
    test = public.test.astype(np.int16)
    nearest = [int(np.argmin(np.abs(test - row).sum(axis=1))) for row in images[:20]]
    originals = public.test[nearest].astype(int)
    assert np.abs(images[:20] - originals).max() <= config.TEST_IMAGE_NOISE
    assert np.mean(images[:20] != originals) > 0.5, "the noise touches most pixels, background included"
    assert not np.array_equal(labels, public.test_labels), "a secret order"
    assert np.array_equal(np.sort(labels), np.sort(public.test_labels))
    renamed = data.renaming("convnet")[labels]
    assert data.accuracy("convnet", renamed) == 1.0
    assert data.public_labels_accuracy("convnet", renamed) == 0.0
    with pytest.raises(ValueError):
        data.sandbox_test_file("mlp")
    assert not any("label" in name and "test" in name for name in os.listdir(sandbox.data_dir))


def test_two_gradings_get_different_secrets(tmp_path):
    a = FashionData(GradingKeys(1), FakeSandbox(tmp_path / "a"))
    b = FashionData(GradingKeys(2), FakeSandbox(tmp_path / "b"))
    assert not np.array_equal(a.pixel_order, b.pixel_order)
    renamings = {tuple(FashionData(GradingKeys(s), FakeSandbox(tmp_path / str(s))).renaming("logreg"))
                 for s in range(30)}
    assert len(renamings) > 25


def test_a_derangement_moves_every_class():
    rng = np.random.default_rng(0)
    for _ in range(100):
        permutation = derangement(rng)
        assert sorted(permutation) == list(range(10)) and not np.any(permutation == np.arange(10))
