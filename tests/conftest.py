"""Fixtures shared by the project's own tests."""
from collections import namedtuple

import numpy as np
import pytest

PublicFashion = namedtuple("PublicFashion", "train train_labels test test_labels")


@pytest.fixture(scope="module")
def public():
    """All of the public Fashion-MNIST as an exploit would have it: rows of 784 uint8 pixels and
    int64 labels, ``(train, train_labels, test, test_labels)``, also by those names."""
    from coursedata.fashion_mnist import load_fashion_mnist
    try:
        X_train, y_train, X_test, y_test = load_fashion_mnist()
    except Exception as err:  # the data set is installed by setup.sh
        pytest.skip(f"Fashion-MNIST is not available: {err}")
    return PublicFashion(X_train.reshape(len(X_train), -1), np.asarray(y_train, dtype=np.int64),
                         X_test.reshape(len(X_test), -1), np.asarray(y_test, dtype=np.int64))
