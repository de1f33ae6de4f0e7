"""What may come back from the sandbox, checked before the grader computes anything from it.

The codec guarantees data (numbers, strings, lists, dicts, arrays) and bounds each
message's bytes and items, not its meaning: a 47-million-entry bool array where one
loss per epoch is due (widened to float64, 380 MB), a state_dict whose chain
784 -> 1 -> 60,000 -> 10 fits in 3 MB but needs gigabytes in a forward pass, a params
dict whose arrays have other shapes than asked for. So every value that the graded
tests and judges use is first checked here against what the contract fixes: its
structure, each array's dimensions and number of elements, and its dtype, on the value
as decoded (views into the frame), before any conversion, widening or product. A value
that does not fit raises :class:`~autograder.errors.WrongReturn`, whose message says what
was expected and what came back.

    expect(value, spec, what) -> value      # arrays as they came, never converted or copied

Specs: ``Array(dims..., kinds=...)``, ``Sequence(length=... | max_length=...)``,
``Number()``, ``Name()``, ``Record({key: spec})``, ``Items(spec, spec, ...)``,
``ListOf(spec, max_items)``, ``StateDict(sizes)``, ``Maybe(spec)`` for a value that
may be None, and ``Value()`` for one a graded test compares (``judge/compare.py``
checks its shape before converting it). What each task and contract function may
answer is written with them in ``judge/answers.py``.

Elements are bounded, not only bytes: a dimension of size 0 makes an array of no bytes
whatever its other dimensions, so an unfixed dimension counts as at least 1.
"""
import math
import numbers

import numpy as np

from autograder.errors import WrongReturn
from autograder.judge.compare import describe, shape_hint

NUMBER = "iuf"     # ints, unsigned ints, floats: not bool, which no returned quantity is
FLOAT = "f"
INTEGER = "iu"
DEFAULT_MAX_ELEMENTS = 1 << 20   # an unfixed dimension; 8 MB once widened to float64
KIND_NAMES = {"iuf": "numbers", "f": "floats", "iu": "integers"}


def expect(value, spec, what):
    """``value`` if it is what ``spec`` allows, else WrongReturn; ``what`` names it in messages."""
    return spec.check(value, what)


def fits(value, spec):
    """True when ``value`` is what ``spec`` allows (for values only recorded, never refused)."""
    try:
        spec.check(value, "")
    except WrongReturn:
        return False
    return True


def refuse(what, wanted, value, detail=""):
    raise WrongReturn(f"{what} should be {wanted}, but is {describe(value)}{detail}.")


def _is_scalar(value, kinds):
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in kinds
    if isinstance(value, np.generic):
        return value.dtype.kind in kinds
    return isinstance(value, numbers.Integral if kinds == INTEGER else numbers.Real)


def elements(value):
    """How many numbers a value holds once it is an array: lists walked (the codec bounds
    their items), arrays by their shape, an empty dimension counting as 1."""
    if isinstance(value, np.ndarray):
        return math.prod(max(n, 1) for n in value.shape)
    if isinstance(value, (list, tuple)):
        return sum(elements(item) for item in value) if value else 1
    return 1


class Spec:
    def check(self, value, what):
        raise NotImplementedError

    def wanted(self):
        raise NotImplementedError


class Array(Spec):
    """An array (or nested lists of numbers) with ``len(dims)`` dimensions: an int fixes a
    dimension, None leaves it free, within ``max_elements`` numbers in all."""

    def __init__(self, *dims, kinds=NUMBER, max_elements=DEFAULT_MAX_ELEMENTS):
        self.dims, self.kinds = tuple(dims), kinds
        fixed = math.prod(n for n in self.dims if n is not None)
        self.max_elements = max(fixed, max_elements) if None in self.dims else fixed

    def shape(self):
        return "(" + ", ".join("any" if n is None else str(n) for n in self.dims) + ("," * (len(self.dims) == 1)) + ")"

    def wanted(self):
        return f"an array of {KIND_NAMES.get(self.kinds, self.kinds)} of shape {self.shape()}"

    def check(self, value, what):
        if isinstance(value, bool) or not isinstance(value, (np.ndarray, np.generic, list, tuple, numbers.Real)):
            refuse(what, self.wanted(), value)
        if isinstance(value, np.ndarray):   # the shape first: it costs nothing and says the most
            self._check_shape(value, what)
        count = elements(value)
        if count > self.max_elements:
            refuse(what, self.wanted(), value, f" ({count:,} entries; at most {self.max_elements:,})")
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):
            refuse(what, self.wanted(), value, " (ragged nested lists?)")
        if array.dtype.kind not in self.kinds:
            refuse(what, self.wanted(), value, f" (it holds {array.dtype})")
        self._check_shape(array, what)
        return array

    def _check_shape(self, array, what):
        if array.ndim != len(self.dims) or any(n not in (None, m) for n, m in zip(self.dims, array.shape)):
            fixed = tuple(m if n is None else n for n, m in zip(self.dims, array.shape))
            hint = shape_hint(array, fixed) if array.ndim == len(self.dims) else ""
            raise WrongReturn(f"{what} returned shape {array.shape}; expected {self.shape()}.{hint}")


class Sequence(Spec):
    """Per-step values (losses, costs, a history's curve): a list or tuple of numbers, or a
    1-D array, of exactly ``length`` entries or at most ``max_length``."""

    def __init__(self, length=None, *, max_length=None, kinds=NUMBER):
        self.length, self.kinds = length, kinds
        self.max_length = length if length is not None else max_length

    def wanted(self):
        count = f"{self.length:,} " if self.length is not None else f"at most {self.max_length:,} "
        return f"a list or 1-D array of {count}{KIND_NAMES.get(self.kinds, self.kinds)}"

    def check(self, value, what):
        if isinstance(value, np.ndarray):
            if value.ndim != 1:
                refuse(what, self.wanted(), value)
            size, kind_ok = value.shape[0], value.dtype.kind in self.kinds
        elif isinstance(value, (list, tuple)):
            size, kind_ok = len(value), None
        else:
            refuse(what, self.wanted(), value)
        if size > self.max_length or (self.length is not None and size != self.length):
            refuse(what, self.wanted(), value, f" ({size:,} entries)")
        if kind_ok is None:
            kind_ok = all(_is_scalar(item, self.kinds) for item in value)
        if not kind_ok:
            refuse(what, self.wanted(), value, " (not all of its entries are such numbers)")
        return value


class AtMost(Spec):
    """Any value whose length (a list or tuple) or number of elements (an array) is at most
    ``max_items``: a bound on what a test then judges itself (e.g. with ``assert_sequence``)."""

    def __init__(self, max_items):
        self.max_items = max_items

    def wanted(self):
        return f"at most {self.max_items:,} values"

    def check(self, value, what):
        size = value.size if isinstance(value, np.ndarray) else len(value) if isinstance(value, (list, tuple)) else 1
        if size > self.max_items:
            refuse(what, self.wanted(), value, f" ({size:,} entries)")
        return value


class Number(Spec):
    """One number: an int, a float, a NumPy scalar or a 0-d array (not a bool)."""

    def __init__(self, kinds=NUMBER):
        self.kinds = kinds

    def wanted(self):
        return "a number"

    def check(self, value, what):
        if not _is_scalar(value, self.kinds):
            refuse(what, self.wanted(), value)
        return value


class Maybe(Spec):
    """None, or what ``spec`` allows."""

    def __init__(self, spec):
        self.spec = spec

    def wanted(self):
        return f"None or {self.spec.wanted()}"

    def check(self, value, what):
        return None if value is None else self.spec.check(value, what)


class Record(Spec):
    """A dict with (at least) the keys of ``fields``, each value checked by its spec. Only those
    keys are returned, so that nothing unchecked is used; keys in ``optional`` may be absent.
    ``labels`` names values for messages ("..., its state_dict"; else "...['state']")."""

    def __init__(self, fields, optional=(), labels=None):
        self.fields, self.optional, self.labels = dict(fields), set(optional), dict(labels or {})

    def wanted(self):
        return f"a dict with the keys {sorted(set(self.fields) - self.optional)}"

    def check(self, value, what):
        if not isinstance(value, dict):
            refuse(what, self.wanted(), value)
        missing = sorted(set(self.fields) - self.optional - set(value))
        if missing:
            refuse(what, self.wanted(), value, f" (no {', '.join(map(repr, missing))})")
        return {key: spec.check(value[key], f"{what}, {self.labels[key]}," if key in self.labels else
                                f"{what}['{key}']") for key, spec in self.fields.items() if key in value}


class Items(Spec):
    """A tuple or list of exactly ``len(specs)`` values, each checked by its spec (returned as a list)."""

    def __init__(self, *specs):
        self.specs = specs

    def wanted(self):
        return f"a tuple of {len(self.specs)} values"

    def check(self, value, what):
        if not isinstance(value, (tuple, list)) or len(value) != len(self.specs):
            refuse(what, self.wanted(), value)
        return [spec.check(item, f"{what}[{i}]") for i, (spec, item) in enumerate(zip(self.specs, value))]


class ListOf(Spec):
    """A list or tuple of at most ``max_items`` values, each checked by ``spec`` (returned as a list)."""

    def __init__(self, spec, max_items):
        self.spec, self.max_items = spec, max_items

    def wanted(self):
        return f"a list of at most {self.max_items:,} values, each {self.spec.wanted()}"

    def check(self, value, what):
        if not isinstance(value, (tuple, list)) or len(value) > self.max_items:
            refuse(what, self.wanted(), value)
        return [self.spec.check(item, f"{what}[{i}]") for i, item in enumerate(value)]


class Name(Spec):
    """A string of at most ``max_chars`` characters (a parameter's or a layer's name)."""

    def __init__(self, max_chars=200):
        self.max_chars = max_chars

    def wanted(self):
        return f"a name of at most {self.max_chars} characters"

    def check(self, value, what):
        if not isinstance(value, str) or len(value) > self.max_chars:
            refuse(what, self.wanted(), value)
        return value


class Value(Spec):
    """Any value: one the graded test compares with ``judge/compare.py``, whose checks of type and
    shape come before any conversion."""

    def wanted(self):
        return "a value"

    def check(self, value, what):
        return value


class StateDict(Spec):
    """A LogisticRegression's or MLP's state_dict as the sandbox sends it: ``[name, value]`` pairs,
    whose arrays hold at most the numbers the architecture through ``sizes`` may have
    (:func:`state_dict_bound`). Other values (a buffer the codec could not carry) pass, uncounted:
    the state_dict's reader leaves them out."""

    def __init__(self, sizes):
        self.sizes = tuple(sizes)
        self.max_elements = state_dict_bound(self.sizes)

    def wanted(self):
        return "a state_dict: a list of [name, array] pairs"

    def check(self, value, what):
        if not isinstance(value, (list, tuple)) or len(value) > MAX_STATE_ENTRIES or not all(
                isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str) for pair in value):
            refuse(what, self.wanted(), value)
        total = sum(elements(array) for _name, array in value if isinstance(array, np.ndarray))
        if total > self.max_elements:
            shown = ", ".join(f"{name[:60]} {np.shape(array)}" for name, array in value[:8])
            chain = " -> ".join(map(str, self.sizes))
            raise WrongReturn(
                f"{what} holds {total:,} numbers ({shown}{', ...' if len(value) > 8 else ''}). The "
                f"architecture the assignment fixes, linear layers {chain}, has "
                f"{linear_chain_parameters(self.sizes):,} parameters, and the grader reads at most "
                f"{self.max_elements:,} numbers of it, buffers included.")
        return [[name, array] for name, array in value]


# ----------------------------------------------------------------------------- the contract's sizes

MAX_MODEL_ELEMENTS = 4_000_000   # what the grader reads of a model: 32 MB once in float64
MAX_STATE_ENTRIES = 10_000


def linear_chain_parameters(sizes):
    """Weights and biases of nn.Linear layers through ``sizes`` (784, hidden..., 10)."""
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))


def state_dict_bound(sizes):
    """The most numbers a LogisticRegression or MLP through ``sizes`` may send: its parameters,
    as many again for extra buffers (the contract allows them) and a little more, and never
    more than the grader reads of a model (:data:`MAX_MODEL_ELEMENTS`)."""
    return min(2 * linear_chain_parameters(sizes) + 1024, MAX_MODEL_ELEMENTS)
