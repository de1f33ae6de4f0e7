"""The data-only codec: round trips, and nothing but data ever comes out of it."""
import json
import math
import pickle

import numpy as np
import pytest

from autograder.sandbox import codec


def roundtrip(value):
    return codec.decode(codec.encode(value))


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2 ** 62, 1.5, -0.0, "text", "", [], (), {},
    [1, 2.5, "a", None], (1, (2, (3,))), {"a": [1, {"b": (2.0, None)}]},
])
def test_plain_values_round_trip(value):
    assert roundtrip(value) == value
    assert type(roundtrip(value)) is type(value)


def test_special_floats_round_trip():
    nan, inf, minus_inf = roundtrip([math.nan, math.inf, -math.inf])
    assert math.isnan(nan) and inf == math.inf and minus_inf == -math.inf


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 2, 3, 4)])
def test_arrays_round_trip_with_dtype_and_shape(dtype, shape):
    array = (np.arange(int(np.prod(shape))) % 5).astype(dtype).reshape(shape)
    back = roundtrip(array)
    assert isinstance(back, np.ndarray) and back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)


def test_non_contiguous_and_numpy_scalars():
    array = np.arange(12.0).reshape(3, 4).T
    assert np.array_equal(roundtrip(array), array)
    scalar = roundtrip(np.float64(2.5))
    assert scalar == 2.5 and isinstance(scalar, np.floating)


def test_unsupported_values_become_markers_that_name_their_type():
    back = roundtrip({"f": len, "o": object(), "c": np.array([1j]), "objs": np.array([None], dtype=object)})
    assert all(isinstance(v, codec.Unsupported) for v in back.values())
    assert "builtin_function_or_method" in back["f"].description
    assert "complex" in back["c"].description


def test_dict_with_non_string_keys_is_unsupported():
    assert isinstance(roundtrip({1: 2}), codec.Unsupported)


def test_deep_nesting_is_cut_off_not_a_recursion_error():
    value = []
    for _ in range(200):
        value = [value]
    back = roundtrip(value)
    depth = 0
    while isinstance(back, list):
        back, depth = back[0], depth + 1
    assert isinstance(back, codec.Unsupported) and depth <= codec.MAX_DEPTH + 1


def test_torch_tensor_arrives_as_a_tensor_marked_array():
    torch = pytest.importorskip("torch")
    back = roundtrip({"w": torch.ones(3, dtype=torch.float64, requires_grad=True) * 2})
    assert isinstance(back["w"], codec.Tensor) and np.array_equal(back["w"], [2.0, 2.0, 2.0])


@pytest.mark.parametrize("data", [
    b"", b"\x00" * 7, b"\x00\x00\x00\x00\x00\x00\x01\x00{}",
    pickle.dumps({"a": 1}),
])
def test_garbage_is_rejected(data):
    with pytest.raises(codec.CodecError):
        codec.decode(data)


def forge(header, payload=b""):
    import json
    body = json.dumps(header).encode()
    return len(body).to_bytes(8, "big") + body + payload


@pytest.mark.parametrize("header, payload", [
    ({"tree": {"array": 0}, "arrays": [{"dtype": "|O", "shape": [1]}]}, b"\x00" * 8),
    ({"tree": {"array": 0}, "arrays": [{"dtype": "<f8", "shape": [4]}]}, b"\x00" * 8),
    ({"tree": {"array": 5}, "arrays": []}, b""),
    ({"tree": {"array": 0}, "arrays": [{"dtype": "<f8", "shape": [-1]}]}, b""),
    ({"tree": {"pickle": "x"}, "arrays": []}, b""),
    ({"tree": {"array": 0}, "arrays": [{"dtype": "<f8", "shape": [1]}]}, b"\x00" * 9),
])
def test_forged_messages_are_rejected(header, payload):
    with pytest.raises(codec.CodecError):
        codec.decode(forge(header, payload))


def test_long_lists_are_refused_when_encoding_not_sent():
    with pytest.raises(codec.CodecError, match="items"):
        codec.encode([0.5] * (codec.MAX_NODES + 1))


def test_a_header_over_its_cap_is_refused_before_parsing():
    depth = codec.MAX_HEADER_BYTES
    with pytest.raises(codec.CodecError, match="header length"):
        codec.decode(forge({"tree": [], "pad": "x" * depth}))


def test_node_count_is_bounded_when_decoding():
    with pytest.raises(codec.CodecError, match="values"):
        codec.decode(forge({"tree": {"list": [0] * (codec.MAX_NODES + 1)}, "arrays": []}))


def _frame_through_pipe(frame):
    import os
    import threading
    read_fd, write_fd = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write_fd, frame), os.close(write_fd)), daemon=True)
    writer.start()
    try:
        reader = codec.FrameReader(read_fd)
        while True:
            message = reader.step()
            if message is not None:
                return codec.decode(message)
    finally:
        os.close(read_fd)


def test_an_announced_frame_too_large_is_refused_before_allocating():
    announced = (64 << 20).to_bytes(8, "big") + (60 << 20).to_bytes(8, "big") + b"[[[["
    with pytest.raises(codec.CodecError, match="MB"):
        _frame_through_pipe(announced)


def test_a_frame_s_dominant_array_is_a_view_and_the_small_ones_copies():
    """The one array that fills most of a frame is a view into it (no second copy of a large answer);
    a small array is copied, so keeping it (a probe's outputs) does not keep the whole frame alive."""
    import os
    read_fd, write_fd = os.pipe()
    import threading
    value = {"a": np.arange(200_000.0), "b": np.arange(7, dtype=np.int32)}
    threading.Thread(target=lambda: (codec.write_frame(write_fd, value), os.close(write_fd)), daemon=True).start()
    back = codec.read_frame(read_fd)
    os.close(read_fd)
    assert np.array_equal(back["a"], value["a"]) and np.array_equal(back["b"], value["b"])
    assert back["a"].base is not None and back["a"].flags.aligned   # a view, aligned for its dtype
    assert back["b"].base is None, "a small array is a view that keeps the whole frame alive"


@pytest.mark.parametrize("shape, refused", [([0, 1000, 10], False), ([0, 10 ** 12], True),
                                            ([0, 2 ** 62, 2 ** 62], True), ([7, 0, 8_000_000], True)])
def test_an_empty_dimension_does_not_let_the_others_be_huge(shape, refused):
    """An array with a dimension of 0 has no bytes, whatever its other dimensions: those count too
    (a (0, 10**12) array is not one the grader can loop over, and 2**62 x 2**62 broke numpy)."""
    body = json.dumps({"tree": {"array": 0}, "arrays": [{"dtype": "<f4", "shape": shape}]}).encode()
    message = len(body).to_bytes(8, "big") + body
    message += bytes(-len(message) % codec.ALIGNMENT)
    if refused:
        with pytest.raises(codec.CodecError, match="counting empty dimensions as 1"):
            codec.decode(message)
    else:
        assert codec.decode(message).shape == tuple(shape)
