"""Data-only encoding for messages between the grader and the student's process.

Both sides use this file: the grader imports it, and a copy runs inside the
sandbox. A message is JSON that describes the structure, followed by the raw
bytes of every NumPy array in it. Nothing is ever unpickled, so a message from
the student's side can only ever be data.

Supported values: None, bool, int, float (nan and inf included), str, list,
tuple, dict with str keys, NumPy arrays and scalars of bool/int/uint/float
dtypes. Anything else is sent as an ``Unsupported`` marker that names its type,
so the grader can say what the student's function returned instead.

Wire format: 8-byte big-endian header length, JSON header, then the array
buffers back to back in the order the header lists them.
"""
import json
import math
import struct

import numpy as np

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32
_ALLOWED_KINDS = "biuf"
_LENGTH = struct.Struct(">Q")


class CodecError(ValueError):
    """Raised when a message is malformed, too large or holds forbidden data."""


class Unsupported:
    """Stands for a value that has no data-only encoding, e.g. a function."""

    def __init__(self, description):
        self.description = description

    def __repr__(self):
        return f"<unsupported value: {self.description}>"

    def __eq__(self, other):
        return isinstance(other, Unsupported) and other.description == self.description


class Tensor(np.ndarray):
    """A NumPy array that was a torch tensor on the student's side."""


def _describe(value):
    text = type(value).__module__ + "." + type(value).__qualname__
    return text if len(text) < 200 else text[:200] + "..."


def _torch_to_numpy(value):
    """Convert a torch tensor without importing torch (the grader never does)."""
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        try:
            return np.array(value.detach().cpu().numpy())
        except Exception:  # e.g. a tensor that needs grad on an odd device
            return None
    return None


def encode(value):
    """Return ``bytes`` for ``value``; raises CodecError if it is too large."""
    buffers = []
    tree = _encode(value, buffers, 0)
    header = json.dumps({"tree": tree, "arrays": [b[0] for b in buffers]},
                        allow_nan=False).encode()
    payload = [_LENGTH.pack(len(header)), header] + [b[1] for b in buffers]
    size = sum(len(p) for p in payload)
    if size > MAX_MESSAGE_BYTES:
        raise CodecError(f"message of {size} bytes is larger than {MAX_MESSAGE_BYTES}")
    return b"".join(payload)


def _encode(value, buffers, depth):
    if depth > MAX_DEPTH:
        return {"unsupported": "structure nested more than %d levels" % MAX_DEPTH}
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int:
        return value if abs(value) < 2 ** 63 else {"float": float(value)}
    if type(value) is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, (list, tuple)):
        key = "list" if isinstance(value, list) else "tuple"
        return {key: [_encode(v, buffers, depth + 1) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return {"unsupported": "dict with keys that are not all strings"}
        return {"dict": [[k, _encode(v, buffers, depth + 1)] for k, v in value.items()]}
    was_tensor = False
    converted = _torch_to_numpy(value)
    if converted is not None:
        value, was_tensor = converted, True
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in _ALLOWED_KINDS:
            return {"unsupported": f"array of dtype {array.dtype}"}
        array = array.copy(order="C")  # ascontiguousarray would turn a 0-d array into 1-d
        buffers.append(({"dtype": array.dtype.str, "shape": list(array.shape)}, array.tobytes()))
        return {"array": len(buffers) - 1, "tensor": was_tensor,
                "scalar": isinstance(value, np.generic)}
    if isinstance(value, int):  # bool and numpy ints were handled above
        return int(value) if abs(int(value)) < 2 ** 63 else {"float": float(value)}
    if isinstance(value, float):
        return _encode(float(value), buffers, depth)
    return {"unsupported": _describe(value)}


def decode(data):
    """Inverse of :func:`encode`; validates everything, trusts nothing."""
    if len(data) < _LENGTH.size:
        raise CodecError("message shorter than its header")
    (header_length,) = _LENGTH.unpack_from(data)
    if header_length > len(data) - _LENGTH.size:
        raise CodecError("header length larger than the message")
    try:
        header = json.loads(data[_LENGTH.size:_LENGTH.size + header_length])
        specs, tree = header["arrays"], header["tree"]
    except (ValueError, KeyError, TypeError, RecursionError) as err:
        raise CodecError(f"header is not valid: {err}") from None
    if not isinstance(specs, list):
        raise CodecError("array table is not a list")
    arrays, offset = [], _LENGTH.size + header_length
    for spec in specs:
        array, offset = _read_array(spec, data, offset)
        arrays.append(array)
    if offset != len(data):
        raise CodecError("trailing bytes after the last array")
    return _decode(tree, arrays, 0)


def _read_array(spec, data, offset):
    try:
        dtype = np.dtype(str(spec["dtype"]))
        shape = tuple(int(n) for n in spec["shape"])
    except (KeyError, TypeError, ValueError) as err:
        raise CodecError(f"bad array description: {err}") from None
    if dtype.kind not in _ALLOWED_KINDS or dtype.hasobject or any(n < 0 for n in shape) or len(shape) > 32:
        raise CodecError(f"forbidden array: dtype {dtype}, shape {shape}")
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if offset + nbytes > len(data):
        raise CodecError("array data is truncated")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape).copy()
    return array, offset + nbytes


def _decode(node, arrays, depth):
    if depth > MAX_DEPTH + 1:
        raise CodecError("structure nested too deeply")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or len(node) == 0:
        raise CodecError(f"unexpected node {type(node).__name__}")
    if "list" in node:
        return [_decode(v, arrays, depth + 1) for v in _as_list(node["list"])]
    if "tuple" in node:
        return tuple(_decode(v, arrays, depth + 1) for v in _as_list(node["tuple"]))
    if "dict" in node:
        result = {}
        for pair in _as_list(node["dict"]):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise CodecError("bad dict entry")
            result[pair[0]] = _decode(pair[1], arrays, depth + 1)
        return result
    if "float" in node:
        if node["float"] in ("nan", "inf", "-inf"):
            return float(node["float"])
        if isinstance(node["float"], (int, float)):
            return float(node["float"])
        raise CodecError("bad float")
    if "array" in node:
        index = node["array"]
        if not isinstance(index, int) or not 0 <= index < len(arrays):
            raise CodecError("bad array reference")
        array = arrays[index]
        if node.get("tensor") is True:
            array = array.view(Tensor)
        if node.get("scalar") is True and array.ndim == 0:
            return array[()]
        return array
    if "unsupported" in node:
        return Unsupported(str(node["unsupported"])[:300])
    raise CodecError("unknown node")


def _as_list(value):
    if not isinstance(value, list):
        raise CodecError("expected a list")
    return value
