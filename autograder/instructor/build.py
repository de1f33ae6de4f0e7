"""Build the zip to upload to Gradescope as the assignment's autograder.

    python -m autograder build --out autograder.zip [--parts calculus,mlp] [--memory-mb 1024]

The zip holds ``setup.sh`` and ``run_autograder`` at its root (Gradescope
runs them from ``/autograder/source``), ``requirements.txt``, ``autograder/``
``coursedata/`` and ``reference/``; never ``tests/``, ``student_template/``, ``.git`` or
caches. With ``--parts`` only those modules are graded and their points are
scaled to 100. With ``--memory-mb`` (the memory set in the assignment's Gradescope settings;
768 MB unless raised there) the memory budgets follow that size. Both choices are stored in
``autograder/deployment.json``, which ``grade`` reads. Each build holds a
fresh ``autograder/grading_secret`` (mode 0600): the deployment's secret from
which every submission's hidden seed is derived (see ``seeding.py``), so a
regrade on Gradescope reproduces the first grading.
"""
import json
import os
import stat
import zipfile

from autograder import config
from autograder.session.seeding import SECRET_NAME, new_secret

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOYMENT_NAME = "autograder/" + os.path.basename(config.DEPLOYMENT_FILE)
ROOT_FILES = ("setup.sh", "run_autograder", "requirements.txt")
PACKAGES = ("autograder", "coursedata", "reference")
EXECUTABLE = ("setup.sh", "run_autograder")
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", ".swp", "~")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # the same files give the same zip
# Instructor tools and what only they import: grading on Gradescope never needs them
# (tests/test_build.py imports everything grading does from an unpacked zip).
# A name ending in "/" stands for a whole folder.
INSTRUCTOR_ONLY = ("autograder/instructor/", "autograder/student/",
                   "coursedata/plots.py", "reference/torch_models.py")


def _files(repo):
    for name in ROOT_FILES:
        yield os.path.join(repo, name), name
    for package in PACKAGES:
        for root, dirs, names in os.walk(os.path.join(repo, package)):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
            for name in sorted(names):
                if name.endswith(_SKIP_SUFFIXES) or name.startswith("."):
                    continue
                path = os.path.join(root, name)
                archive_name = os.path.relpath(path, repo).replace(os.sep, "/")
                # a developer's own deployment.json or secret never leaks into a build
                if not archive_name.startswith(INSTRUCTOR_ONLY) and archive_name not in (
                        DEPLOYMENT_NAME, f"autograder/{SECRET_NAME}"):
                    yield path, archive_name


def build(out, parts=None, repo=REPO, memory_mb=None):
    """Write the Gradescope autograder zip to ``out``; returns the list of archive names.

    ``listing(out)`` says what went in and how big it is."""
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
        choices = ({"parts": list(parts), "rescale": True} if parts else {}) | (
            {"memory_mb": int(memory_mb)} if memory_mb else {})
        if choices:
            info = zipfile.ZipInfo(DEPLOYMENT_NAME, _FIXED_TIME)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, json.dumps(choices, indent=2) + "\n")
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


def listing(out):
    """Lines naming every file of the zip ``out`` with its size, then the totals."""
    with zipfile.ZipFile(out) as archive:
        infos = archive.infolist()
    lines = [f"{info.file_size:>9,}  {info.filename}" for info in infos]
    lines.append(f"{sum(i.file_size for i in infos):>9,}  bytes in {len(infos)} files; "
                 f"the zip takes {os.path.getsize(out):,} bytes")
    return lines
