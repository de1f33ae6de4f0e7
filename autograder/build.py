"""Build the zip to upload to Gradescope as the assignment's autograder.

    python -m autograder build --out autograder.zip [--parts calculus,mlp]

The zip holds ``setup.sh`` and ``run_autograder`` at its root (Gradescope
runs them from ``/autograder/source``), ``requirements.txt``, ``autograder/``
``coursedata/`` and ``reference/``; never ``tests/``, ``student_template/``, ``.git`` or
caches. With ``--parts`` only those modules are graded and their points are
scaled to 100: the choice is stored in ``autograder/parts.json``, which the
``grade`` command reads when it is given no ``--parts``. Each build holds a
fresh ``autograder/grading_secret`` (mode 0600): the deployment's secret from
which every submission's hidden seed is derived (see ``seeding.py``), so a
regrade on Gradescope reproduces the first grading.
"""
import json
import os
import stat
import zipfile

from .seeding import SECRET_NAME, new_secret

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PARTS_FILE = os.path.join(HERE, "parts.json")
ROOT_FILES = ("setup.sh", "run_autograder", "requirements.txt")
PACKAGES = ("autograder", "coursedata", "reference")
EXECUTABLE = ("setup.sh", "run_autograder")
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", ".swp", "~")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # the same files give the same zip


def default_parts():
    """``(parts, rescale)`` from autograder/parts.json (written into a built zip), or ``(None, False)``."""
    try:
        with open(PARTS_FILE) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None, False
    parts = data.get("parts") or None
    return parts, bool(data.get("rescale", parts is not None))


def _files(repo):
    for name in ROOT_FILES:
        yield os.path.join(repo, name), name
    for package in PACKAGES:
        for root, dirs, names in os.walk(os.path.join(repo, package)):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
            for name in sorted(names):
                if name.endswith(_SKIP_SUFFIXES) or name.startswith("."):
                    continue
                if root == HERE and name in ("parts.json", SECRET_NAME):
                    continue  # a developer's own choice or secret never leaks into a build
                path = os.path.join(root, name)
                yield path, os.path.relpath(path, repo)


def build(out, parts=None, repo=REPO):
    """Write the Gradescope autograder zip to ``out``; returns the list of archive names."""
    out = os.path.abspath(out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    names = []
    temporary = out + ".tmp"
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in _files(repo):
            if os.path.abspath(path) == out:
                continue
            info = zipfile.ZipInfo(name.replace(os.sep, "/"), _FIXED_TIME)
            mode = 0o755 if name in EXECUTABLE else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                archive.writestr(info, f.read())
            names.append(info.filename)
        if parts:
            info = zipfile.ZipInfo("autograder/parts.json", _FIXED_TIME)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, json.dumps({"parts": list(parts), "rescale": True}, indent=2) + "\n")
            names.append(info.filename)
        names.append(_add_secret(archive))
    os.replace(temporary, out)
    return names


def _add_secret(archive):
    """A fresh deployment secret, readable by its owner only (root, on Gradescope)."""
    info = zipfile.ZipInfo(f"autograder/{SECRET_NAME}", _FIXED_TIME)
    info.external_attr = (stat.S_IFREG | 0o600) << 16
    archive.writestr(info, new_secret() + b"\n")
    return info.filename
