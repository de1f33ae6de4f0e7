"""The hostile or broken submissions of the corpus: one row per case.

A case is a folder tests/submissions/hostile/<name>/ and a row of ``HOSTILE_CASES``
saying what it does and what the grading must show. By default the folder is copied
(with the correct modules of variants/vectorised beside it as <module>_base.py when
``base``), graded on ``parts``, and judged by tests/corpus/test_hostile.py: nothing
but the trick scores 0, a trick added to correct functions costs points only in
``affected``, and every test that lost points says ``message``. A few cases need
more, named in their row (tests/corpus/tricks.py).
"""
import os
import shutil
from dataclasses import dataclass
from typing import Callable, Optional

from autograder.contract import PARTS as MODULES
from tests.corpus import tricks
from tests.corpus.variants import BASE_VARIANT, SUBMISSIONS, VARIANTS

HOSTILE = os.path.join(SUBMISSIONS, "hostile")


@dataclass(frozen=True)
class Hostile:
    name: str
    why: str
    parts: tuple = ("calculus",)
    base: bool = False        # correct functions copied in as <module>_base.py: only `affected` may lose points
    affected: tuple = ()      # functions whose tests must lose points (base cases)
    affected_tests: tuple = ()   # or test numbers that must lose points (when a function has other tests)
    message: str = ""         # regex that the message of every test that lost points must match
    needs_isolation: bool = False   # only meaningful (or only safe) with the spare-uid sandbox (root)
    timeout: float = 240.0
    comm: str = ""            # name the case's own child processes give themselves
    min_other_share: float = 0.8    # base cases: share of the other tests that must still pass
    may_score: tuple = ()     # trick-only cases: names whose tests may score (values that are well-formed)
    training: bool = False    # graded with the Fashion-MNIST training tests (what the trick targets)
    runs_long: bool = False   # graded among the first, so that it overlaps with the others
    max_tree_mb: float = 0    # if set: the grader's peak and the student's processes' peak add up to less (MB)
    build: Optional[Callable] = None      # build(workdir) -> the submission, instead of copying the folder
    companion: Optional[Callable] = None  # companion(workdir, results_dir) -> (start, stop) around the grading
    cleanup: Optional[Callable] = None    # cleanup(uid) -> paths the case left that had to be removed
    check: Optional[Callable] = None      # check(corpus, grading, case, results) instead of the score checks
    also_check: Optional[Callable] = None   # also_check(grading) after the score checks

    def submission(self, workdir):
        """The submission folder (or zip) of this case, built under ``workdir``."""
        if self.build is not None:
            return self.build(workdir)
        target = os.path.join(workdir, self.name)
        shutil.copytree(os.path.join(HOSTILE, self.name), target, symlinks=True)
        if self.base:
            for module in self.parts:
                shutil.copyfile(os.path.join(VARIANTS, BASE_VARIANT, f"{module}.py"),
                                os.path.join(target, f"{module}_base.py"))
        return target


HOSTILE_CASES = [
    Hostile("import_infinite_loop", "module-level infinite loop", message=r"did not finish|time",
            timeout=200.0, runs_long=True),
    Hostile("function_infinite_loop", "sigmoid spins forever", base=True, affected=("sigmoid",),
            message=r"did not finish|ran out of time"),
    Hostile("segfault_function", "softmax dereferences NULL via ctypes", base=True, affected=("softmax",),
            message=r"SIGSEGV"),
    Hostile("segfault_import", "NULL dereference while importing", message=r"SIGSEGV"),
    Hostile("memory_hog", "softmax allocates without end", base=True, affected=("softmax",),
            message=r"memory|MemoryError"),
    Hostile("memory_hog_children", "log_softmax forks 4 children holding 200 MB each", base=True,
            affected=("log_softmax",), message=r"memory|did not finish", comm="ag-hostile-mem"),
    Hostile("os_exit_import", "os._exit(0) while importing", message=r"exit status 0"),
    Hostile("os_exit_function", "softmax calls os._exit(3)", base=True, affected=("softmax",),
            message=r"exit status 3"),
    Hostile("sys_exit_import", "sys.exit while importing", message=r"SystemExit"),
    Hostile("sys_exit_function", "softmax calls sys.exit(0)", base=True, affected=("softmax",),
            message=r"SystemExit"),
    Hostile("print_flood", "20 MB printed at import and 100 MB in softmax", base=True, affected=()),
    Hostile("numpy_monkeypatch", "wrong answers, np.allclose/np.testing patched to agree"),
    Hostile("builtins_and_pytest_patch", "wrong answers, pytest/builtins/gradescope_utils patched"),
    Hostile("read_reference", "searches the file system for the reference and the test labels",
            message=r"HOSTILE-SEARCH: no reference found .*test labels readable: none",
            needs_isolation=True),
    Hostile("read_other_submission", "copies another submission graded at the same time",
            message=r"HOSTILE-NEIGHBOUR|not correct|could not be imported", needs_isolation=True,
            companion=tricks.neighbour_grading),
    Hostile("frame_inspection", "looks for expected values with sys._getframe, inspect.stack, gc"),
    Hostile("results_writer", "writes forged results.json files everywhere it can", needs_isolation=True,
            cleanup=tricks.remove_forged_results),
    Hostile("background_daemon", "a detached daemon that later forges the results", base=True, affected=(),
            needs_isolation=True, comm="ag-hostile-dmn"),
    Hostile("fork_bomb", "softmax forks until it cannot (bounded at 200)", base=True, affected=(),
            needs_isolation=True, comm="ag-hostile-frk"),
    Hostile("disk_hog", "softmax writes a 100 MB file, log_softmax 20 files of 50 MB", base=True,
            affected=("softmax",), message=r"too large"),
    Hostile("syntax_error", "a syntax error on line 7", message=r"calculus\.py, line 7"),
    Hostile("import_missing_package", "imports sklearn", parts=("linear_models",),
            message=r"No module named 'sklearn'"),
    Hostile("huge_arrays", "returns 320 MB, 240 MB, 10 MB arrays, a 5-million list, 10,000-deep nesting",
            base=True, affected=("sigmoid", "softmax", "relu", "tanh_prime", "sign")),
    Hostile("lying_objects", "returns objects whose == and __array__ lie, nan, inf, object arrays"),
    Hostile("zip_traversal", "a zip with ../ and absolute paths and symlinks to the reference",
            parts=("calculus", "linear_models", "conv"), message=r"not found in your submission",
            build=tricks.build_traversal_zip, check=tricks.check_zip_traversal),
    Hostile("symlink_dir", "a folder whose calculus.py and solutions/ link to the reference",
            message=r"not found in your submission", build=tricks.symlink_dir),
    Hostile("plausible_garbage", "constants of the right shapes in all five files", parts=MODULES,
            may_score=("HYPERPARAMS", "TORCH_HYPERPARAMS")),
    Hostile("kill_grader", "SIGKILLs its parent, its process group and everything it may signal",
            needs_isolation=True),
    Hostile("protocol_garbage", "writes garbage frames into the grader's pipes"),
    Hostile("huge_frame", "forges a 64 MiB nested-JSON frame and a 40 MiB-header frame on the answer pipe",
            base=True, affected=("sigmoid", "softmax"), message=r"does not accept"),
    Hostile("surrogate_message", "exception messages and output with lone surrogates and terminal escapes",
            base=True, affected=("sigmoid", "softmax"), message=r"ValueError"),
    Hostile("huge_losses", "train_torch returns two million losses with nan, inf and -inf, without training",
            parts=("torch_models",), training=True, timeout=400.0, may_score=("TORCH_HYPERPARAMS",)),
    Hostile("oversized_convnet", "a ConvNetDropout whose activations need gigabytes (256 channels, batches "
            "of 500)", parts=("torch_models",), base=True, affected_tests=("5.10",), training=True,
            timeout=400.0, message=r"(?s)memory.*has [\d,]+ parameters.*batch_size = 500"),
    Hostile("odd_history", "train_mlp returns a history with a function, an object, a generator, nan, inf "
            "and two million values", parts=("mlp",), training=True, timeout=400.0, may_score=("HYPERPARAMS",)),
    Hostile("notebook_cell_of_zeros", "a notebook whose one code cell is CACHE = [0, 0, ...] in 2 MB (700 MB to "
            "parse)", message=r"cell 1: [\d,]+ tokens of code, more than the", max_tree_mb=768,
            build=tricks.notebook_cell_of_zeros),
    Hostile("notebook_empty_objects", "an 8 MB notebook whose metadata is millions of empty objects (1.4 GB to "
            "parse) around correct functions", message=r"more than [\d,]+ JSON values", max_tree_mb=768,
            build=tricks.notebook_empty_objects),
    Hostile("logreg_wide_chain", "a LogisticRegression whose state_dict is a valid chain 784 -> 1 -> 60,000 -> 10",
            parts=("torch_models",), base=True, affected_tests=("5.4", "5.8"), training=True, timeout=400.0,
            message=r"no parameter is a 784 -> 10 weight matrix", max_tree_mb=768),
    Hostile("bool_losses", "train_torch returns its Fashion-MNIST losses as a 47-million-entry bool array",
            parts=("torch_models",), base=True, affected_tests=("5.8", "5.9", "5.10"), training=True, timeout=400.0,
            message=r"47,185,920 entries", max_tree_mb=768),
]
HOSTILE_CASES += [   # issue 14: the sandbox for its whole life, disk that nothing hides, sockets
    Hostile("late_allocation", "softmax answers, then a thread it started allocates 1.3 GB while the grader "
            "judges", base=True, affected=(), min_other_share=0.6),
    Hostile("deleted_open_files", "softmax holds 1.2 GB in deleted files still open", base=True,
            affected=("softmax",), message=r"deleted files still open"),
    # On a slow or busy disk the call's time limit may come first (the file count is checked on
    # its own in test_sandbox_watch): either way softmax is stopped and its folder emptied.
    Hostile("many_files", "softmax creates 100,001 empty files, then 600 MB", base=True, affected=("softmax",),
            message=r"more than 4,096 files|did not finish within .*folder past the disk budget|ran out of time"),
    Hostile("host_socket", "sigmoid is right only if it reaches a path-named AF_UNIX socket of a host service",
            base=True, affected=("sigmoid",), companion=tricks.host_service, also_check=tricks.host_service_unreached),
    Hostile("abstract_bind", "softmax is right only if it can bind an abstract socket name", base=True,
            affected=("softmax",)),
]
HOSTILE_BY_NAME = {c.name: c for c in HOSTILE_CASES}
