"""The data-only codec: round trips, and nothing but data ever comes out of it."""
import math
import pickle

import numpy as np
import pytest

from autograder import codec


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
