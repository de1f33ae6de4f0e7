"""Find the student's files in a directory or zip, whatever its layout.

A submission holds any of the five contract files at its top or inside one
nested folder (how most zip tools pack a folder). Zips are unpacked with care:
no absolute paths, no ``..``, no links, bounded size and count. Files that look
like a misnamed contract file (``Calculus.py``, ``mlp (1).py``, a notebook)
produce a note telling the student how to fix it.
"""
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field

MODULES = ("calculus", "linear_models", "mlp", "conv", "torch_models")
MAX_FILE_BYTES = 2 << 20
MAX_ZIP_BYTES = 64 << 20
MAX_ZIP_ENTRIES = 2000
MAX_PY_FILES = 50
_IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", ".idea", ".vscode"}


class SubmissionError(Exception):
    """The submission cannot be read at all; the message is for the student."""


@dataclass
class Submission:
    """The located ``.py`` files of a submission and notes about its layout."""
    files: dict = field(default_factory=dict)      # file name -> path on disk
    notes: list = field(default_factory=list)
    folder: str = ""

    def has(self, module):
        return f"{module}.py" in self.files

    @property
    def modules(self):
        return [m for m in MODULES if self.has(m)]


def locate(path, workdir):
    """Return a :class:`Submission` for a directory or zip at ``path``.

    ``workdir`` is an empty directory the caller owns, used to unpack zips.
    Raises :class:`SubmissionError` with a readable message when nothing can be read.
    """
    if not os.path.exists(path):
        raise SubmissionError(f"The submission {path!r} does not exist.")
    if os.path.isfile(path):
        if not zipfile.is_zipfile(path):
            if path.endswith(".py"):
                return _collect(os.path.dirname(os.path.abspath(path)) or ".", only=os.path.basename(path))
            raise SubmissionError(f"{os.path.basename(path)} is neither a folder nor a zip file.")
        skipped = []
        path = _unzip(path, workdir, skipped)
        submission = _collect(_find_folder(path))
        submission.notes = skipped + submission.notes
        return submission
    return _collect(_find_folder(path))


def _unzip(path, workdir, skipped):
    target = os.path.join(workdir, "unzipped")
    os.makedirs(target)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise SubmissionError(f"The zip holds {len(entries)} entries; at most {MAX_ZIP_ENTRIES} are read.")
            total = 0
            for entry in entries:
                name = entry.filename.replace("\\", "/")
                parts = [p for p in name.split("/") if p not in ("", ".")]
                mode = entry.external_attr >> 16
                if entry.is_dir() or not parts or parts[0] in _IGNORED_DIRS:
                    continue
                if name.startswith("/") or ".." in parts or stat.S_ISLNK(mode):
                    skipped.append(f"{name} in the zip was ignored: links and paths outside "
                                   "the zip's folder are not read.")
                    continue
                if not parts[-1].endswith(".py"):
                    continue  # only Python files are ever used
                total += entry.file_size
                if entry.file_size > MAX_FILE_BYTES or total > MAX_ZIP_BYTES:
                    raise SubmissionError(f"{name} in the zip is too large ({entry.file_size} bytes).")
                destination = os.path.join(target, *parts)
                os.makedirs(os.path.dirname(destination), exist_ok=True)
                with archive.open(entry) as source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out, MAX_FILE_BYTES)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as err:
        raise SubmissionError(f"The zip file could not be read: {err}") from None
    return target


def _subdirs(path):
    try:
        return sorted(e.path for e in os.scandir(path)
                      if e.is_dir(follow_symlinks=False) and e.name not in _IGNORED_DIRS
                      and not e.name.startswith("."))
    except OSError:
        return []


def _count_modules(path):
    try:
        names = set(os.listdir(path))
    except OSError:
        return 0
    return sum(f"{m}.py" in names for m in MODULES)


def _find_folder(path):
    """The top folder if it holds a contract file, else the one nested folder that does."""
    if _count_modules(path) or not _subdirs(path):
        return path
    candidates = [(d, _count_modules(d)) for d in _subdirs(path)]
    candidates += [(sub, _count_modules(sub)) for d in _subdirs(path) if len(_subdirs(path)) == 1
                   for sub in _subdirs(d)]
    best = max(candidates, key=lambda c: c[1])
    return best[0] if best[1] else path


def _collect(folder, only=None):
    submission = Submission(folder=folder)
    try:
        entries = sorted(os.listdir(folder))
    except OSError as err:
        raise SubmissionError(f"The submission folder could not be read: {err}") from None
    for name in entries:
        path = os.path.join(folder, name)
        if only and name != only:
            continue
        if not name.endswith(".py") or not os.path.isfile(path):
            continue
        if os.path.islink(path):
            submission.notes.append(f"{name} is a symbolic link and was ignored: upload the file itself.")
            continue
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.py", name):
            continue
        if os.path.getsize(path) > MAX_FILE_BYTES:
            submission.notes.append(f"{name} is larger than {MAX_FILE_BYTES >> 20} MB and was ignored.")
            continue
        if len(submission.files) < MAX_PY_FILES:
            submission.files[name] = path
    submission.notes += _misnamed(entries, submission)
    return submission


def _misnamed(entries, submission):
    notes = []
    for module in MODULES:
        if submission.has(module):
            continue
        wanted = f"{module}.py"
        for name in entries:
            stem = re.sub(r"[\s_\-]*(\(\d+\)|copy|\d+)$", "", os.path.splitext(name)[0], flags=re.I)
            if name != wanted and stem.lower().replace("-", "_") == module:
                notes.append(f"Found {name!r} but not {wanted!r}: rename it to {wanted}.")
    return notes
