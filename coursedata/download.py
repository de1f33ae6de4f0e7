"""Download Fashion-MNIST's official files into the user cache, checked against their md5 sums.

    python -m coursedata.download [DIRECTORY]

Only needed where the Debian package ``dataset-fashion-mnist`` (or another
copy, see :mod:`coursedata.fashion_mnist`) is not installed; the grader never
downloads. Each file is tried on each mirror in turn, kept only if its md5 is
the published one, and written atomically (an interrupted download leaves no
partial file).
"""
import hashlib
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

from .fashion_mnist import FILES, FashionMNISTError, _find_file, cache_directory

# The md5 sums published in the fashion-mnist README (Debian recompresses its copy: other sums).
MD5 = {
    "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
}
MIRRORS = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)


def _fetch(url, timeout):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _write_atomically(path, data):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def download_fashion_mnist(directory=None, *, mirrors=MIRRORS, timeout=60.0):
    """Download the ``.gz`` files missing from ``directory`` (default: the user cache).

    Returns field -> path of the four files; raises ``FashionMNISTError`` with
    every failure when a file cannot be obtained.
    """
    target = Path(directory) if directory is not None else cache_directory()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FashionMNISTError(f"cannot create download directory {target}: {e}") from e
    paths = {}
    for field, (stem, _) in FILES.items():
        existing = _find_file(target, stem)
        if existing is not None:
            paths[field] = existing
            continue
        errors = []
        for mirror in mirrors:
            url = mirror + stem + ".gz"
            try:
                data = _fetch(url, timeout)
            except Exception as e:  # network errors come in many types
                errors.append(f"  {url}: {e}")
                continue
            digest = hashlib.md5(data).hexdigest()
            if digest != MD5[stem]:
                errors.append(f"  {url}: md5 {digest} != expected {MD5[stem]} ({len(data)} bytes)")
                continue
            path = target / (stem + ".gz")
            _write_atomically(path, data)
            paths[field] = path
            break
        else:
            raise FashionMNISTError(
                f"could not download {stem}.gz into {target}:\n" + "\n".join(errors) +
                "\nInstall it with `sudo apt-get install dataset-fashion-mnist` instead.")
    return paths


if __name__ == "__main__":
    try:
        found = download_fashion_mnist(sys.argv[1] if len(sys.argv) > 1 else None)
    except FashionMNISTError as err:
        sys.exit(str(err))
    print("\n".join(str(p) for p in found.values()))
