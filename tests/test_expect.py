"""autograder/judge/expect.py: returned values are checked against the contract's shapes before
the grader converts or computes anything from them."""
import tracemalloc

import numpy as np
import pytest

from autograder.errors import StudentError, WrongReturn
from autograder.judge.expect import (MAX_MODEL_ELEMENTS, Array, Items, ListOf, Maybe, Name, Number, Record, Sequence,
                                     StateDict, Value, expect, fits, linear_chain_parameters, state_dict_bound)
from autograder.sandbox.codec import Tensor, Unsupported


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
    except StudentError:
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


def test_items_and_numbers():
    params, history = expect(({"W": np.zeros(2)}, [1.0, 2.0]), Items(Record({"W": Array(2)}), Sequence(2)), "train")
    assert set(params) == {"W"} and history == [1.0, 2.0]
    assert "a tuple of 2 values" in refused(({"W": np.zeros(2)},), Items(Record({"W": Array(2)}), Sequence(2)))
    for number in (1, 2.5, np.float32(1.5), np.array(3.0), np.int64(4)):
        assert expect(number, Number(), "n") is number
    for not_a_number in (True, None, "1", [1.0], np.zeros(2), np.bool_(True)):
        refused(not_a_number, Number())
    assert expect("Linear", Name(), "layer") == "Linear"
    refused(3, Name())
    refused("x" * 201, Name())


def test_a_state_dict_is_bounded_by_the_architecture_it_was_built_for():
    """The reference's LogisticRegression passes, with a buffer too; a valid-looking chain
    784 -> 1 -> 60,000 -> 10 (3 MB on the wire, gigabytes in a forward pass) does not."""
    assert linear_chain_parameters([784, 10]) == 7850
    assert state_dict_bound([784, 10]) == 2 * 7850 + 1024
    plain = [["linear.weight", np.zeros((10, 784), np.float32)], ["linear.bias", np.zeros(10, np.float32)]]
    assert expect(plain, StateDict([784, 10]), "state") == plain
    expect(plain + [["mean", np.zeros(784, np.float32)], ["count", np.array(3)]], StateDict([784, 10]), "state")
    chain = [["a.weight", np.zeros((1, 784), np.float32)], ["a.bias", np.zeros(1, np.float32)],
             ["b.weight", np.zeros((60_000, 1), np.float32)], ["b.bias", np.zeros(60_000, np.float32)],
             ["c.weight", np.zeros((10, 60_000), np.float32)], ["c.bias", np.zeros(10, np.float32)]]
    message = refused(chain, StateDict([784, 10]), "LogisticRegression(784, 10) trained by train_torch['state']")
    assert message.startswith("LogisticRegression(784, 10) trained by train_torch['state'] holds 720,795 numbers "
                              "(a.weight (1, 784), a.bias (1,), b.weight (60000, 1), ")
    assert "linear layers 784 -> 10, has 7,850 parameters, and the grader reads at most 16,724 numbers" in message
    hidden = [["w1", np.zeros((256, 784))], ["b1", np.zeros(256)], ["w2", np.zeros((10, 256))], ["b2", np.zeros(10)]]
    expect(hidden, StateDict([784, 256, 10]), "state")
    assert state_dict_bound([784, 4096, 4096, 10]) == MAX_MODEL_ELEMENTS
    for broken in (None, {"w": np.zeros(3)}, [["w"]], [[1, np.zeros(3)]], [["w", np.zeros(1)]] * 10_001):
        refused(broken, StateDict([784, 10]))
    odd_buffer = plain + [["phase", Unsupported("array of dtype complex64")]]   # left out by the reader
    assert expect(odd_buffer, StateDict([784, 10]), "state") == odd_buffer


def test_lists_of_values_and_names():
    shapes = ListOf(Items(Name(), ListOf(Number(kinds="iu"), 32)), 100)
    assert expect([["fc.weight", [10, 784]], ("fc.bias", (10,))], shapes, "shapes") == [
        ["fc.weight", [10, 784]], ["fc.bias", [10]]]
    assert "shapes[1][1][0] should be a number" in refused([["a", [1]], ["b", [2.5]]], shapes, "shapes")
    refused([["a", [1]]] * 101, shapes)
    refused("not a list", shapes)
    assert expect(object, Value(), "anything") is object
    assert fits([1.0, 2.0], Sequence(2)) and not fits([1.0], Sequence(2)) and not fits(None, Sequence(2))


def test_the_answers_of_training_on_fashion_mnist_are_bounded_by_what_was_asked():
    """judge/answers.py: train_torch's losses at most one per batch, none at all allowed (only recorded);
    a state_dict within the architecture of the hidden sizes asked for; ConvNetDropout's 10,000 classes."""
    from autograder.judge import answers
    config = {"epochs": 2, "lr": 0.1, "batch_size": 64, "hidden": [128], "dropout": 0.2}
    mlp = [["0.weight", np.zeros((128, 784), np.float32)], ["0.bias", np.zeros(128, np.float32)],
           ["3.weight", np.zeros((10, 128), np.float32)], ["3.bias", np.zeros(10, np.float32)]]
    spec = answers.trained_torch_model("mlp", config, batches_per_epoch=313)

    def trained(parameters, losses, cpu_seconds=1.0, initial=mlp):
        return {"parameters": parameters, "initial_parameters": initial, "buffers": [], "losses": losses,
                "cpu_seconds": cpu_seconds, "probe_outputs": np.zeros((answers.PROBE_ROWS, 10), np.float32)}
    for losses in (None, [2.3, 1.1], np.zeros(626, np.float32)):
        assert expect(trained(mlp, losses, 1.5), spec, "MLP")["losses"] is losses
    assert "47,185,920 entries" in refused(trained(mlp, np.zeros(47_185_920, bool)), spec, "MLP")
    wide = [["0.weight", np.zeros((4096, 784), np.float32)], ["0.bias", np.zeros(4096, np.float32)]]
    assert "holds 3,215,360 numbers" in refused(trained(wide, None), spec, "MLP")
    assert "holds 3,215,360 numbers" in refused(trained(mlp, None, initial=wide), spec, "MLP")
    convnet = answers.trained_torch_model("convnet", {"epochs": 1, "batch_size": 100}, 200)
    assert expect({"predictions": np.zeros(10_000, np.int64), "losses": [1.0], "cpu_seconds": 2.0}, convnet, "c")
    assert "holds float32" in refused({"predictions": np.zeros(10_000, np.float32), "losses": None,
                                       "cpu_seconds": 2.0}, convnet, "c")


def test_a_sequence_compared_without_a_length_is_bounded_before_it_becomes_floats():
    """compare.assert_sequence (costs of train_softmax_regression, linear_regression_gd) refuses a
    47-million-entry bool array before copying it to float64; the callers then check the length."""
    from autograder.errors import CheckFailed
    from autograder.judge.compare import assert_sequence
    costs = np.zeros(47_185_920, dtype=bool)
    with pytest.raises(CheckFailed, match="per-step values, but has 47,185,920 entries"):
        assert_sequence(costs, "costs")
    assert allocated_while(lambda: assert_sequence(costs, "costs")) < 1 << 20
    assert assert_sequence([1, 2, 3], "costs").dtype == np.float64


def test_a_failed_check_keeps_its_message_but_not_the_value_it_refused():
    """A failure kept for later (marks.lazy remembers it, score_cases collects it) holds no frame, so
    not the student's answer it refused: two million losses are freed once refused, the message stays."""
    import gc
    import weakref

    from autograder.errors import CheckFailed
    from autograder.judge.compare import score_cases
    from autograder.results.marks import lazy
    answers = []

    def train():
        answer = {"losses": np.zeros(2_000_000)}   # a local of every frame the refusal passes through
        answers.append(weakref.ref(answer["losses"]))
        return expect(answer, Record({"losses": Sequence(max_length=10)}), "train_torch")

    trained = lazy(train)
    scores = []
    with pytest.raises(CheckFailed) as caught:
        score_cases([("losses", lambda: trained()["losses"]), ("again", lambda: trained())], 1, scores.append)
    gc.collect()
    assert scores == [0] and len(answers) == 1, "lazy calls the student's code once"
    assert answers[0]() is None, "the refused answer is still alive after the check failed"
    assert str(caught.value).count("2,000,000 entries") == 2, str(caught.value)
    assert all(cause.__traceback__ is None for cause in caught.value.causes)


def test_every_kind_of_student_error_can_be_kept_and_extended():
    """detached() and extended() keep the type, message and attributes of every StudentError kind,
    those built with keyword-only arguments too (MissingName's part: copy.copy failed on it, and a
    notebook cell with a syntax error made the grader fail in the tests of what the cell defined)."""
    import autograder.errors as errors

    def kinds(cls):
        return [cls] + [k for sub in cls.__subclasses__() for k in kinds(sub)]
    found = [k for k in kinds(errors.StudentError) if k.__module__ == errors.__name__]
    assert errors.MissingName in found and errors.OutOfMemory in found
    for kind in found:
        try:
            raise (kind("calculus.py does not define sigmoid.", part="calculus") if kind is errors.MissingName
                   else kind("calculus.py does not define sigmoid."))
        except errors.StudentError as raised:
            error = raised
        error.causes = [errors.CheckFailed("inner")]
        kept, longer = error.detached(), error.extended("More.")
        assert type(kept) is kind and type(longer) is kind
        assert str(kept) == "calculus.py does not define sigmoid." and kept.__traceback__ is None
        assert str(longer) == "calculus.py does not define sigmoid.\nMore." and str(error).endswith("sigmoid.")
        assert [str(c) for c in kept.causes] == ["inner"] and vars(kept).keys() == vars(error).keys()
        if kind is errors.MissingName:
            assert kept.part == longer.part == "calculus"
