"""Data-only messages and their framing, for both sides of the sandbox's pipes.

The grader imports this file and a copy runs inside the sandbox. A message is
JSON that describes the structure, followed by the raw bytes of every NumPy
array in it. Nothing is ever unpickled, so a message from the student's side
can only ever be data, and every size is bounded before memory is spent on it.

Supported values: None, bool, int, float (nan and inf included), str, list,
tuple, dict with str keys, NumPy arrays and scalars of bool/int/uint/float
dtypes. Anything else is sent as an ``Unsupported`` marker that names its type,
so the grader can say what the student's function returned instead.

Wire format of one frame::

    8 bytes   big-endian length of the message that follows (at most MAX_MESSAGE_BYTES)
    message:  8 bytes big-endian header length (at most MAX_HEADER_BYTES),
              the JSON header ({"tree": ..., "arrays": [{"dtype", "shape"}, ...]},
              at most MAX_NODES nodes), then each array's bytes, each starting at
              an offset of the message that is a multiple of ALIGNMENT.

The reader allocates one buffer of the announced size (after checking it) and
decodes arrays as views into it: an answer is held in memory once.
"""
import json
import math
import os
import struct

import numpy as np

MAX_MESSAGE_BYTES = 48 << 20   # one answer; the grader holds it once, within its 200 MB
MAX_HEADER_BYTES = 1 << 20     # the JSON structure; parsing it costs ~20x its size at worst
MAX_NODES = 100_000            # values in one message (a list of a million floats is not data we use)
MAX_DEPTH = 32
ALIGNMENT = 16
_ALLOWED_KINDS = "biuf"
_LENGTH = struct.Struct(">Q")
PREFIX_BYTES = 2 * _LENGTH.size   # frame length + header length: all a reader needs to judge the size
_READ_CHUNK = 1 << 20


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
            return np.asarray(value.detach().cpu().numpy())
        except Exception:  # e.g. a tensor that needs grad on an odd device
            return None
    return None


def _aligned(offset):
    return -(-offset // ALIGNMENT) * ALIGNMENT


# ----------------------------------------------------------------------------- encoding

def encode_chunks(value):
    """The message for ``value`` as a list of byte chunks (array data is not copied).

    Raises CodecError when the message would break a limit.
    """
    buffers, budget = [], [MAX_NODES]
    tree = _encode(value, buffers, 0, budget)
    header = json.dumps({"tree": tree, "arrays": [b[0] for b in buffers]},
                        allow_nan=False, separators=(",", ":")).encode()
    if len(header) > MAX_HEADER_BYTES:
        raise CodecError(f"the structure takes {len(header)} bytes, more than {MAX_HEADER_BYTES}")
    chunks, size = [_LENGTH.pack(len(header)), header], _LENGTH.size + len(header)
    for _spec, data in buffers:
        padding = _aligned(size) - size
        if padding:
            chunks.append(bytes(padding))
        chunks.append(data)
        size += padding + data.nbytes
        if size > MAX_MESSAGE_BYTES:
            raise CodecError(f"the message is larger than {MAX_MESSAGE_BYTES >> 20} MB")
    return chunks


def encode(value):
    """Return ``bytes`` for ``value`` (one copy; framing uses :func:`encode_chunks`)."""
    return b"".join(encode_chunks(value))


def _count(budget, items=1):
    budget[0] -= items
    if budget[0] < 0:
        raise CodecError(f"the value holds more than {MAX_NODES} items (send arrays, not long lists)")


def _encode(value, buffers, depth, budget):
    _count(budget)
    if depth > MAX_DEPTH:
        return {"unsupported": "structure nested more than %d levels" % MAX_DEPTH}
    if value is None or isinstance(value, (bool, str)):
        if isinstance(value, str) and len(value) > MAX_HEADER_BYTES:
            raise CodecError(f"a string of {len(value)} characters is too long")
        return value
    if type(value) is int:
        return value if abs(value) < 2 ** 63 else {"float": float(value)}
    if type(value) is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, (list, tuple)):
        key = "list" if isinstance(value, list) else "tuple"
        _count(budget, len(value))  # fails before a long list is walked
        budget[0] += len(value)
        return {key: [_encode(v, buffers, depth + 1, budget) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return {"unsupported": "dict with keys that are not all strings"}
        _count(budget, len(value))
        budget[0] += len(value)
        return {"dict": [[k, _encode(v, buffers, depth + 1, budget)] for k, v in value.items()]}
    was_tensor = False
    converted = _torch_to_numpy(value)
    if converted is not None:
        value, was_tensor = converted, True
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in _ALLOWED_KINDS:
            return {"unsupported": f"array of dtype {array.dtype}"}
        if array.nbytes > MAX_MESSAGE_BYTES:
            raise CodecError(f"an array of {array.nbytes >> 20} MB is larger than {MAX_MESSAGE_BYTES >> 20} MB")
        if not array.flags.c_contiguous:
            array = array.copy(order="C")  # ascontiguousarray would turn a 0-d array into 1-d
        data = memoryview(array.reshape(-1)).cast("B") if array.size else memoryview(b"")
        buffers.append(({"dtype": array.dtype.str, "shape": list(array.shape)}, data))
        return {"array": len(buffers) - 1, "tensor": was_tensor,
                "scalar": isinstance(value, np.generic)}
    if isinstance(value, int):  # bool and numpy ints were handled above
        return int(value) if abs(int(value)) < 2 ** 63 else {"float": float(value)}
    if isinstance(value, float):
        return _encode(float(value), buffers, depth, [1])
    return {"unsupported": _describe(value)}


# ----------------------------------------------------------------------------- decoding

def decode(data):
    """Inverse of :func:`encode`; validates everything, trusts nothing.

    Arrays are copies, except the one array that fills most of a writable ``data`` (a
    bytearray), which is a view into it: a small array kept for later (a probe's outputs) must
    not keep alive the whole message it came in.
    """
    view = memoryview(data)
    if len(view) < _LENGTH.size:
        raise CodecError("message shorter than its header")
    if len(view) > MAX_MESSAGE_BYTES:
        raise CodecError(f"message larger than {MAX_MESSAGE_BYTES >> 20} MB")
    (header_length,) = _LENGTH.unpack_from(view)
    if header_length > min(MAX_HEADER_BYTES, len(view) - _LENGTH.size):
        raise CodecError("header length larger than allowed or than the message")
    try:
        header = json.loads(bytes(view[_LENGTH.size:_LENGTH.size + header_length]))
        specs, tree = header["arrays"], header["tree"]
    except (ValueError, KeyError, TypeError, RecursionError) as err:
        raise CodecError(f"header is not valid: {str(err)[:200]}") from None
    if not isinstance(specs, list) or len(specs) > MAX_NODES:
        raise CodecError("array table is not a list of allowed length")
    arrays, offset = [], _LENGTH.size + header_length
    for spec in specs:
        array, offset = _read_array(spec, view, _aligned(offset))
        if view.readonly or array.nbytes * 2 <= len(view):
            array = array.copy()
        arrays.append(array)
    if offset != len(view):
        raise CodecError("trailing bytes after the last array")
    return _decode(tree, arrays, 0, [MAX_NODES])


def _read_array(spec, view, offset):
    try:
        dtype = np.dtype(str(spec["dtype"]))
        shape = tuple(int(n) for n in spec["shape"])
    except (KeyError, TypeError, ValueError) as err:
        raise CodecError(f"bad array description: {str(err)[:200]}") from None
    if dtype.kind not in _ALLOWED_KINDS or dtype.hasobject or len(shape) > 32 or any(n < 0 for n in shape):
        raise CodecError(f"forbidden array: dtype {dtype}, shape {shape}")
    # An empty dimension makes an array of no bytes whatever its other dimensions; bounding
    # them too keeps every shape the grader sees one it can loop over or build beside.
    if math.prod(max(n, 1) for n in shape) > MAX_MESSAGE_BYTES:
        raise CodecError(f"an array of shape {shape[:4]}{'...' if len(shape) > 4 else ''}: more than "
                         f"{MAX_MESSAGE_BYTES:,} entries, counting empty dimensions as 1")
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if offset + nbytes > len(view):
        raise CodecError("array data is truncated")
    return np.frombuffer(view, dtype=dtype, count=count, offset=offset).reshape(shape), offset + nbytes


def _decode(node, arrays, depth, budget):
    budget[0] -= 1
    if budget[0] < 0:
        raise CodecError(f"more than {MAX_NODES} values")
    if depth > MAX_DEPTH + 1:
        raise CodecError("structure nested too deeply")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or len(node) == 0:
        raise CodecError(f"unexpected node {type(node).__name__}")
    if "list" in node:
        return [_decode(v, arrays, depth + 1, budget) for v in _as_list(node["list"])]
    if "tuple" in node:
        return tuple(_decode(v, arrays, depth + 1, budget) for v in _as_list(node["tuple"]))
    if "dict" in node:
        result = {}
        for pair in _as_list(node["dict"]):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise CodecError("bad dict entry")
            result[pair[0]] = _decode(pair[1], arrays, depth + 1, budget)
        return result
    if "float" in node:
        if node["float"] in ("nan", "inf", "-inf"):
            return float(node["float"])
        if isinstance(node["float"], (int, float)) and not isinstance(node["float"], bool):
            return float(node["float"])
        raise CodecError("bad float")
    if "array" in node:
        index = node["array"]
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(arrays):
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


# ----------------------------------------------------------------------------- framing

def write_frame(fd, value):
    """Encode ``value`` and write it to ``fd`` as one frame (blocking)."""
    chunks = encode_chunks(value)
    size = sum(len(c) for c in chunks)
    for chunk in [_LENGTH.pack(size)] + chunks:
        view = memoryview(chunk).cast("B")
        while view:
            view = view[os.write(fd, view):]


class FrameReader:
    """Reads one frame from ``fd`` in steps, checking sizes before allocating.

    ``step()`` reads what is available (the fd may be non-blocking or polled)
    and returns the message buffer once complete, None while more is needed,
    and raises EOFError at end of file and CodecError for a frame too large.
    """

    def __init__(self, fd):
        self.fd = fd
        self.prefix = bytearray()
        self.buffer = None   # the message, allocated once its size is known
        self.filled = 0

    def step(self):
        if self.buffer is None:
            chunk = os.read(self.fd, PREFIX_BYTES - len(self.prefix))
            if not chunk:
                raise EOFError
            self.prefix += chunk
            if len(self.prefix) < PREFIX_BYTES:
                return None
            (length,) = _LENGTH.unpack_from(self.prefix)
            (header_length,) = _LENGTH.unpack_from(self.prefix, _LENGTH.size)
            if length > MAX_MESSAGE_BYTES or length < _LENGTH.size:
                raise CodecError(f"a message of {length} bytes (at most {MAX_MESSAGE_BYTES >> 20} MB)")
            if header_length > MAX_HEADER_BYTES or header_length > length - _LENGTH.size:
                raise CodecError(f"a message structure of {header_length} bytes "
                                 f"(at most {MAX_HEADER_BYTES >> 20} MB)")
            self.buffer = bytearray(length)
            self.buffer[:_LENGTH.size] = self.prefix[_LENGTH.size:]
            self.filled = _LENGTH.size
        if self.filled < len(self.buffer):
            view = memoryview(self.buffer)[self.filled:self.filled + _READ_CHUNK * 8]
            count = os.readv(self.fd, [view])
            view.release()
            if count == 0:
                raise EOFError
            self.filled += count
        return self.buffer if self.filled == len(self.buffer) else None


def read_frame(fd):
    """Block until one frame has been read from ``fd``; its decoded value, or None at end of file."""
    reader = FrameReader(fd)
    try:
        while True:
            message = reader.step()
            if message is not None:
                return decode(message)
    except EOFError:
        return None
