"""The Fashion-MNIST data of one grading: what the sandbox trains on, what the grader tests on.

The accuracy tests must reward models trained by the student's code in this grading, on
this grading's data, and nothing else: not weights trained at home, not a table of the
public test labels. Everything below is drawn from the grading's keys (session/keys.py), which
the student's code cannot compute from what it is handed. The contract ("Training, as
every part means it") allows each of these choices, and none costs a correct submission
anything (README: "distance from the bars", measured with and without them).

Two disjoint training sets of ``config.TRAIN_SUBSET`` images, drawn from all 60,000 in a
secret order:

- **fully connected** (``train_mlp``, ``LogisticRegression``, ``MLP``): the 784 pixel
  positions are in a secret order, the same for the training and the test images, and the
  classes are renamed by a secret derangement. A fully-connected model learns permuted
  pixels exactly as well (its initialisation treats every input alike), but weights
  trained on the public pixel order score about 10%. The grader predicts the test images
  itself, in its own process, from the returned parameters: the test images of these
  models never enter the sandbox.
- **convnet** (``ConvNetDropout``): pixels in place (a convolution needs them), classes
  renamed by another derangement. Its predictions have to come from the student's
  process (the architecture is the student's), so the test images enter the sandbox, in
  a secret order and each pixel moved by secret noise of at most ``config.TEST_IMAGE_NOISE``
  grey levels (of 255), which costs an honest ConvNet nothing measurable (README).

Why this is enough for ``ConvNetDropout``, whose forward runs in the sandbox: a lookup
has to recognise each test image. No exact key works (bytes, file order, rounded values,
the zero pattern: the noise touches every pixel, background included, and the order is
secret), so recognising them takes the public test images or features of them, plus
their labels: tens of kilobytes of constants at the very least (the 10,000 labels alone
are 4 kB), which the payload scan (load/payloads.py) lists for the instructor. Without such a
table, classifying noisy images at 80% takes a trained classifier; one trained at home
is again a payload (its weights) and has to undo the renaming first. What is NOT stopped:
a student who ships trained weights or a large table and infers the renaming from the
training labels; the scan is what finds those (README, "limits").

The sets are written into the sandbox only when a test needs them, so the ConvNet's
images, in the public pixel order, are not there while the fully-connected models train.
"""
import functools
import os
import shutil
import tempfile

import numpy as np

from autograder import config
from autograder.errors import FashionDataMissing

SETS = {"numpy_mlp": "fully_connected", "logreg": "fully_connected", "mlp": "fully_connected",
        "convnet": "convnet"}
PIXELS = 784
CLASSES = 10
TRAINING_IMAGES = 60000
TEST_IMAGES = 10000


def derangement(generator, classes=CLASSES):
    """A permutation of the classes without fixed points: no class keeps its number, so a
    model that answers the public class numbers is wrong on (almost) every image."""
    while True:
        permutation = generator.permutation(classes)
        if not np.any(permutation == np.arange(classes)):
            return permutation


class FashionData:
    """One grading's Fashion-MNIST: training files for the sandbox, test sets for the grader.

    ``kind`` is one of ``SETS`` (the keys of ``config.TRAIN_CPU_SECONDS``). Raises
    :class:`FashionDataMissing` (a message for the instructor) when no data is found.
    """

    def __init__(self, keys, sandbox, data_dir=None, subset=config.TRAIN_SUBSET, noise=config.TEST_IMAGE_NOISE):
        if 2 * int(subset) > TRAINING_IMAGES:
            raise ValueError(f"two disjoint subsets of {subset} images do not fit in {TRAINING_IMAGES}")
        self._keys = keys
        self._sandbox = sandbox
        self._data_dir = data_dir
        self._subset = int(subset)
        self._noise = int(noise)
        self._test = None          # (images uint8 (10000, 28, 28), labels int64), public order
        self._files = {}           # set name -> {"images": file name, "labels": file name}
        self._shared = set()       # the sets given to the sandbox so far
        self._private = None       # the grader's own folder, for the ConvNet's set until it trains
        self._sandbox_test = None  # file name of the convnet's test images in the sandbox
        self._renamings = {}

    # ----------------------------------------------------------------------- the data set

    def _load(self):
        from coursedata.fashion_mnist import load_fashion_mnist
        try:
            return load_fashion_mnist(self._data_dir)
        except Exception as err:  # the loader's own error lists where it looked
            raise FashionDataMissing(str(err)) from None

    def _public_test(self):
        if self._test is None:
            self._prepare()
        return self._test

    # ----------------------------------------------------------------------- the secrets

    @functools.cached_property
    def _subsets(self):
        """Two disjoint subsets of the 60,000 training images, each in a secret order."""
        order = self._keys.generator("fashion-mnist", "training subsets").permutation(TRAINING_IMAGES)
        n = self._subset
        return {"fully_connected": order[:n], "convnet": order[n:2 * n]}

    def renaming(self, kind):
        """Class k of Fashion-MNIST is class ``renaming(kind)[k]`` in ``kind``'s training labels
        (``kind`` a model or a set's name)."""
        name = SETS.get(kind, kind)
        if name not in self._renamings:
            self._renamings[name] = derangement(self._keys.generator("fashion-mnist", "renaming", name))
        return self._renamings[name]

    @functools.cached_property
    def pixel_order(self):
        """Position j of a fully-connected model's input holds pixel ``pixel_order[j]`` of the image."""
        return self._keys.generator("fashion-mnist", "pixel order").permutation(PIXELS)

    @functools.cached_property
    def _convnet_test_order(self):
        return self._keys.generator("fashion-mnist", "convnet test order").permutation(TEST_IMAGES)

    # ----------------------------------------------------------------------- the sandbox's files

    def _prepare(self):
        """Load Fashion-MNIST once and write both training sets: the fully-connected one where the
        sandbox can read it, the ConvNet's in the grader's private folder until ConvNetDropout
        trains. The grader's process has ~110 MB: the 55 MB data set is its largest piece, and
        nothing else is copied whole (files are written a few MB at a time)."""
        X_train, y_train, X_test, y_test = self._load()
        self._test = (np.asarray(X_test), np.asarray(y_test, dtype=np.int64))
        self._private = tempfile.mkdtemp(prefix="autograder-fashion-")   # mode 0700: not the student's
        rows = np.asarray(X_train).reshape(len(X_train), PIXELS)
        labels = np.asarray(y_train, dtype=np.int64)
        for name, columns in (("fully_connected", self.pixel_order), ("convnet", None)):
            indices = self._subsets[name]
            folder = self._sandbox.data_dir if name == "fully_connected" else self._private
            files = {"images": f"train_{name}_images.npy", "labels": f"train_{name}_labels.npy"}
            images_shape = (len(indices), PIXELS) if columns is not None else (len(indices), 28, 28)
            _save_in_chunks(os.path.join(folder, files["images"]), images_shape,
                            lambda start, stop: rows[indices[start:stop]][:, columns]
                            if columns is not None else rows[indices[start:stop]])
            np.save(os.path.join(folder, files["labels"]), self.renaming(name)[labels[indices]], allow_pickle=False)
            self._files[name] = files
        for path in self._files["fully_connected"].values():
            self._sandbox.share(os.path.join(self._sandbox.data_dir, path))

    def training_files(self, kind):
        """``kind``'s training set, in the sandbox's data folder from now on: the file names
        ``{"images": uint8 (n, 784) or (n, 28, 28), "labels": int64 (n,)}``."""
        name = SETS[kind]
        if not self._files:
            self._prepare()
        if name not in self._shared and name == "convnet":
            for file_name in self._files[name].values():
                self._sandbox.share(os.path.join(self._private, file_name),
                                    os.path.join(self._sandbox.data_dir, file_name))
        self._shared.add(name)
        return dict(self._files[name])

    def sandbox_test_file(self, kind="convnet"):
        """The convnet's test images in the sandbox (secret order, secret noise); returns the file name."""
        if SETS[kind] != "convnet":
            raise ValueError("only ConvNetDropout's test images are given to the sandbox")
        if self._sandbox_test is None:
            images, order = self._public_test()[0], self._convnet_test_order
            generator = self._keys.generator("fashion-mnist", "convnet test noise")

            def noisy(start, stop):
                part = images[order[start:stop]].astype(np.int16)
                part += generator.integers(-self._noise, self._noise + 1, part.shape, dtype=np.int16)
                return np.clip(part, 0, 255).astype(np.uint8)
            name = "test_convnet_images.npy"
            path = os.path.join(self._sandbox.data_dir, name)
            _save_in_chunks(path, (len(order),) + images.shape[1:], noisy)
            self._sandbox.share(path)
            self._sandbox_test = name
        return self._sandbox_test

    def close(self):
        """Remove the grader's private copy of the ConvNet's training set."""
        if self._private:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    # ----------------------------------------------------------------------- the grader's side

    def test_labels(self, kind):
        """Fashion-MNIST classes of ``kind``'s test images, in the order the model saw them."""
        labels = self._public_test()[1]
        return labels[self._convnet_test_order] if SETS[kind] == "convnet" else labels

    def original_classes(self, kind, predictions):
        """Classes predicted in ``kind``'s renamed classes -> Fashion-MNIST classes."""
        return np.argsort(self.renaming(kind))[np.asarray(predictions, dtype=np.int64)]

    def accuracy(self, kind, predictions):
        """Accuracy of predictions (renamed classes, one per test image in ``kind``'s order)."""
        return float(np.mean(self.original_classes(kind, predictions) == self.test_labels(kind)))

    # ----------------------------------------------------------------------- signs of training elsewhere

    def public_test_rows(self):
        """uint8 (10000, 784) in the public pixel order (what weights trained at home would read);
        a fully-connected model of this grading reads ``rows[:, pixel_order]``."""
        images = self._public_test()[0]
        return images.reshape(len(images), PIXELS)

    def public_fit(self, predictions):
        """Accuracy of predictions on :meth:`public_test_rows` once each predicted class is mapped to
        the public class it is most often right about: high only for a model that separates the
        public classes in the public pixel order, whatever class numbers it answers with."""
        labels = self._public_test()[1]
        counts = np.zeros((CLASSES, CLASSES), dtype=np.int64)
        np.add.at(counts, (np.asarray(predictions, dtype=np.int64) % CLASSES, labels), 1)
        return float(counts.max(axis=1).sum() / max(1, len(labels)))

    def public_labels_accuracy(self, kind, predictions):
        """How often predictions (not mapped back) are the public class numbers: high for a model
        that answers Fashion-MNIST's own classes, not the renamed ones it was trained on."""
        return float(np.mean(np.asarray(predictions, dtype=np.int64) == self.test_labels(kind)))


def _save_in_chunks(path, shape, rows, chunk=2000):
    """``np.save`` of a uint8 array of ``shape`` whose rows ``rows(start, stop)`` gives, written a
    chunk at a time, so that the whole array never sits in memory."""
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)),
                                                 "fortran_order": False, "shape": tuple(shape)})
        for start in range(0, shape[0], chunk):
            f.write(np.ascontiguousarray(rows(start, min(start + chunk, shape[0])), dtype=np.uint8).tobytes())


__all__ = ["FashionData", "SETS", "derangement"]
