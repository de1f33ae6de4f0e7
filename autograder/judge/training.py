"""The verdicts on training functions, worded once for the three that train with mini-batch SGD.

``train_softmax_regression``, ``train_mlp`` and ``train_torch`` follow the same rules
(every example once per epoch, the last partial mini-batch used, a fresh order every
epoch, X and y shuffled together, float32 allowed): each graded test gives its own
problem and its own words (:class:`Words`), and these functions replay it
(``replays.py``), compare to the rounding of the dtypes involved (``rounding.py``)
and fail with a message that names the mistake and its fix.
"""
from dataclasses import dataclass

import numpy as np

from autograder.errors import CheckFailed
from autograder.judge.compare import format_inputs
from autograder.judge.replays import SGD, first_rule_that_matches, one_full_batch_step
from autograder.judge.replays import search_with_and_without_partial
from autograder.judge.rounding import coarsest, dtype_problem, explain_gap, relative_gap, rounding_rtol, size_of


@dataclass(frozen=True)
class Words:
    """How the messages speak of one training function."""
    step: str            # one SGD step, e.g. "params - lr * bprop(params, X_batch, y_batch)"
    initial: str         # where the initial parameters come from
    fresh_order: str     # how to draw a new order every epoch
    together: str        # how to shuffle X and y together


NUMPY_ORDER = ("draw a new order = rng.permutation(n) (or rng.shuffle, or rng.choice(n, n, replace=False)) "
               "at the start of every epoch, not once before the loop")
NUMPY_TOGETHER = "draw one order = rng.permutation(n) and use X[order] with y[order]"
TORCH_ORDER = ("draw a new order at the start of every epoch, e.g. torch.randperm(n, generator=g) with one "
               "g = torch.Generator().manual_seed(seed) made before the loop, or a DataLoader(..., shuffle=True, "
               "generator=g), which reshuffles every epoch")
TORCH_TOGETHER = "index X and y with the same order: X[idx] with y[idx], or a TensorDataset(X, y)"


def _check_precision(returned, what):
    problem = dtype_problem(returned, what)
    if problem:
        raise CheckFailed(problem)


@dataclass
class Run:
    """One training on a tiny problem: its data, and the parameters before and after."""
    X: object
    y: object
    start: dict
    end: dict


def check_epochs(runs, gradient, rule, batch_size, epochs, what, words):
    """Each run's parameters are SGD over ``epochs`` epochs of mini-batches of some permutation, the
    partial mini-batch used; and across the runs the epochs did not all repeat one order."""
    verdicts = []
    for run in runs:
        _check_precision(run.end, what)
        rtol = rounding_rtol(coarsest(run.X, run.start, run.end))
        found = search_with_and_without_partial(gradient, rule, run.start, run.end, run.X, run.y,
                                                         batch_size, epochs, rtol)
        data = format_inputs({"X": run.X, "y": run.y})
        if not found.found:
            raise CheckFailed(
                f"{what}: the returned parameters are not those of SGD from the initial parameters ({words.initial}) "
                f"over {epochs} epochs of mini-batches of a permutation of the examples, for any permutation. Each "
                f"step is {words.step}, with the rows of X and the labels y shuffled by the same permutation. "
                + explain_gap(found.smallest_gap, rtol, coarsest(run.X, run.start, run.end))
                + data)
        if not found.partial_used:
            raise CheckFailed(
                f"{what}: the last, partial mini-batch of each epoch is dropped: the parameters are those of SGD "
                "without it. Use every example: for start in range(0, n, batch_size) makes the leftover examples "
                "the last mini-batch." + data)
        verdicts.append(found.found)
    if not any(all(len(set(path)) > 1 for path in found) for found in verdicts):   # some run surely reshuffled
        example = verdicts[0][0][0]
        raise CheckFailed(
            f"{what}, from {len(runs)} seeds: each time the parameters are those of epochs that visit the "
            f"mini-batches in the same order ({example} every epoch): {words.fresh_order}.")


def check_together(run, gradient, lr, what, words):
    """One step on the whole set (batch_size = n): the step of the examples as they are paired."""
    _check_precision(run.end, what)
    dtype = coarsest(run.X, run.start, run.end)
    rtol = rounding_rtol(dtype)
    verdict, smallest = one_full_batch_step(gradient, lr, run.start, run.end, run.X, run.y, rtol)
    data = format_inputs({"X": run.X, "y": run.y})
    if verdict == "apart":
        raise CheckFailed(f"{what}: the step used the rows of X with the labels of other examples: X and y were "
                          f"shuffled with different permutations. {words.together[0].upper()}{words.together[1:]}."
                          + data)
    if verdict is None:
        raise CheckFailed(f"{what}: the returned parameters are not one step {words.step} on the whole set from "
                          f"the initial parameters ({words.initial}). "
                          + explain_gap(smallest, rtol, dtype) + data)


def check_rule(run, expected, mistakes, gradient, batch_size, epochs, what, words):
    """The parameters are the replay of the ``expected`` rule (an SGD); else name the first of
    ``mistakes`` (description -> SGD) whose replay they are."""
    _check_precision(run.end, what)
    dtype = coarsest(run.X, run.start, run.end)
    rtol = rounding_rtol(dtype)
    rules = {"": expected, **mistakes}
    name, found = first_rule_that_matches(rules, gradient, run.start, run.end, run.X, run.y, batch_size,
                                                  epochs, rtol)
    data = format_inputs({"X": run.X, "y": run.y})
    if name == "":
        return
    if name is not None:
        raise CheckFailed(f"{what}: the parameters are not those of the expected update ({words.step}); they are "
                          f"those of a classic mistake: {name}." + data)
    raise CheckFailed(f"{what}: the returned parameters are not those of {epochs} epochs of {words.step} for any "
                      f"order of the examples. " + explain_gap(found.smallest_gap, rtol, dtype) + data)


def momentum_mistakes(lr, momentum):
    """The classic ways an SGD with momentum goes wrong, as replays (description -> rule)."""
    return {
        "the optimizer is created anew in every epoch (inside the epoch loop), so its momentum restarts from "
        "zero each epoch: create it once, before the loop":
            SGD(lr, momentum, restart_each_epoch=True),
        "the momentum option is ignored (plain SGD): pass the options on to the optimizer, "
        "torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)": SGD(lr),
        "momentum written as an exponential average, buffer = momentum * buffer + (1 - momentum) * grad "
        "(dampening = momentum); SGD's momentum adds the whole gradient: buffer = momentum * buffer + grad":
            SGD(lr, momentum, average="first"),
        "momentum written as an exponential average from zero, buffer = momentum * buffer + (1 - momentum) * "
        "grad; SGD's momentum adds the whole gradient: buffer = momentum * buffer + grad":
            SGD(lr, momentum, average="zero"),
        "optimizer.zero_grad() missing (gradients accumulate over the steps)":
            SGD(lr, momentum, accumulate=True),
    }


# Steps with a tiny learning rate barely change the gradient: n / batch_size steps per epoch move the
# parameters by lr * steps * (full-batch gradient) to within ~0.1% (second order and float32 rounding);
# a wrong step size or a missing step is off by 30% or more.
DISPLACEMENT_RTOL = 0.03


def check_displacement(start, end, full_gradient, lr, steps, batch_size, what):
    """The parameters moved by -lr * steps * (full-batch gradient at ``start``), as ``steps`` mini-batch
    steps of the mean loss do when the learning rate is tiny; else name what happened."""
    keys = sorted(start)
    flat = {k: np.ravel(np.asarray(v, dtype=np.float64)) for k, v in start.items()}
    moved = np.concatenate([np.ravel(np.asarray(end[k], dtype=np.float64)) - flat[k] for k in keys])
    expected = -lr * steps * np.concatenate([np.ravel(np.asarray(full_gradient[k], dtype=np.float64))
                                             for k in keys])
    error = np.linalg.norm(moved - expected) / np.linalg.norm(expected)
    if error <= DISPLACEMENT_RTOL:
        return
    ratio = float(moved @ expected / (expected @ expected))
    if not np.any(moved):
        hint = ("the model it was given was not trained (its parameters did not change): call optimizer.step() "
                "on an optimizer built from this model's parameters, not on a copy of the model")
    elif abs(ratio - batch_size) <= 0.1 * batch_size:
        hint = ("the loss minimised is the sum over the mini-batch (reduction='sum'), not its mean: divide it "
                "by the batch size, or use the default reduction='mean'")
    else:
        hint = (f"they moved {ratio:.3g} times as far as expected, in a direction {error:.0%} off: is every "
                "mini-batch a step of lr times the gradient of the batch's mean loss?")
    raise CheckFailed(f"{what}: after {steps} mini-batch steps with a tiny learning rate the parameters should "
                      f"have moved by lr * {steps} * (gradient of the mean loss over all the examples), to "
                      f"within {DISPLACEMENT_RTOL:.0%}; this looks like a classic mistake: {hint}.")


def check_train_mode(modes, moved, what):
    """``modes``: for each forward pass of the dropout layers that a backward pass went through, whether
    the layer was in train() mode. Every training step runs in train() mode, on the model given."""
    if not moved:
        raise CheckFailed(f"{what}: the model it was given was not trained (its parameters did not change): "
                          "call optimizer.step() on an optimizer built from this model's parameters.")
    if not modes:
        raise CheckFailed(f"{what}: no backward pass went through the model's dropout layer: is the loss "
                          "computed from this model's outputs, with loss.backward()?")
    evaluated = [i for i, training in enumerate(modes) if not training]
    if evaluated:
        raise CheckFailed(
            f"{what}: {len(evaluated)} of its {len(modes)} training steps ran with the model in eval() mode "
            f"(dropout off), the first of them step {evaluated[0] + 1}. Does train_torch switch to eval() to "
            "measure something and never back? Call model.train() at the start of every epoch (every step "
            "runs in train() mode; evaluating in between is fine).")


def check_replayed(run, expected, mistakes, what, description):
    """``run.end`` is the replayed parameters ``expected`` (to the rounding of the dtypes involved);
    else name the first of ``mistakes`` (description -> parameters) that it is."""
    _check_precision(run.end, what)
    dtype = coarsest(run.X, run.start, run.end)
    rtol = rounding_rtol(dtype)
    keys = sorted(run.start)
    scale = size_of(*run.start.values(), *run.end.values())
    distance = relative_gap(run.end, expected, keys, scale)
    if distance <= rtol:
        return
    data = format_inputs({"X": run.X, "y": run.y})
    for name, params in mistakes.items():
        if relative_gap(run.end, params, keys, scale) <= rtol:
            raise CheckFailed(f"{what}: the parameters are not {description}; this looks like a classic mistake: "
                              f"{name}." + data)
    raise CheckFailed(f"{what}: the parameters are not {description}. "
                      + explain_gap(distance, rtol, dtype) + data)
