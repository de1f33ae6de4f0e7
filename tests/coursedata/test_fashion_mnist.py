"""coursedata: idx parsing, lookup order, errors, (fake) downloads, two circles.

No test touches the network: downloads go through a monkeypatched urlopen.
"""
import gzip
import hashlib
import io
import os
import struct
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from coursedata import download, toy
from coursedata import fashion_mnist as data

STEMS = {"X_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
         "X_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
SYSTEM = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(array, magic=None):
    """The idx encoding of a uint8 array (magic defaults to 0x0800 + ndim)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x0800 + array.ndim if magic is None else magic
    return struct.pack(">i", magic) + struct.pack(">" + "i" * array.ndim, *array.shape) + array.tobytes()


def small_dataset(seed=0, n_train=12, n_test=5):
    rng = np.random.default_rng(seed)
    return {"X_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
            "X_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, n_test).astype(np.uint8)}


def write_dataset(directory, arrays, compressed=True, override=None):
    """Write the four idx files (gz or raw) into directory; override: field -> raw bytes."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for field, array in arrays.items():
        payload = (override or {}).get(field, idx_bytes(array))
        name = STEMS[field] + (".gz" if compressed else "")
        (directory / name).write_bytes(gzip.compress(payload) if compressed else payload)
    return directory


def assert_same(loaded, arrays):
    assert isinstance(loaded, data.FashionMNIST)
    for field, array in arrays.items():
        got = getattr(loaded, field)
        np.testing.assert_array_equal(got, array)
        assert got.dtype == (np.uint8 if field.startswith("X") else np.int64)
        assert got.flags.writeable


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No env var, an empty cache under tmp_path, and no system directory."""
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(data, "SYSTEM_DIRECTORY", str(tmp_path / "system"))
    return tmp_path


# ---------------------------------------------------------------- reading

@pytest.mark.parametrize("compressed", [True, False])
def test_load_gz_and_raw(isolated, compressed):
    arrays = small_dataset()
    d = write_dataset(isolated / "d", arrays, compressed=compressed)
    loaded = data.load_fashion_mnist(d)
    assert_same(loaded, arrays)
    X_train, y_train, X_test, y_test = loaded  # plain tuple unpacking works
    assert X_train.shape == (12, 28, 28) and y_test.shape == (5,)


def test_mixed_compression_and_misnamed_gzip(isolated):
    arrays = small_dataset()
    d = write_dataset(isolated / "d", arrays, compressed=True)
    (d / (STEMS["y_test"] + ".gz")).rename(d / STEMS["y_test"])  # gzip data without .gz
    raw = idx_bytes(arrays["X_test"])
    (d / (STEMS["X_test"] + ".gz")).unlink()
    (d / STEMS["X_test"]).write_bytes(raw)
    assert_same(data.load_fashion_mnist(d), arrays)


def test_read_idx_any_dimensions(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(a))
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a"), a)
    (tmp_path / "e").write_bytes(idx_bytes(np.zeros((0, 28, 28), np.uint8)))
    assert data.read_idx(tmp_path / "e", 2051).shape == (0, 28, 28)


@pytest.mark.parametrize("field, payload, message", [
    ("X_train", idx_bytes(np.zeros((12, 28, 28)), magic=2049), "bad magic number 2049"),
    ("y_train", idx_bytes(np.zeros(12), magic=2051), "bad magic number 2051"),
    ("y_test", b"\x00\x00\x08", "truncated"),
    ("X_test", idx_bytes(np.zeros((5, 28, 28)))[:-10], "truncated"),
    ("X_test", idx_bytes(np.zeros((5, 28, 28)))[:14], "truncated"),
    ("y_train", idx_bytes(np.zeros(12)) + b"\x00", "longer"),
    ("X_train", idx_bytes(np.zeros((12, 28, 27))), "(28, 27)"),
    ("y_train", idx_bytes(np.full(12, 10)), "outside 0..9"),
    ("y_test", b"garbage that is not idx", "bad magic number"),
])
@pytest.mark.parametrize("compressed", [True, False])
def test_corrupt_files_name_the_file(isolated, field, payload, message, compressed):
    d = write_dataset(isolated / "d", small_dataset(), compressed, override={field: payload})
    with pytest.raises(data.FashionMNISTError) as err:
        data.load_fashion_mnist(d)
    assert message in str(err.value)
    assert STEMS[field] in str(err.value)


def test_wrong_count_between_images_and_labels(isolated):
    arrays = small_dataset()
    override = {"y_train": idx_bytes(arrays["y_train"][:-1])}
    d = write_dataset(isolated / "d", arrays, override=override)
    with pytest.raises(data.FashionMNISTError, match="12 images but .*11 labels"):
        data.load_fashion_mnist(d)


def test_truncated_gzip_stream(isolated):
    d = write_dataset(isolated / "d", small_dataset())
    path = d / (STEMS["X_train"] + ".gz")
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(data.FashionMNISTError, match=STEMS["X_train"]):
        data.load_fashion_mnist(d)


# ---------------------------------------------------------------- where it looks

def test_lookup_order(isolated, monkeypatch):
    arg = write_dataset(isolated / "arg", small_dataset(1))
    env = write_dataset(isolated / "env", small_dataset(2))
    system = write_dataset(isolated / "system", small_dataset(3))
    cache = write_dataset(isolated / "xdg" / "fashion-mnist", small_dataset(4))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(env))
    assert data.search_directories(arg) == [arg, env, system, cache]
    assert_same(data.load_fashion_mnist(arg), small_dataset(1))
    assert_same(data.load_fashion_mnist(), small_dataset(2))
    monkeypatch.delenv("FASHION_MNIST_DIR")
    assert_same(data.load_fashion_mnist(), small_dataset(3))
    (system / (STEMS["y_test"] + ".gz")).unlink()  # incomplete: skipped
    assert_same(data.load_fashion_mnist(), small_dataset(4))
    assert_same(data.load_fashion_mnist(str(arg)), small_dataset(1))  # a str works too


def test_cache_default_without_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.cache_directory() == tmp_path / ".cache" / "fashion-mnist"


def test_not_found_lists_every_place(isolated, monkeypatch):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(isolated / "env"))
    partial = write_dataset(isolated / "arg", small_dataset())
    (partial / (STEMS["X_test"] + ".gz")).unlink()
    with pytest.raises(data.FashionMNISTError) as err:
        data.load_fashion_mnist(partial)
    message = str(err.value)
    for place in (partial, isolated / "env", isolated / "system", isolated / "xdg" / "fashion-mnist"):
        assert str(place) in message
    assert "missing t10k-images-idx3-ubyte" in message
    assert "sudo apt-get install dataset-fashion-mnist" in message
    assert "python -m coursedata.download" in message


# ---------------------------------------------------------------- downloads (faked)

class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def fake_official(monkeypatch, arrays, corrupt=()):
    """Serve gzip'd idx files for the four URLs and pretend their md5s are the official ones."""
    blobs = {STEMS[f] + ".gz": gzip.compress(idx_bytes(a)) for f, a in arrays.items()}
    monkeypatch.setattr(download, "MD5", {stem: hashlib.md5(blobs[stem + ".gz"]).hexdigest()
                                          for stem, _ in data.FILES.values()})
    requested = []

    def urlopen(url, timeout=None):
        requested.append(url)
        name = url.rsplit("/", 1)[1]
        body = blobs[name]
        if any(url.startswith(m) and name.startswith(c) for m, c in corrupt):
            body = body[:-1] + b"x"
        return FakeResponse(body)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return requested


def test_download_into_cache_with_md5(isolated, monkeypatch):
    arrays = small_dataset(7)
    requested = fake_official(monkeypatch, arrays)
    with pytest.raises(data.FashionMNISTError):
        data.load_fashion_mnist()  # no download unless asked
    assert requested == []
    download.download_fashion_mnist()
    assert_same(data.load_fashion_mnist(), arrays)
    cache = isolated / "xdg" / "fashion-mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(s + ".gz" for s in STEMS.values())
    assert len(requested) == 4 and all(u.startswith(download.MIRRORS[0]) for u in requested)
    # now found locally: no further requests
    download.download_fashion_mnist()
    assert len(requested) == 4


def test_download_bad_md5_falls_back_to_next_mirror(isolated, monkeypatch):
    arrays = small_dataset(8)
    requested = fake_official(monkeypatch, arrays, corrupt=[(download.MIRRORS[0], "t10k-labels")])
    download.download_fashion_mnist()
    assert_same(data.load_fashion_mnist(), arrays)
    assert sum("t10k-labels" in u for u in requested) == 2


def test_download_bad_md5_everywhere_fails_and_leaves_nothing(isolated, monkeypatch):
    arrays = small_dataset(9)
    fake_official(monkeypatch, arrays, corrupt=[(m, "train-images") for m in download.MIRRORS])
    with pytest.raises(data.FashionMNISTError) as err:
        download.download_fashion_mnist()
    assert "md5" in str(err.value) and "train-images-idx3-ubyte.gz" in str(err.value)
    cache = isolated / "xdg" / "fashion-mnist"
    assert not (cache / "train-images-idx3-ubyte.gz").exists()
    assert not [p for p in cache.iterdir() if p.name.endswith(".part")]


def test_download_network_error(isolated, monkeypatch):
    def urlopen(url, timeout=None):
        raise OSError("no network here")
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(data.FashionMNISTError, match="no network here"):
        download.download_fashion_mnist()


def test_official_md5s_are_the_published_ones():
    assert download.MD5 == {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310"}


# ---------------------------------------------------------------- conversions

def test_as_float32_rows_and_images():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8).repeat(3, axis=0)
    rows = data.as_float32_rows(images)
    assert rows.dtype == np.float32 and rows.shape == (3, 4)
    np.testing.assert_allclose(rows[0], [0, 1, 0.2, 0.4], rtol=1e-6)
    big = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    conv = data.as_float32_images(big)
    assert conv.shape == (4, 1, 28, 28) and conv.dtype == np.float32
    assert 0 <= conv.min() and conv.max() <= 1
    assert not np.shares_memory(data.as_float32_rows(big), big)


# ---------------------------------------------------------------- two circles

def test_two_circles():
    X, y = toy.two_circles(400, noise=0.0, factor=0.5, rng=0)
    assert X.shape == (400, 2) and X.dtype == np.float64
    assert y.shape == (400,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [200, 200]
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.5)
    X1, y1 = toy.two_circles(401, rng=np.random.default_rng(3))
    X2, y2 = toy.two_circles(401, rng=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert np.bincount(y1).tolist() == [201, 200]
    assert not np.array_equal(X1, toy.two_circles(401, rng=4)[0])
    noisy_radius = np.linalg.norm(X1, axis=1)
    assert abs(noisy_radius[y1 == 1].mean() - 0.5) < 0.05
    assert not np.array_equal(y1, np.sort(y1))  # shuffled


# ---------------------------------------------------------------- the real data

@pytest.mark.skipif(not SYSTEM.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_real_fashion_mnist(monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    d = data.load_fashion_mnist(SYSTEM)
    assert d.X_train.shape == (60000, 28, 28) and d.X_train.dtype == np.uint8
    assert d.X_test.shape == (10000, 28, 28)
    assert d.y_train.dtype == np.int64 and d.y_train.shape == (60000,)
    assert np.bincount(d.y_train).tolist() == [6000] * 10
    assert np.bincount(d.y_test).tolist() == [1000] * 10
    from autograder.config import TRAIN_SUBSET
    assert 0 < TRAIN_SUBSET <= 60000
