"""Reading LogisticRegression and MLP as the contract fixes them: linear layers, ReLU between them.

The contract lets these models hold their parameters in any modules or containers
(``nn.Linear``, ``nn.Sequential``, ``nn.ModuleList``, ``nn.ParameterList``, plain
``nn.Parameter``s, any names, extra buffers). The grader knows the layer sizes it asked
for (784 -> hidden... -> 10), so it finds each layer's weight matrix and bias vector by
shape: a matrix (out, in), or (in, out) for a model that computes ``x @ W``; a bias
(out,) or (1, out). When several parameters share a shape, registration order decides
(the order the model creates them in), and where the model's own outputs on probe rows
are known, they decide first: the grader picks a reading whose outputs are the model's.

It refuses only what cannot be read so: a layer without a weight matrix of its shape,
parameters that belong to no layer (a BatchNorm's weight, a learnt scale), or
parameters of the same shape that neither order nor outputs tell apart; the message
names them. Buffers are never read. Work is bounded by the contract's architecture:
only arrays of a layer's shape are converted, and only the probe rows pass through them.
"""
from dataclasses import dataclass

import numpy as np

from autograder.errors import CheckFailed

MAX_NODES = 20_000   # steps of the search over same-shaped parameters (a few per layer in any real model)
MAX_PROBED = 64      # readings whose outputs are compared with the model's before taking the first one
PROBE_RTOL = 1e-4    # float32 forward passes against the float64 formula: rounding stays near 1e-6


@dataclass(frozen=True)
class Entry:
    index: int
    name: str
    shape: tuple
    value: object    # the array, or None when the sandbox sent only the shape


def entries_of(parameters):
    """``[name, array or shape]`` pairs (registration order) -> Entries; anything else is skipped."""
    found = []
    for index, pair in enumerate(parameters or []):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            continue
        name, value = str(pair[0])[:200], pair[1]
        if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":
            found.append(Entry(index, name, tuple(value.shape), value))
        elif isinstance(value, (list, tuple)) and all(isinstance(n, int) and n >= 0 for n in value):
            found.append(Entry(index, name, tuple(value), None))
    return found


def _describe(entries):
    text = ", ".join(f"{e.name} {e.shape}" for e in entries)
    return (text if len(text) <= 600 else text[:600] + " ...") or "nothing"


def _weight_options(entries, fan_in, fan_out, prefer_transposed=False):
    """(index, transposed) of every entry that can be this layer's weight matrix, the model's own
    storage convention first, then in registration order."""
    options = [(e.index, False) for e in entries if e.value is not None and e.shape == (fan_out, fan_in)]
    options += [(e.index, True) for e in entries if e.value is not None and e.shape == (fan_in, fan_out)]
    return sorted(options, key=lambda option: (option[1] != prefer_transposed, option[0]))


def _bias_options(entries, fan_out):
    return [e.index for e in entries if e.value is not None and e.shape in ((fan_out,), (1, fan_out))]


def _stored_transposed(entries, sizes):
    """True when the model stores its (non-square) weight matrices as (in, out), for x @ W."""
    votes = [e.shape == (fan_in, fan_out) for fan_in, fan_out in zip(sizes[:-1], sizes[1:]) if fan_in != fan_out
             for e in entries if e.value is not None and e.shape in ((fan_in, fan_out), (fan_out, fan_in))]
    return bool(votes) and all(votes)


def readings(entries, sizes):
    """Assignments of the entries to the layers of ``sizes``, each a tuple of (weight index, transposed,
    bias index or None) per layer, using every entry exactly once (a layer may lack a bias): registration
    order first. A generator; it stops after MAX_NODES steps of search."""
    layers = list(zip(sizes[:-1], sizes[1:]))
    everything = frozenset(e.index for e in entries)
    transposed = _stored_transposed(entries, sizes)
    options = [(_weight_options(entries, fan_in, fan_out, transposed), _bias_options(entries, fan_out))
               for fan_in, fan_out in layers]
    missing_biases = 2 * len(layers) - len(everything)   # layers without a bias, if every entry is used
    budget = [MAX_NODES]

    def extend(k, used, chosen, without_bias):
        budget[0] -= 1
        if budget[0] < 0 or without_bias > missing_biases:
            return
        if k == len(layers):
            if used == everything:
                yield tuple(chosen)
            return
        weights, biases = options[k]
        for weight, is_transposed in weights:
            if weight in used:
                continue
            for bias in [b for b in biases if b not in used and b != weight] + [None]:
                taken = used | {weight} | ({bias} if bias is not None else set())
                yield from extend(k + 1, taken, chosen + [(weight, is_transposed, bias)],
                                  without_bias + (bias is None))

    if 0 <= missing_biases:
        yield from extend(0, frozenset(), [], 0)


class _Arrays:
    """Each entry converted to float64 once, whatever the number of readings tried."""

    def __init__(self, entries):
        self.by_index = {e.index: e for e in entries}
        self.converted = {}

    def __getitem__(self, index):
        if index not in self.converted:
            self.converted[index] = np.asarray(self.by_index[index].value, dtype=np.float64)
        return self.converted[index]

    def layers(self, reading):
        chain = []
        for weight, transposed, bias in reading:
            W = self[weight].T if transposed else self[weight]
            b = np.zeros(W.shape[0]) if bias is None else self[bias].reshape(W.shape[0])
            chain.append((W, b))
        return chain


def linear_forward(layers, X, relu=True):
    """x W1^T + b1, ReLU, ..., x Wk^T + bk (float64), as nn.Linear layers with ReLU between them compute it
    (``relu=False``: without the ReLUs, a classic mistake)."""
    h = np.asarray(X, dtype=np.float64)
    for i, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if i < len(layers) - 1 and relu:
            h = np.maximum(h, 0)
    return h


def log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _agrees(layers, probe):
    rows, outputs = probe
    expected = log_softmax(linear_forward(layers, rows))
    with np.errstate(all="ignore"):
        got = log_softmax(outputs)
    return got.shape == expected.shape and bool(np.all(np.abs(got - expected) <= PROBE_RTOL * (1 + np.abs(expected))))


def read_layers(parameters, sizes, name, probe=None):
    """The ``[(W, b), ...]`` (W of shape (out, in), float64) of a model that the contract fixes as linear
    layers ``sizes[0] -> ... -> sizes[-1]`` with ReLU between them.

    ``parameters``: the model's named parameters in registration order, ``[name, array]``, or
    ``[name, shape]`` for those the sandbox did not send (no layer has their shape). ``probe``:
    ``(rows, outputs)``, the model's own outputs on some rows, to pick among same-shaped parameters.
    Fails with a message naming ``name`` and what is missing, extra or ambiguous.
    """
    sizes = [int(s) for s in sizes]
    entries = entries_of(parameters)
    arrow = " -> ".join(map(str, sizes))
    intro = (f"{name}: the grader computes this model's outputs itself from its parameters, reading it as "
             f"linear layers {arrow} with ReLU between them (the architecture the assignment fixes); it finds each "
             "layer's weight matrix and bias vector by their shapes, whatever their names or containers.")
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        if not _weight_options(entries, fan_in, fan_out):
            raise CheckFailed(f"{intro} But no parameter is a {fan_in} -> {fan_out} weight matrix (shape "
                              f"({fan_out}, {fan_in}), or ({fan_in}, {fan_out}) for x @ W). Its parameters: "
                              f"{_describe(entries)}.")
    arrays = _Arrays(entries)
    first = None
    for tried, reading in enumerate(readings(entries, sizes)):
        layers = arrays.layers(reading)
        if probe is None or _agrees(layers, probe):
            return layers
        first = first or layers
        if tried >= MAX_PROBED:
            break
    if first is not None:
        return first   # no reading gives the model's outputs: its forward is not the contract's (tests say so)
    extra = _surplus(entries, sizes)
    if extra:
        raise CheckFailed(f"{intro} But some of its parameters belong to no layer of that chain: {extra}. The model "
                          "should hold only the layers' weights and biases (buffers are fine, a BatchNorm's weight "
                          "and bias are parameters).")
    raise CheckFailed(f"{intro} But its parameters cannot be arranged into those layers, each with one weight "
                      f"matrix and at most one bias: {_describe(entries)}.")


def _surplus(entries, sizes):
    """What the chain has no room for: entries of no layer's shape, and more entries of a shape than
    layers that take it; as text (empty when the counts fit)."""
    layers = list(zip(sizes[:-1], sizes[1:]))
    problems = []
    unplaced = [e for e in entries if not any(e.shape in ((o, i), (i, o), (o,), (1, o)) for i, o in layers)]
    if unplaced:
        problems.append(_describe(unplaced))
    for shape in sorted({e.shape for e in entries if e not in unplaced}):
        same = [e for e in entries if e.shape == shape]
        room = sum(shape in ((o, i), (i, o)) or shape in ((o,), (1, o)) for i, o in layers)
        if len(same) > room:
            problems.append(f"{len(same)} parameters of shape {shape} ({_describe(same)}) where the chain has "
                            f"room for {room}")
    return "; ".join(problems)
