"""autograder/judge/expect.py: returned values are checked against the contract's shapes before
the grader converts or computes anything from them."""
import tracemalloc

import numpy as np
import pytest

from autograder.errors import StudentError, WrongReturn
from autograder.judge.expect import (Array, Items, Maybe, Names, Number, Record, Sequence, StateDict, expect,
                                     linear_chain_parameters, state_dict_bound, MAX_MODEL_ELEMENTS)
from autograder.sandbox.codec import Tensor


def refused(value, spec, what="f(x)"):
    with pytest.raises(WrongReturn) as caught:
        expect(value, spec, what)
    assert isinstance(caught.value, StudentError)
    return str(caught.value)


def allocated_while(function):
    """Peak bytes NumPy and Python allocate while ``function`` runs."""
    tracemalloc.start()
    try:
        function()
    except WrongReturn:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_a_47_million_entry_bool_losses_array_is_refused_before_any_conversion():
    losses = np.zeros(47_185_920, dtype=bool)
    message = refused(losses, Sequence(8), "train_torch(...): the losses")
    assert "8" in message and "47,185,920 entries" in message
    assert allocated_while(lambda: expect(losses, Sequence(8), "losses")) < 1 << 20
    assert allocated_while(lambda: expect(losses, Sequence(max_length=2504), "losses")) < 1 << 20


def test_sequences_of_the_contract_pass_unchanged_and_others_say_what_was_expected():
    for value in ([0.5, 0.25, 0.125], (1, 2, 3), np.arange(3.0), np.float32([1, 2, 3]).view(Tensor),
                  [np.float64(1.0), np.array(2.0), 3]):
        assert expect(value, Sequence(3), "losses") is value
    assert "a list or 1-D array of 3 numbers, but is list of length 4 (4 entries)" in refused([1.0] * 4, Sequence(3))
    assert "(not all of its entries" in refused([1.0, True, 2.0], Sequence(3))
    assert "(not all of its entries" in refused([1.0, [2.0], 2.0], Sequence(3))
    assert "array of shape (3, 1)" in refused(np.zeros((3, 1)), Sequence(3))
    assert "holds bool" not in refused(np.zeros(3, dtype=bool), Sequence(3))   # refused all the same
    assert "None" in refused(None, Sequence(3))
    assert expect([1.0] * 5, Sequence(max_length=5), "curve") == [1.0] * 5
    refused([1.0] * 6, Sequence(max_length=5))


def test_arrays_are_checked_for_dimensions_elements_and_dtype():
    weight = np.zeros((10, 784), dtype=np.float32)
    assert expect(weight, Array(10, 784), "W") is weight
    assert "It looks transposed" in refused(weight.T, Array(10, 784))
    assert "returned shape (10,); expected (10, 784)" in refused(np.zeros(10), Array(10, 784))
    assert "holds bool" in refused(np.zeros((10, 784), dtype=bool), Array(10, 784))
    assert "holds <U1" in refused(["a", "b"], Array(2))
    assert "ragged" in refused([[1.0], [1.0, 2.0]], Array(2, None))
    assert expect([[1, 2], [3, 4]], Array(2, 2), "W").tolist() == [[1, 2], [3, 4]]
    predictions = np.arange(10_000) % 10
    assert expect(predictions, Array(10_000, kinds="iu"), "predictions") is predictions
    assert "holds float64" in refused(predictions.astype(float), Array(10_000, kinds="iu"))


def test_an_empty_dimension_does_not_make_a_huge_shape_small():
    """A (0, 10**9) array has no bytes; its other dimension still counts."""
    hollow = np.zeros((0, 10 ** 9), dtype=np.float32)
    assert "1,000,000,000 entries" in refused(hollow, Array(None, None))
    assert "not all of its entries" in refused([hollow], Sequence(max_length=3))
    assert "returned shape (0, 784)" in refused(np.zeros((0, 784)), Array(10, 784))


def test_lists_of_arrays_are_counted_before_they_become_one_array():
    parts = [np.zeros(8_000_000, dtype=bool)] * 6
    message = refused(parts, Array(None, None, max_elements=1_000_000))
    assert "48,000,000 entries" in message
    assert allocated_while(lambda: expect(parts, Array(None, None, max_elements=1_000_000), "x")) < 1 << 20


def test_records_keep_only_the_checked_keys_and_name_the_key_that_is_wrong():
    spec = Record({"weight": Array(3, 4), "bias": Array(3), "cpu_seconds": Maybe(Number())}, optional=("cpu_seconds",))
    value = {"weight": np.zeros((3, 4)), "bias": np.zeros(3), "extra": np.zeros(10 ** 6)}
    checked = expect(value, spec, "probe")
    assert set(checked) == {"weight", "bias"}
    assert "no 'bias'" in refused({"weight": np.zeros((3, 4))}, spec, "probe")
    assert "probe['bias'] returned shape (4,); expected (3,)" in refused(
        {"weight": np.zeros((3, 4)), "bias": np.zeros(4)}, spec, "probe")
    assert "probe['cpu_seconds'] should be a number, but is list" in refused(
        {"weight": np.zeros((3, 4)), "bias": np.zeros(3), "cpu_seconds": [1.0]}, spec, "probe")
    assert "should be a dict" in refused([1, 2], spec)


def test_items_numbers_and_names():
    params, history = expect(({"W": np.zeros(2)}, [1.0, 2.0]), Items(Record({"W": Array(2)}), Sequence(2)), "train")
    assert set(params) == {"W"} and history == [1.0, 2.0]
    assert "a tuple of 2 values" in refused(({"W": np.zeros(2)},), Items(Record({"W": Array(2)}), Sequence(2)))
    for number in (1, 2.5, np.float32(1.5), np.array(3.0), np.int64(4)):
        assert expect(number, Number(), "n") is number
    for not_a_number in (True, None, "1", [1.0], np.zeros(2), np.bool_(True)):
        refused(not_a_number, Number())
    assert expect(["Linear", "ReLU"], Names(), "layers") == ["Linear", "ReLU"]
    refused(["Linear", 3], Names())
    refused(["x" * 201], Names())
    refused(["x"] * 10_001, Names())


def test_a_state_dict_is_bounded_by_the_architecture_it_was_built_for():
    """The reference's LogisticRegression passes; a valid-looking chain 784 -> 1 -> 60,000 -> 10
    (3 MB on the wire, gigabytes in a forward pass) does not."""
    logreg = state_dict_bound([784, 10])
    assert linear_chain_parameters([784, 10]) == 7850
    plain = [["linear.weight", np.zeros((10, 784), np.float32)], ["linear.bias", np.zeros(10, np.float32)]]
    assert expect(plain, StateDict(logreg), "state") == plain
    with_buffer = plain + [["mean", np.zeros(784, np.float32)], ["count", np.array(3)]]
    expect(with_buffer, StateDict(logreg), "state")
    chain = [["a.weight", np.zeros((1, 784), np.float32)], ["a.bias", np.zeros(1, np.float32)],
             ["b.weight", np.zeros((60_000, 1), np.float32)], ["b.bias", np.zeros(60_000, np.float32)],
             ["c.weight", np.zeros((10, 60_000), np.float32)], ["c.bias", np.zeros(10, np.float32)]]
    message = refused(chain, StateDict(logreg), "LogisticRegression(784, 10) after training: its state_dict")
    assert "720,795 numbers" in message and "b.weight (60000, 1)" in message and f"{logreg:,}" in message
    mlp = state_dict_bound([784, 256, 10])
    expect([["w1", np.zeros((256, 784))], ["b1", np.zeros(256)], ["w2", np.zeros((10, 256))], ["b2", np.zeros(10)]],
           StateDict(mlp), "state")
    assert state_dict_bound([784, 4096, 4096, 10]) == MAX_MODEL_ELEMENTS
    for broken in (None, {"w": np.zeros(3)}, [["w"]], [[1, np.zeros(3)]], [["w", [1.0, 2.0]]],
                   [["w", np.array(["a"])]]):
        refused(broken, StateDict(logreg))
