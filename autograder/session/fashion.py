"""The Fashion-MNIST data a grading shares with the sandbox, and the classes' secret renaming."""
import os

import numpy as np

from autograder import config
from autograder.errors import FashionDataMissing


def share_fashion_mnist(sandbox, data_dir, permutation):
    """Write the training subset and the test images (never test labels) for the sandbox.

    The training labels the student's code sees are relabelled by ``permutation``
    (class k becomes ``permutation[k]``), so a model that answers the public test labels
    (a lookup table, weights trained at home) is wrong here; :func:`original_classes`
    maps predictions back. Returns ``(test_images, test_labels)`` (uint8 (10000, 28, 28),
    int64 (10000,), labels not relabelled), which stay in the grader's process. Raises
    :class:`FashionDataMissing` if no data is found.
    """
    from coursedata.fashion_mnist import load_fashion_mnist
    try:
        data = load_fashion_mnist(data_dir)
    except Exception as err:  # the loader's own error lists where it looked
        raise FashionDataMissing(str(err)) from None
    X_train, y_train, X_test, y_test = data
    n = config.TRAIN_SUBSET
    relabelled = permutation[np.asarray(y_train[:n], dtype=np.int64)]
    for name, array in [("train_images", X_train[:n]), ("train_labels", relabelled), ("test_images", X_test)]:
        path = os.path.join(sandbox.data_dir, name + ".npy")
        np.save(path, np.ascontiguousarray(array), allow_pickle=False)
        sandbox.share(path)
    return np.asarray(X_test), np.asarray(y_test, dtype=np.int64)


def original_classes(predictions, permutation):
    """Predicted classes in the relabelled space the student trained on -> Fashion-MNIST classes."""
    predictions = np.asarray(predictions, dtype=np.int64)
    return np.argsort(permutation)[predictions]


def label_permutation(seed, classes=10):
    """A permutation of the classes without fixed points, drawn from ``seed``.

    No class keeps its label, so a model that predicts the public labels gets
    (almost) every test image wrong once its predictions are mapped back.
    """
    rng = np.random.default_rng([int(seed), 0x1abe1])
    while True:
        permutation = rng.permutation(classes)
        if not np.any(permutation == np.arange(classes)):
            return permutation
