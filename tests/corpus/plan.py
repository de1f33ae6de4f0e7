"""Every grading the corpus can run, by key, built from the tables of cases.

Keys: ``variant/<style>``, ``variant-training/<style>``, ``mutants/<name>+<name>...``
and ``hostile/<case>``. The tests name the keys they need in a ``corpus`` marker.
"""
import itertools
import os
from dataclasses import dataclass
from typing import Callable, Optional

from tests import mutants as mutant_table
from tests.corpus.hostile_cases import HOSTILE_CASES
from tests.corpus.variants import TRAINING_VARIANT, VARIANT_STYLES, variant_path

MODULES = mutant_table.MODULES


@dataclass(frozen=True)
class Planned:
    """One grading to run: what to build, and how to grade it."""
    key: str
    build: Callable            # build(workdir) -> the submission (folder or zip)
    parts: tuple
    training: bool = False
    timeout: float = 300.0
    comm: str = ""             # name the submission's own child processes give themselves
    runs_long: bool = False    # started first, so that it overlaps with the others
    needs_isolation: bool = False
    companion: Optional[Callable] = None
    cleanup: Optional[Callable] = None


def variant_key(style):
    return f"variant/{style}"


TRAINING_KEY = f"variant-training/{TRAINING_VARIANT}"


def hostile_key(case):
    return f"hostile/{case.name}"


def mutant_bundles():
    """Mutants grouped so that one grading checks several, at most one per module, without interference.

    linear_models.py and mlp.py import calculus.py, so a calculus mutant is
    never graded together with those two modules; conv.py and torch_models.py
    depend on nothing and join any bundle.
    """
    by_module = {m: [x for x in mutant_table.MUTANTS if x.module == m] for m in MODULES}
    bundles = [[c] for c in by_module["calculus"]]
    bundles += [[m for m in pair if m is not None]
                for pair in itertools.zip_longest(by_module["linear_models"], by_module["mlp"])]
    for module in ("conv", "torch_models"):
        for i, mutant in enumerate(by_module[module]):
            if i < len(bundles):
                bundles[i].append(mutant)
            else:
                bundles.append([mutant])
    return bundles


def _bundle_key(bundle):
    return "mutants/" + "+".join(m.name for m in bundle)


def mutant_key(mutant):
    """The key of the grading that holds ``mutant`` (with mutants of other modules)."""
    (key,) = [_bundle_key(b) for b in mutant_bundles() if mutant in b]
    return key


def _planned_mutants(bundle):
    def build(workdir):
        return mutant_table.build(bundle, os.path.join(workdir, "+".join(m.name for m in bundle)))
    return Planned(_bundle_key(bundle), build, tuple(sorted({m.module for m in bundle}, key=MODULES.index)))


def _planned_hostile(case):
    return Planned(hostile_key(case), case.submission, tuple(case.parts), training=case.training,
                   timeout=case.timeout, comm=case.comm, runs_long=case.runs_long,
                   needs_isolation=case.needs_isolation, companion=case.companion, cleanup=case.cleanup)


def all_gradings():
    """{key: Planned} for every grading of the corpus."""
    planned = [Planned(variant_key(style), lambda workdir, style=style: variant_path(style, workdir), MODULES)
               for style in sorted(VARIANT_STYLES)]
    planned.append(Planned(TRAINING_KEY, lambda workdir: variant_path(TRAINING_VARIANT, workdir), MODULES,
                           training=True, timeout=900.0))
    planned += [_planned_mutants(bundle) for bundle in mutant_bundles()]
    planned += [_planned_hostile(case) for case in HOSTILE_CASES]
    return {p.key: p for p in planned}
