"""Mini-batch SGD replayed on the grader's side, and what a training function's result says.

``train_softmax_regression``, ``train_mlp`` and ``train_torch`` are judged the same way
(the contract's "Training, as every part means it"): the grader gives a tiny problem,
gets the initial parameters and the trained ones, and replays SGD in float64 for every
way an epoch can cut a permutation of the examples into consecutive mini-batches. The
trained parameters must be one of those replays, to the rounding of the dtypes involved
(``rounding.py``); when none is, the replays of classic mistakes name the one made.

Everything here is NumPy on data; the gradient of the model is passed in
(``gradient(params, X_rows, y_rows) -> dict`` of arrays), so the same search serves a
softmax regression, the MLP and a torch ``nn.Linear``.
"""
import itertools
from dataclasses import dataclass, field

import numpy as np

from autograder.judge.rounding import relative_gap, size_of

# Replays are cheap (a few microseconds per step), but their number grows as
# cuts ** epochs: the problems are sized to stay far below these.
MAX_CUTS = 2000
MAX_REPLAYED_STEPS = 200_000


class ReplayTooLarge(ValueError):
    """A replay the grader would not finish in reasonable time (a grader-side sizing error)."""


def epoch_cuts(n, batch_size, keep_partial=True):
    """Every sequence of mini-batches an epoch can make of ``n`` examples: consecutive chunks of
    ``batch_size`` of some permutation (a chunk is a set: the order inside it changes no mean);
    without ``keep_partial`` the last, smaller chunk is left out."""
    sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    cuts = []

    def extend(remaining, prefix, sizes):
        if not sizes:
            cuts.append(tuple(prefix))
            return
        for chunk in itertools.combinations(remaining, sizes[0]):
            if len(cuts) > MAX_CUTS:
                raise ReplayTooLarge(f"more than {MAX_CUTS} ways to cut {n} examples into batches of {batch_size}")
            extend(tuple(i for i in remaining if i not in chunk), prefix + [chunk], sizes[1:])

    extend(tuple(range(n)), [], sizes)
    if not keep_partial and n % batch_size:
        cuts = sorted({cut[:-1] for cut in cuts})
    return cuts


@dataclass(frozen=True)
class SGD:
    """One update rule: torch.optim.SGD's (buffer = momentum * buffer + g, from buffer = g),
    or a classic mistake of it."""
    lr: float
    momentum: float = 0.0
    average: str = ""               # "first": buffer = m * buffer + (1 - m) g after buffer = g (dampening = m);
                                    # "zero": the same from buffer = 0
    restart_each_epoch: bool = False  # the optimizer (and its momentum) made anew every epoch
    accumulate: bool = False          # gradients never zeroed: each step uses the sum of all so far

    def start(self, params):
        return {"params": params, "buffers": None, "sum": None}

    def begin_epoch(self, state):
        return dict(state, buffers=None, sum=None) if self.restart_each_epoch else state

    def step(self, state, grads):
        keys = state["params"].keys()
        if self.accumulate:
            grads = grads if state["sum"] is None else {k: state["sum"][k] + grads[k] for k in keys}
            state = dict(state, sum=grads)
        if self.momentum:
            weight = 1 - self.momentum if self.average else 1.0
            if state["buffers"] is None:
                buffers = {k: (weight if self.average == "zero" else 1.0) * grads[k] for k in keys}
            else:
                buffers = {k: self.momentum * state["buffers"][k] + weight * grads[k] for k in keys}
            state, grads = dict(state, buffers=buffers), buffers
        params = {k: state["params"][k] - self.lr * grads[k] for k in keys}
        return dict(state, params=params)


@dataclass
class Search:
    """The replays that lead to the trained parameters (each a tuple of epochs' cuts), the smallest
    gap of all replays tried, and whether the matching replays used the partial mini-batch."""
    found: list = field(default_factory=list)
    smallest_gap: float = np.inf
    partial_used: bool = True


def _float_params(params):
    return {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}


def search(gradient, rule, start, end, X, y, batch_size, epochs, rtol, keep_partial=True):
    """Every replay of ``epochs`` epochs of ``rule`` from ``start`` that ends within ``rtol`` (of the
    parameters' size) of ``end``."""
    start, end = _float_params(start), _float_params(end)
    keys = sorted(start)
    scale = size_of(*start.values(), *end.values())
    X = np.asarray(X, dtype=np.float64)
    cuts = epoch_cuts(len(X), batch_size, keep_partial)
    steps = sum(len(cuts) ** (e + 1) * len(cuts[0]) for e in range(epochs))
    if steps > MAX_REPLAYED_STEPS:
        raise ReplayTooLarge(f"{steps} replayed steps for {len(cuts)} cuts and {epochs} epochs")
    memo = {}

    def grads(params_key, params, batch):
        # The same step from the same parameters recurs across replays: compute it once.
        key = (params_key, batch)
        if key not in memo:
            rows = list(batch)
            memo[key] = gradient(params, X[rows], y[rows])
        return memo[key]

    result = Search(partial_used=keep_partial)
    frontier = [((), rule.start(start))]
    for _ in range(epochs):
        frontier = [(path + (cut,), _run_epoch(rule, state, cut, grads, path)) for path, state in frontier
                    for cut in cuts]
    for path, state in frontier:
        distance = relative_gap(state["params"], end, keys, scale)
        result.smallest_gap = min(result.smallest_gap, distance)
        if distance <= rtol:
            result.found.append(path)
    return result


def _run_epoch(rule, state, cut, grads, path):
    state = rule.begin_epoch(state)
    for i, batch in enumerate(cut):
        state = rule.step(state, grads((path, cut[:i]), state["params"], batch))
    return state


def search_with_and_without_partial(gradient, rule, start, end, X, y, batch_size, epochs, rtol):
    """:func:`search` with every mini-batch, then, when nothing matches, with the partial one dropped."""
    searched = search(gradient, rule, start, end, X, y, batch_size, epochs, rtol)
    if searched.found or len(X) % batch_size == 0:
        return searched
    dropped = search(gradient, rule, start, end, X, y, batch_size, epochs, rtol, keep_partial=False)
    if dropped.found:
        return dropped
    searched.smallest_gap = min(searched.smallest_gap, dropped.smallest_gap)
    return searched


def first_rule_that_matches(rules, gradient, start, end, X, y, batch_size, epochs, rtol):
    """``(name, search)`` of the first of ``rules`` (name -> SGD) whose replays reach ``end``;
    ``(None, search)`` with the smallest gap over all of them when none does."""
    smallest = np.inf
    for name, rule in rules.items():
        searched = search_with_and_without_partial(gradient, rule, start, end, X, y, batch_size, epochs, rtol)
        if searched.found:
            return name, searched
        smallest = min(smallest, searched.smallest_gap)
    return None, Search(smallest_gap=smallest)


def relabelings(y):
    """Every distinct reordering of the labels ``y`` (each a tuple), the identity first."""
    y = tuple(int(v) for v in y)
    others = sorted(set(itertools.permutations(y)) - {y})
    if len(others) > MAX_CUTS:
        raise ReplayTooLarge(f"{len(others)} reorderings of {len(y)} labels")
    return [y] + others


def one_full_batch_step(gradient, lr, start, end, X, y, rtol):
    """One step on the whole set: ``"paired"`` when ``end`` is start - lr * gradient(start, X, y),
    ``"apart"`` when it is that step for the labels of other examples (X and y shuffled with
    different permutations), else None; with the smallest gap found."""
    start, end = _float_params(start), _float_params(end)
    keys = sorted(start)
    scale = size_of(*start.values(), *end.values())
    X = np.asarray(X, dtype=np.float64)
    smallest = np.inf
    for i, labels in enumerate(relabelings(y)):
        grads = gradient(start, X, np.asarray(labels))
        distance = relative_gap({k: start[k] - lr * grads[k] for k in keys}, end, keys, scale)
        smallest = min(smallest, distance)
        if distance <= rtol:
            return ("paired" if i == 0 else "apart"), smallest
    return None, smallest
