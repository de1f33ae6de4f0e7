"""Fashion-MNIST: find, read and validate the four idx files (no network; numpy and the standard library).

``load_fashion_mnist()`` returns a :class:`FashionMNIST` named tuple::

    X_train  uint8  (60000, 28, 28)   pixel values 0..255
    y_train  int64  (60000,)          classes 0..9
    X_test   uint8  (10000, 28, 28)
    y_test   int64  (10000,)

so ``X_train, y_train, X_test, y_test = load_fashion_mnist()`` works too.
The images stay uint8 (47 MB for the training set); ``as_float32_rows`` and
``as_float32_images`` turn a slice of them into float32 in [0, 1] for training.
Nothing here ever builds a float64 copy (that alone would be 376 MB).

The four idx files are looked for, in this order, in

1. the ``directory`` argument,
2. the directory named by the environment variable ``FASHION_MNIST_DIR``,
3. ``/usr/share/datasets/fashion-mnist`` (Debian/Ubuntu package
   ``dataset-fashion-mnist``),
4. the user cache ``$XDG_CACHE_HOME/fashion-mnist`` (default
   ``~/.cache/fashion-mnist``),

each either gzip-compressed (``train-images-idx3-ubyte.gz``) or not
(``train-images-idx3-ubyte``). The first directory holding all four files is
used. Without a copy, ``python -m coursedata.download`` fetches the official
files into the user cache (md5-checked), or install the Debian package.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import NamedTuple, Optional, Union

import numpy as np

__all__ = [
    "FashionMNIST",
    "FashionMNISTError",
    "FASHION_MNIST_CLASSES",
    "load_fashion_mnist",
    "read_idx",
    "search_directories",
    "as_float32_rows",
    "as_float32_images",
]

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

SYSTEM_DIRECTORY = "/usr/share/datasets/fashion-mnist"
ENV_VAR = "FASHION_MNIST_DIR"

# field name -> (file stem, idx magic number)
FILES = {
    "X_train": ("train-images-idx3-ubyte", 2051),
    "y_train": ("train-labels-idx1-ubyte", 2049),
    "X_test": ("t10k-images-idx3-ubyte", 2051),
    "y_test": ("t10k-labels-idx1-ubyte", 2049),
}

PathLike = Union[str, "os.PathLike[str]"]


class FashionMNISTError(RuntimeError):
    """Fashion-MNIST could not be found, read, validated or downloaded."""


class FashionMNIST(NamedTuple):
    """The four Fashion-MNIST arrays (see the module docstring for shapes)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


# ---------------------------------------------------------------------------
# Where to look
# ---------------------------------------------------------------------------

def cache_directory() -> Path:
    """``$XDG_CACHE_HOME/fashion-mnist``, or ``~/.cache/fashion-mnist``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fashion-mnist"


def search_directories(directory: Optional[PathLike] = None) -> list:
    """The directories ``load_fashion_mnist`` tries, in order, as ``Path`` objects.

    ``directory`` (if given), ``$FASHION_MNIST_DIR`` (if set and non-empty),
    the Debian system directory and the user cache; duplicates removed.
    """
    candidates = []
    if directory is not None:
        candidates.append(Path(directory).expanduser())
    env = os.environ.get(ENV_VAR)
    if env:
        candidates.append(Path(env).expanduser())
    candidates.append(Path(SYSTEM_DIRECTORY))
    candidates.append(cache_directory())
    unique = []
    for c in candidates:
        if c not in unique:
            unique.append(c)
    return unique


def _find_file(directory: Path, stem: str) -> Optional[Path]:
    """``directory/stem`` or ``directory/stem.gz`` (uncompressed preferred)."""
    for name in (stem, stem + ".gz"):
        path = directory / name
        if path.is_file():
            return path
    return None


def _find_all(directory: Path) -> dict:
    """Map field name -> path for the files of the four present in ``directory``."""
    found = {}
    for field, (stem, _) in FILES.items():
        path = _find_file(directory, stem)
        if path is not None:
            found[field] = path
    return found


# ---------------------------------------------------------------------------
# Reading idx files
# ---------------------------------------------------------------------------

def _open(path: Path):
    """Open ``path`` for reading, transparently gunzipping (detected by magic bytes)."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _read_exactly(f, n: int, path: Path, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise FashionMNISTError(
            f"{path}: truncated file: expected {n} bytes of {what}, got {len(data)}")
    return data


def read_idx(path: PathLike, expected_magic: Optional[int] = None) -> np.ndarray:
    """Read one idx file of unsigned bytes (``.gz`` or not) into a uint8 array.

    The idx format: a big-endian int32 magic number ``0x0000 08 k`` (type code 8
    = unsigned byte, ``k`` dimensions; 2049 for label files, 2051 for image
    files), then ``k`` big-endian int32 sizes, then the ``prod(sizes)`` bytes
    of data in C order. Raises ``FashionMNISTError`` naming the file when the
    magic number is wrong, the payload is shorter or longer than the header
    says, or the gzip stream is corrupt.
    """
    path = Path(path)
    try:
        with _open(path) as f:
            magic = struct.unpack(">i", _read_exactly(f, 4, path, "magic number"))[0]
            if expected_magic is not None and magic != expected_magic:
                raise FashionMNISTError(
                    f"{path}: bad magic number {magic}, expected {expected_magic} "
                    f"({'labels' if expected_magic == 2049 else 'images'} idx file)")
            if magic >> 8 != 0x08 or not 1 <= (magic & 0xFF) <= 4:
                raise FashionMNISTError(
                    f"{path}: bad magic number {magic}: not an idx file of unsigned bytes")
            ndim = magic & 0xFF
            dims = struct.unpack(">" + "i" * ndim, _read_exactly(f, 4 * ndim, path, "dimensions"))
            if any(d < 0 for d in dims):
                raise FashionMNISTError(f"{path}: negative dimension in header {dims}")
            size = int(np.prod(dims, dtype=np.int64))
            out = np.empty(size, dtype=np.uint8)
            view = memoryview(out)
            got = 0
            while got < size:  # in 1 MiB chunks: no large temporary buffers
                k = f.readinto(view[got:got + (1 << 20)])
                if not k:
                    break
                got += k
            if got != size:
                raise FashionMNISTError(
                    f"{path}: truncated file: header {dims} promises {size} bytes of data, "
                    f"found {got}")
            if f.read(1):
                raise FashionMNISTError(
                    f"{path}: {size} bytes of data expected after the header {dims}, "
                    "but the file is longer")
    except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        raise FashionMNISTError(f"{path}: cannot read: {e}") from e
    return out.reshape(dims)


def _load_from(found: dict) -> FashionMNIST:
    """Read and cross-check the four files in ``found`` (field -> path)."""
    arrays = {}
    for field, path in found.items():
        stem, magic = FILES[field]
        arr = read_idx(path, expected_magic=magic)
        if magic == 2051 and arr.shape[1:] != (28, 28):
            raise FashionMNISTError(f"{path}: images are {arr.shape[1:]}, expected (28, 28)")
        if magic == 2049:
            if arr.size and arr.max() > 9:
                raise FashionMNISTError(f"{path}: label {int(arr.max())} outside 0..9")
            arr = arr.astype(np.int64)
        arrays[field] = arr
    for split in ("train", "test"):
        n_img, n_lab = len(arrays["X_" + split]), len(arrays["y_" + split])
        if n_img != n_lab:
            raise FashionMNISTError(
                f"{found['X_' + split]} has {n_img} images but {found['y_' + split]} "
                f"has {n_lab} labels")
    return FashionMNIST(**arrays)


def load_fashion_mnist(directory: Optional[PathLike] = None) -> FashionMNIST:
    """Load Fashion-MNIST as uint8 images and int64 labels.

    Returns ``FashionMNIST(X_train (60000, 28, 28) uint8, y_train (60000,) int64,
    X_test (10000, 28, 28) uint8, y_test (10000,) int64)`` (a named tuple; any
    consistent counts are accepted, so small test files work too).

    The first of ``search_directories(directory)`` that holds all four files
    (``.gz`` or uncompressed) is used. If none does, ``FashionMNISTError``
    lists every directory looked in and how to get the data.
    """
    looked = []
    for d in search_directories(directory):
        found = _find_all(d)
        if len(found) == len(FILES):
            return _load_from(found)
        if found:
            missing = [FILES[k][0] for k in FILES if k not in found]
            looked.append(f"  {d}  (incomplete: missing {', '.join(missing)})")
        else:
            looked.append(f"  {d}  ({'no Fashion-MNIST files' if d.is_dir() else 'does not exist'})")
    names = ", ".join(stem + "[.gz]" for stem, _ in FILES.values())
    raise FashionMNISTError(
        "Fashion-MNIST not found. Looked for " + names + " in:\n" + "\n".join(looked) +
        "\nInstall it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), "
        f"point {ENV_VAR} at a directory holding the four files, or run "
        "`python -m coursedata.download` to download them into " + str(cache_directory()))


# ---------------------------------------------------------------------------
# Conversions
# ---------------------------------------------------------------------------

def as_float32_rows(images: np.ndarray) -> np.ndarray:
    """uint8 images ``(n, 28, 28)`` (or ``(n, 784)``) -> float32 ``(n, 784)`` in [0, 1].

    Converts straight to float32 (x / 255), never through float64.
    """
    images = np.asarray(images)
    out = images.reshape(len(images), -1).astype(np.float32)  # always a new array
    out /= np.float32(255.0)
    return out


def as_float32_images(images: np.ndarray) -> np.ndarray:
    """uint8 images ``(n, 28, 28)`` -> float32 ``(n, 1, 28, 28)`` in [0, 1] (for conv nets)."""
    images = np.asarray(images)
    return as_float32_rows(images).reshape(len(images), 1, 28, 28)
