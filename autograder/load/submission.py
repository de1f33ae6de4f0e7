"""Find the student's files in a directory or zip, whatever its layout.

A submission holds any of the five contract files at its top or inside one
nested folder (how most zip tools pack a folder). Zips are unpacked with care:
no absolute paths, no ``..``, no links, bounded size and count. Files that look
like a misnamed contract file (``Calculus.py``, ``mlp (1).py``) produce a note
telling the student how to fix it.

Jupyter notebooks are submissions too (see :mod:`autograder.load.notebook`): each
part a notebook holds becomes a generated ``<part>.py`` in the caller's work
folder, with a line map so that messages quote the notebook's cells. A part
that also comes as a ``.py`` file is graded from the ``.py``.
"""
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field

from autograder.contract import PARTS
from autograder.errors import MissingName, SubmissionError
from autograder.load import notebook as notebooks
from autograder.load.notebook_json import MAX_NOTEBOOK_BYTES

MAX_FILE_BYTES = 2 << 20
MAX_ZIP_BYTES = 64 << 20
MAX_ZIP_ENTRIES = 2000
MAX_PY_FILES = 50
MAX_NOTEBOOKS = 10
MAX_OTHER_FILES = 100     # files that are not code, listed for the instructor (load/payloads.py)
_IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", ".idea", ".vscode"}


@dataclass
class Submission:
    """The located ``.py`` files of a submission and notes about its layout."""
    files: dict = field(default_factory=dict)      # file name -> path on disk
    notes: list = field(default_factory=list)
    folder: str = ""
    origins: dict = field(default_factory=dict)    # generated file name -> the notebook it came from
    line_maps: dict = field(default_factory=dict)  # generated file name -> notebook.LineMap
    cell_notes: dict = field(default_factory=dict)  # notebook name -> its cells that could not be read
    other_files: list = field(default_factory=list)  # [(name, bytes)] beside the code, never given to it

    def has(self, module):
        return f"{module}.py" in self.files

    def describe(self, module):
        """``calculus.py``, or ``calculus.py (from homework.ipynb)`` for a notebook's part."""
        name = f"{module}.py"
        return f"{name} (from {self.origins[name]})" if name in self.origins else name

    def explain(self, message, error=None):
        """A test's message with notebook places instead of generated lines, and, when ``error``
        says a notebook's part lacks a name, the cells that were left out (it may be in one of them)."""
        text = notebooks.relocate(message, self.line_maps)
        parts = {kind.part for kind in (error.kinds() if error is not None else []) if isinstance(kind, MissingName)}
        for part in sorted(parts):
            notes = self.cell_notes.get(self.origins.get(f"{part}.py"))
            if notes:
                text += "\n" + "\n".join(notes)
        return text


def locate(path, workdir):
    """Return a :class:`Submission` for a directory or zip at ``path``.

    ``workdir`` is an empty directory the caller owns, used to unpack zips.
    Raises :class:`SubmissionError` with a readable message when nothing can be read.
    """
    if not os.path.exists(path):
        raise SubmissionError(f"The submission {path!r} does not exist.")
    if os.path.isfile(path):
        if not zipfile.is_zipfile(path):
            if path.endswith((".py", ".ipynb")):
                return _collect(os.path.dirname(os.path.abspath(path)) or ".", workdir,
                                only=os.path.basename(path))
            raise SubmissionError(f"{os.path.basename(path)} is neither a folder, a zip file nor a notebook.")
        skipped, others = [], []
        path = _unzip(path, workdir, skipped, others)
        submission = _collect(_find_folder(path), workdir)
        submission.notes = skipped + submission.notes
        submission.other_files = others
        return submission
    return _collect(_find_folder(path), workdir)


def _unzip(path, workdir, skipped, others):
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
                if not parts[-1].endswith((".py", ".ipynb")):
                    if len(others) < MAX_OTHER_FILES and not parts[-1].startswith("."):
                        others.append(("/".join(parts), entry.file_size))
                    continue  # only Python files and notebooks are ever used
                limit = MAX_NOTEBOOK_BYTES if name.endswith(".ipynb") else MAX_FILE_BYTES
                total += entry.file_size
                if entry.file_size > limit or total > MAX_ZIP_BYTES:
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
    return sum(f"{m}.py" in names for m in PARTS) + any(n.endswith(".ipynb") for n in names)


def _find_folder(path):
    """The top folder if it holds a contract file, else the one nested folder that does."""
    if _count_modules(path) or not _subdirs(path):
        return path
    candidates = [(d, _count_modules(d)) for d in _subdirs(path)]
    candidates += [(sub, _count_modules(sub)) for d in _subdirs(path) if len(_subdirs(path)) == 1
                   for sub in _subdirs(d)]
    best = max(candidates, key=lambda c: c[1])
    return best[0] if best[1] else path


def _collect(folder, workdir, only=None):
    submission = Submission(folder=folder)
    try:
        entries = sorted(os.listdir(folder))
    except OSError as err:
        raise SubmissionError(f"The submission folder could not be read: {err}") from None
    notebook_paths = []
    for name in entries:
        path = os.path.join(folder, name)
        if only and name != only:
            continue
        if not name.endswith((".py", ".ipynb")) or not os.path.isfile(path):
            if (os.path.isfile(path) and not os.path.islink(path) and not name.startswith(".")
                    and len(submission.other_files) < MAX_OTHER_FILES):
                submission.other_files.append((name, os.path.getsize(path)))
            continue
        if os.path.islink(path):
            submission.notes.append(f"{name} is a symbolic link and was ignored: upload the file itself.")
            continue
        if name.endswith(".ipynb"):
            if len(name) <= 100 and len(notebook_paths) < MAX_NOTEBOOKS:
                notebook_paths.append(path)
            continue
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.py", name):
            continue
        if os.path.getsize(path) > MAX_FILE_BYTES:
            submission.notes.append(f"{name} is larger than {MAX_FILE_BYTES >> 20} MB and was ignored.")
            continue
        if len(submission.files) < MAX_PY_FILES:
            submission.files[name] = path
    _add_notebooks(submission, notebook_paths, workdir)
    submission.notes += _misnamed(entries, submission)
    return submission


def _add_notebooks(submission, paths, workdir):
    """Write each part the notebooks hold as ``<part>.py`` in ``workdir`` (a ``.py`` file wins)."""
    read = []
    for path in paths:
        try:
            notebook = notebooks.read(path, os.path.basename(path))
        except notebooks.NotebookError as err:
            submission.notes.append(f"{err} None of its code was graded.")
            continue
        submission.notes += notebook.notes
        if notebook.notes:
            submission.cell_notes[notebook.name] = notebook.notes
        read.append(notebook)
    py_parts = [m for m in PARTS if submission.has(m)]
    chosen, notes = notebooks.assign_parts(read, py_parts)
    submission.notes += notes
    if not chosen:
        return
    target = os.path.join(workdir, "notebook-parts")
    os.makedirs(target, exist_ok=True)
    for part, notebook in chosen.items():
        source, line_map = notebook.module_source(part)
        path = os.path.join(target, f"{part}.py")
        with open(path, "w", encoding="utf-8") as out:
            out.write(source)
        submission.files[f"{part}.py"] = path
        submission.origins[f"{part}.py"] = notebook.name
        submission.line_maps[f"{part}.py"] = line_map


def _misnamed(entries, submission):
    notes = []
    for module in PARTS:
        if submission.has(module):
            continue
        wanted = f"{module}.py"
        for name in entries:
            if name.endswith(".ipynb"):
                continue  # notebooks are read as they are
            stem = re.sub(r"[\s_\-]*(\(\d+\)|copy|\d+)$", "", os.path.splitext(name)[0], flags=re.I)
            if name != wanted and stem.lower().replace("-", "_") == module:
                notes.append(f"Found {name!r} but not {wanted!r}: rename it to {wanted}.")
    return notes
