"""What each grader task and contract function may answer, in the contract's shapes.

Written with the specs of ``judge/expect.py`` and checked where the answer is received,
before the grader computes anything from it (see that module). Sizes come from what the
grader asked: ``train_mlp``'s params have the shapes of the ``d``, ``dh`` and ``m`` it was
given, ``losses`` one entry per epoch, a model's state_dict no more numbers than the
architecture the contract fixes for the ``hidden`` sizes asked for.
"""
from autograder.judge.expect import (FLOAT, INTEGER, Array, AtMost, Items, ListOf, Maybe, Name, Number, Record,
                                     Sequence, StateDict, Value)

TEST_IMAGES = 10_000
MAX_DIMENSIONS = 32
MAX_PARAMETERS = 10_000   # entries of a model's named_parameters()


# ----------------------------------------------------------------------------- envelopes of the tasks

def returning_inputs(args=0, kwargs=()):
    """``calls.call_returning_inputs`` (and its rng variant): the value, and the arguments as the call
    left them."""
    return Record({"value": Value(), "args_after": Items(*[Value()] * args),
                   "kwargs_after": Record({name: Value() for name in kwargs})})


CALLED_TWICE = Record({"first": Value(), "second": Value(), "again": Value()})
WARNINGS = ListOf(Name(20_000), 5)   # calls.call_recording_warnings: the warnings' messages


# ----------------------------------------------------------------------------- mlp.py

def mlp_params(d, dh, m):
    """``params`` of one hidden layer: ``W1`` (dh, d), ``b1`` (dh,), ``W2`` (m, dh), ``b2`` (m,)."""
    return Record({"W1": Array(dh, d), "b1": Array(dh), "W2": Array(m, dh), "b2": Array(m)})


# ``calls.train_numpy_mlp`` on Fashion-MNIST: params (checked by judge.mlp.get_params against the dh
# asked for), the history (only recorded: curves of one entry per epoch), the CPU time.
TRAINED_NUMPY_MLP = Record({"params": Value(), "history": Value(), "cpu_seconds": Number()})
# ``calls.finite_difference_probe``: the gradient dict and params as left (judged by the test), how
# many times f was called.
FINITE_DIFFERENCE = Record({"gradient": Value(), "params_after": Value(), "calls": Number(INTEGER)})


# ----------------------------------------------------------------------------- torch_models.py

def linear_parameters(m, d):
    """An ``nn.Linear(d, m)``'s named parameters."""
    return Record({"weight": Array(m, d, kinds=FLOAT), "bias": Array(m, kinds=FLOAT)})


MAX_RECORDED_STEPS = 100_000   # the modes of a probe's training steps (a few dozen steps; the test checks each)


def torch_probe(kind, n, d, m):
    """``calls.train_torch_probe`` on ``n`` examples of ``d`` features, ``m`` classes: the grader's
    model (``nn.Linear(d, m)``, or for "dropout_mlp" Linear(d, 16), ReLU, Dropout, Linear(16, m))
    before and after training, its initial logits, the losses and the mode of each training step
    (for the dropout model), which the test judges
    (``assert_sequence`` checks their length before converting them)."""
    if kind == "linear":
        parameters = linear_parameters(m, d)
    else:
        parameters = Record({"0.weight": Array(16, d, kinds=FLOAT), "0.bias": Array(16, kinds=FLOAT),
                             "3.weight": Array(m, 16, kinds=FLOAT), "3.bias": Array(m, kinds=FLOAT)})
    return Record({"initial": parameters, "initial_logits": Array(n, m, kinds=FLOAT),
                   "losses": AtMost(MAX_RECORDED_STEPS),
                   "final": parameters, "train_modes": ListOf(Value(), MAX_RECORDED_STEPS)}, optional=("train_modes",))


def model_sizes(kind, config):
    """The linear layers the contract fixes for ``kind`` built with ``config``: 784 -> 10 for
    LogisticRegression, 784 -> hidden... -> 10 for MLP (None for ConvNetDropout, the student's own)."""
    if kind == "logreg":
        return (784, 10)
    if kind == "mlp":
        return (784, *[int(size) for size in config.get("hidden", [100])], 10)
    return None


PROBE_ROWS = 8   # rows on which a trained model's own outputs come back (judge/torch_training.py)


def _parameters(sizes):
    """``tasks.parameters_by_shape``: ``[name, array or shape]`` pairs within the architecture's
    bound, and the buffers' ``[name, shape]``; nothing for ConvNetDropout (its own architecture)."""
    if not sizes:
        return {}
    return {"parameters": StateDict(sizes), "buffers": PARAMETER_SHAPES}


def model_outputs(kind, config, n):
    """``calls.model_forward``: two passes in train() and two in eval() mode of ``n`` rows (logits,
    checked by the test), the modules' names, and the parameters of LogisticRegression and MLP."""
    sizes = model_sizes(kind, config)
    return Record({"train": Items(Value(), Value()), "eval": Items(Value(), Value()),
                   "layers": ListOf(Name(), 10_000), "torch_layers": ListOf(Name(), 10_000),
                   "n_parameters": Number(INTEGER), **_parameters(sizes)},
                  labels={"parameters": "its parameters"})


PARAMETER_SHAPES = ListOf(Items(Name(10_000), ListOf(Number(INTEGER), MAX_DIMENSIONS)), MAX_PARAMETERS)


def trained_torch_model(kind, config, batches_per_epoch):
    """``calls.train_torch_model`` on Fashion-MNIST: the parameters of LogisticRegression and MLP as
    built and as trained (read by shape; the grader predicts from them) and the trained model's outputs
    on the grader's probe rows, or ConvNetDropout's predicted classes; and the losses, which are only
    recorded: none, or at most one per batch (a per-batch list is a bug 5.6 names)."""
    sizes, epochs = model_sizes(kind, config), int(config["epochs"])
    answer = ({**_parameters(sizes), "initial_parameters": StateDict(sizes), "probe_outputs": Array(PROBE_ROWS, 10)}
              if sizes else {"predictions": Array(TEST_IMAGES, kinds=INTEGER)})
    return Record({**answer, "losses": Maybe(Sequence(max_length=epochs * batches_per_epoch)), "cpu_seconds": Number()},
                  labels={"parameters": "its parameters", "initial_parameters": "its parameters as built",
                          "probe_outputs": "its outputs on the grader's rows",
                          "predictions": "its predicted classes",
                          "losses": f"the losses train_torch returned (one mean loss per epoch, so {epochs}; "
                                    "up to one per batch is recorded)"})
