"""How the self-check imports the student's files (or notebooks), runs its checks and prints them."""
import argparse
import contextlib
import importlib
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings

from autograder.config import MLP_MAX_TEST_ERROR, TORCH_MIN_TEST_ACCURACY, TRAIN_SUBSET
from autograder.contract import PARTS
from autograder.errors import CheckFailed
from autograder.load.notebook import NotebookError, assign_parts, relocate
from autograder.load.notebook import read as read_notebook
from autograder.student.checks.registry import CHECKS

DEFAULT_TIME_LIMIT = 20  # seconds per check


class CheckTimeout(Exception):
    pass


def symbols():
    try:
        "✓✗".encode(sys.stdout.encoding or "ascii")
        return "✓", "✗"
    except (UnicodeEncodeError, LookupError):
        return "ok", "XX"


@contextlib.contextmanager
def time_limit(seconds):
    if not hasattr(signal, "SIGALRM") or seconds <= 0:
        yield
        return

    def expired(signum, frame):
        raise CheckTimeout()
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def where_in_student_code(error, folder):
    """'file.py, line N' of the deepest frame in the student's files, if any."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        if os.path.dirname(os.path.abspath(frame.filename)) == folder:
            found = f"{os.path.basename(frame.filename)}, line {frame.lineno}: {frame.line}"
    return found


def describe_error(error, folder):
    if isinstance(error, CheckFailed):
        return str(error)
    if isinstance(error, CheckTimeout):
        return "took too long (an infinite loop, or a Python loop over many entries?)"
    if isinstance(error, NotImplementedError):
        frames = traceback.extract_tb(error.__traceback__)
        which = str(error) or (frames[-1].name if frames else "")
        return f"not implemented yet ({which})" if which else "not implemented yet"
    where = where_in_student_code(error, folder)
    text = f"raised {type(error).__name__}: {error}".strip()
    return text + (f"\n  at {where}" if where else "")


def import_student_modules(folder, wanted, limit):
    """name -> module or error message (or None when the file is absent)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here or here == folder]
    sys.path.insert(0, folder)
    modules = {}
    for name in wanted:
        if not os.path.isfile(os.path.join(folder, name + ".py")):
            modules[name] = None
            continue
        try:
            with time_limit(max(limit, 60)):
                modules[name] = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if name == "torch_models" and err.name == "torch":
                modules[name] = "torch is not installed here, so torch_models.py was not checked"
            else:
                modules[name] = f"{name}.py could not be imported: {describe_error(err, folder)}"
        except BaseException as err:  # noqa: BLE001 - anything at import time is the student's to see
            if isinstance(err, KeyboardInterrupt):
                raise
            modules[name] = f"{name}.py could not be imported: {describe_error(err, folder)}"
    return modules


def run(folder, wanted, limit, out=sys.stdout):
    ok, ko = symbols()
    folder = os.path.abspath(folder)
    modules = import_student_modules(folder, wanted, limit)
    print(f"Checking the files in {folder}\n", file=out)
    passed, failed, to_fix, skipped = 0, 0, [], []
    for name in wanted:
        module = modules[name]
        if module is None:
            print(f"{name}.py: not found, skipped\n", file=out)
            skipped.append(name)
            continue
        if isinstance(module, str):
            symbol = "-" if module.startswith("torch is not installed") else ko
            print(f"{name}.py\n  {symbol} " + module.replace("\n", "\n      ") + "\n", file=out)
            if symbol == ko:
                failed += 1
                to_fix.append(f"{name}.py")
            else:
                skipped.append(name)
            continue
        print(f"{name}.py", file=out)
        for module_name, names, title, function in CHECKS:
            if module_name != name:
                continue
            absent = [n for n in names if not hasattr(module, n)]
            started = time.monotonic()
            try:
                if absent:
                    raise CheckFailed(f"{name}.py does not define {', '.join(absent)}")
                with time_limit(limit):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        note = function(module)
            except KeyboardInterrupt:
                raise
            except BaseException as err:  # noqa: BLE001 - a check never stops the others
                failed += 1
                if names[0] not in to_fix:
                    to_fix.append(names[0])
                message = describe_error(err, folder).replace("\n", "\n      ")
                print(f"  {ko} {title}\n      {message}", file=out)
                continue
            passed += 1
            seconds = time.monotonic() - started
            print(f"  {ok} {title}" + (f"  ({seconds:.1f} s)" if seconds > 2 else ""), file=out)
            if note:
                print(f"      ({note})", file=out)
        print(file=out)
    total = passed + failed
    if len(skipped) == len(wanted) and not failed:
        print(f"No homework file ({', '.join(n + '.py' for n in wanted)}) was found in {folder}: run this "
              "in the folder that holds your files, or give that folder: python check.py FOLDER", file=out)
    print(f"Summary: {passed} of {total} checks pass.", file=out)
    if to_fix:
        print(f"To fix: {', '.join(to_fix)}.", file=out)
    if skipped:
        print(f"Not checked: {', '.join(n + '.py' for n in skipped)}.", file=out)
    print("\nThese checks are necessary, not sufficient: the autograder also compares your values with\n"
          "the instructor's on hidden inputs and trains on Fashion-MNIST (the first "
          f"{TRAIN_SUBSET:,} training images;\nmlp test error below {MLP_MAX_TEST_ERROR:.0%}; torch test accuracy at least "
          + ", ".join(f"{k} {v:.0%}" for k, v in TORCH_MIN_TEST_ACCURACY.items()) + ").", file=out)
    return 0 if failed == 0 and passed > 0 else 1


def notebook_parts(folder, workdir):
    """Copy the folder's .py files into ``workdir`` and add the parts its notebooks hold (as the
    grader reads them: definitions only, a .py file wins). Returns (line maps, notes)."""
    names = sorted(n for n in os.listdir(folder) if n.endswith(".ipynb"))
    for name in os.listdir(folder):
        if name.endswith(".py") and os.path.isfile(os.path.join(folder, name)):
            shutil.copyfile(os.path.join(folder, name), os.path.join(workdir, name))
    try:
        import nbformat  # noqa: F401 - comes with Jupyter
    except ImportError:
        return {}, [f"{', '.join(names)} not checked: reading notebooks needs nbformat (pip install nbformat)."]
    notebooks, notes = [], []
    for name in names:
        try:
            notebook = read_notebook(os.path.join(folder, name), name)
        except NotebookError as err:
            notes.append(str(err))
            continue
        notes += notebook.notes
        notebooks.append(notebook)
    chosen, more = assign_parts(notebooks, [m for m in PARTS if os.path.isfile(os.path.join(folder, m + ".py"))])
    line_maps = {}
    for part, notebook in chosen.items():
        source, line_maps[f"{part}.py"] = notebook.module_source(part)
        with open(os.path.join(workdir, f"{part}.py"), "w", encoding="utf-8") as f:
            f.write(source)
    return line_maps, notes + more


class Relocating:
    """Writes to ``out`` with "part.py, line N" of a notebook's part turned into its cell and line."""

    def __init__(self, out, line_maps, replace):
        self.out, self.line_maps, self.replace = out, line_maps, replace

    def write(self, text):
        return self.out.write(relocate(text.replace(*self.replace), self.line_maps))

    def flush(self):
        self.out.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", help="folder with your .py files or notebooks (default: here)")
    parser.add_argument("--only", help="comma-separated files to check, e.g. calculus,mlp")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help="seconds per check")
    args = parser.parse_args(argv)
    folder = args.folder
    if folder is None:
        here = os.getcwd()
        has_files = any(os.path.isfile(os.path.join(here, n + ".py")) for n in PARTS) or \
            any(n.endswith(".ipynb") for n in os.listdir(here))
        folder = here if has_files else os.path.dirname(os.path.abspath(__file__))
    if not os.path.isdir(folder):
        parser.error(f"{folder} is not a folder")
    wanted = PARTS
    if args.only:
        wanted = tuple(n.strip().removesuffix(".py") for n in args.only.split(",") if n.strip())
        unknown = [n for n in wanted if n not in PARTS]
        if unknown:
            parser.error(f"unknown file(s) {unknown}; choose from {', '.join(PARTS)}")
    if not any(name.endswith(".ipynb") for name in os.listdir(folder)):
        return run(folder, wanted, args.time_limit)
    workdir = tempfile.mkdtemp(prefix="check-")
    try:
        line_maps, notes = notebook_parts(folder, workdir)
        for note in notes:
            print(note)
        out = Relocating(sys.stdout, line_maps, (os.path.abspath(workdir), os.path.abspath(folder)))
        return run(workdir, wanted, args.time_limit, out=out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
