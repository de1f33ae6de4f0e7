"""Training on Fashion-MNIST, judged on the grader's side: the numpy MLP (3.16) and the three
torch models (5.8, 5.9, 5.10).

Each model is trained by the student's code on this grading's own data (session/fashion.py:
a secret subset in a secret order, renamed classes, and for the fully-connected models a
secret pixel order), and its accuracy is measured on test images in the same form. For the
fully-connected models the grader computes the predictions itself, from the returned
parameters, so their accuracy is the check that the training happened here: parameters
that were not fitted to this grading's pixel order and class names classify about 10%.

Each test also looks for signs of a model that was not trained here, for the instructor
only (``grading.flag``: results.json's ``extra_data.needs_a_look``; no points, nothing
shown to the student):

- the parameters classify the public test set, in the public pixel order, far better than
  this grading's: weights trained elsewhere (an honest model: at most 25%, measured);
- ConvNetDropout answers the public class numbers rather than the renamed ones it was
  trained on: a table or a model that knows the public labels;
- the training that was reported does not match the model returned: losses or training
  errors that fall while the model stayed as it was built, or predicts at chance.
"""
import numpy as np

from autograder import config
from autograder.errors import CheckFailed, OutOfMemory, StudentError
from autograder.judge import answers
from autograder.judge.answers import model_sizes
from autograder.judge.compare import as_array, assert_shape, assert_true
from autograder.judge.expect import expect
from autograder.judge.layers import entries_of, linear_forward, read_layers
from autograder.judge.mlp import fashion_result
from autograder.judge.torch_models import weight_shapes
from autograder.judge.torch_training import check_entry
from autograder.sandbox import calls
from reference import mlp as ref

PREDICT_CHUNK = 1000
MODELS = {
    "logreg": ("LogisticRegression", "LogisticRegression(784, 10)"),
    "mlp": ("MLP", "MLP(784, hidden, 10, dropout)"),
    "convnet": ("ConvNetDropout", "ConvNetDropout(p)"),
}
PUBLIC_FIT_FLAG = 0.6          # honest models trained here: at most 0.25 on the public pixel order
PUBLIC_LABELS_FLAG = 0.5       # honest ConvNets answer renamed classes: a few % at most
CHANCE = 0.3                   # an accuracy below this after reported learning is no learning at all
LEARNED_LOSS = 0.8             # a mean cross-entropy below this means most training images are right
LEARNED_ERROR = 0.3            # a reported training error below this, likewise
DATA_TEXT = ("{n:,} Fashion-MNIST training images chosen by the grader ({form}, values in [0, 1]; the class "
             "numbers are renamed{pixels})")


def data_text(kind):
    """How the training data is described to the student (the contract's "Training" section)."""
    convnet = kind == "convnet"
    return DATA_TEXT.format(n=config.TRAIN_SUBSET,
                            form="float32 tensors of shape (n, 1, 28, 28)" if convnet else
                            "float32 tensors of shape (n, 784)" if kind != "numpy_mlp" else
                            "float32 rows of 784 values",
                            pixels="" if convnet else " and the 784 pixels are in an order of the grader's")


def predicted_classes(forward, rows, columns=None):
    """argmax of ``forward`` (float32 rows in [0, 1] -> scores) over uint8 rows (n, 784), in chunks,
    with their pixels in the order ``columns`` when given."""
    def chunk(start):
        part = rows[start:start + PREDICT_CHUNK]
        return (part if columns is None else part[:, columns]).astype(np.float32) / np.float32(255)
    return np.concatenate([np.argmax(forward(chunk(start)), axis=1) for start in range(0, len(rows), PREDICT_CHUNK)])


def judge_fully_connected(grading, kind, forward, label):
    """Accuracy of a fully-connected model (``forward`` computed here from its returned parameters)
    on this grading's test images; flags parameters that fit the public pixel order instead."""
    fashion = grading.fashion
    rows = fashion.public_test_rows()
    accuracy = fashion.accuracy(kind, predicted_classes(forward, rows, fashion.pixel_order))
    public = fashion.public_fit(predicted_classes(forward, rows))
    if public >= PUBLIC_FIT_FLAG and public > accuracy:
        grading.flag(f"{label}: the returned parameters classify the public Fashion-MNIST test set (public pixel "
                     f"order) at {public:.0%}, this grading's test set at {accuracy:.0%}: trained elsewhere?")
    return accuracy


def flag_reported_learning(grading, label, reported, accuracy, what):
    """Flag a training that reports learning (``reported``: True) while the model predicts at chance."""
    if reported and accuracy < CHANCE:
        grading.flag(f"{label}: {what}, but the returned model classifies {accuracy:.0%} of the test images: "
                     "the training reported is not the one of the model returned")


def last_value(sequence):
    """The last entry of a returned loss or error curve as a float, or None."""
    try:
        values = np.asarray(sequence, dtype=float).ravel()
    except (TypeError, ValueError):
        return None
    return float(values[-1]) if values.size and np.isfinite(values[-1]) else None


# ----------------------------------------------------------------------------- the numpy MLP (3.16)

def train_numpy_mlp(mlp, grading, hp):
    """``train_mlp`` with ``hp`` on this grading's training set; returns the test error."""
    budget = config.TRAIN_CPU_SECONDS["numpy_mlp"]
    setting = (f"train_mlp(X_train, y_train, **HYPERPARAMS, rng) with HYPERPARAMS = {hp}, on "
               f"{data_text('numpy_mlp')}, within {budget} s of CPU time")
    try:
        result = calls.train_numpy_mlp(mlp, data_dir=grading.sandbox.data_dir,
                                       files=grading.fashion.training_files("numpy_mlp"),
                                       seed=grading.keys.student_seed("train_mlp", "fashion-mnist"),
                                       hyperparams=hp, timeout=config.train_wall_timeout("numpy_mlp"),
                                       cpu_budget=budget)
    except StudentError as err:   # say what was being run (same exception type, longer message)
        raise err.extended(f"While running {setting}. The test error must be below "
                           f"{config.MLP_MAX_TEST_ERROR:.0%}.") from None
    params, curves, cpu_seconds = fashion_result(result, hp, setting)
    for key, array in params.items():
        assert_true(np.all(np.isfinite(array)),
                    f"{setting}: the returned params['{key}'] holds nan or inf (training diverged: "
                    "lower the learning rate?).")
    grading.record("history", curves)
    # Predictions are computed here, by the grader, from the returned params.
    label = "train_mlp on Fashion-MNIST"
    accuracy = judge_fully_connected(grading, "numpy_mlp", lambda rows: ref.fprop(params, rows)["oa"], label)
    reported = last_value(curves.get("train_error"))
    flag_reported_learning(grading, label, reported is not None and reported < LEARNED_ERROR, accuracy,
                           f"its history reports a training error of {reported:.0%}" if reported is not None
                           else "")
    error = round(1.0 - accuracy, 9)   # a count over 10,000 images: 0.189, not 0.18899999999999995
    grading.record("test_error", error)
    grading.record("cpu_seconds", cpu_seconds)
    assert_true(error < config.MLP_MAX_TEST_ERROR,
                f"Test error {error:.2%} on the 10,000 Fashion-MNIST test images; it must be below "
                f"{config.MLP_MAX_TEST_ERROR:.0%}. Trained by {setting}.")


# ----------------------------------------------------------------------------- the torch models (5.8-5.10)

def model_size_note(torch_models, kind, sent, entry, grading):
    """What a student needs to shrink a model that ran out of memory: its parameter count and batch size."""
    name = MODELS[kind][0]
    try:
        shapes = weight_shapes(torch_models, kind, sent, grading.keys.student_seed("model", kind),
                               f"{name}(...) parameters")
    except StudentError:
        return f"{name} could not even be built again to count its parameters: it is far too large."
    count = int(sum(np.prod(shape) for shape in shapes))
    return (f"{name} has {count:,} parameters ({count * 4 / 2 ** 20:.1f} MB as float32; training adds as much "
            f"again for the gradients and up to twice that for the optimizer's state), and each batch of "
            f"batch_size = {entry.get('batch_size')} images keeps every layer's activations for the backward "
            "pass. Use fewer channels or units, or a smaller batch_size.")


def unchanged(initial, final):
    """Whether a model's parameters (``[name, array or shape]`` pairs, tasks.parameters_by_shape)
    are exactly as it was built: the same entries, and every array sent equal."""
    before, after = entries_of(initial), entries_of(final)
    if not before or len(before) != len(after) or not any(entry.value is not None for entry in after):
        return False
    return all(a.name == b.name and a.shape == b.shape and (a.value is None) == (b.value is None)
               and (a.value is None or np.array_equal(a.value, b.value)) for a, b in zip(before, after))


def train_torch_model(torch_models, grading, kind):
    """Train the student's model of ``kind`` with its ``train_torch`` on this grading's training set,
    and check its test accuracy against the bar."""
    entry = check_entry(torch_models.get("TORCH_HYPERPARAMS"), kind)
    name, constructor = MODELS[kind]
    budget = config.TRAIN_CPU_SECONDS[kind]
    threshold = config.TORCH_MIN_TEST_ACCURACY[kind]
    shown = {k: v for k, v in entry.items() if not isinstance(v, dict)}
    setting = (f"{constructor} trained by train_torch with TORCH_HYPERPARAMS['{kind}'] ({shown}, and its options) "
               f"on {data_text(kind)} within {budget} s of CPU time, then switched to eval()")
    # The options stay in the sandbox (the task reads them from TORCH_HYPERPARAMS itself), so
    # any value the student's train_torch accepts, a class such as torch.optim.Adam too, works.
    sent = {k: v for k, v in entry.items() if k != "options"}
    fashion = grading.fashion
    sizes = model_sizes(kind, sent)
    # The trained model's own outputs on these rows tell apart parameters of the same shape when the
    # grader reads its layers (judge/layers.py); the predictions are still the grader's.
    probe_rows = (grading.keys.generator("fashion-mnist", kind, "probe rows")
                  .uniform(0, 1, (answers.PROBE_ROWS, 784)).astype(np.float32) if sizes else None)
    try:
        result = calls.train_torch_model(
            torch_models, kind, sent, data_dir=grading.sandbox.data_dir, files=fashion.training_files(kind),
            test_images=fashion.sandbox_test_file(kind) if kind == "convnet" else None,
            seed=grading.keys.student_seed("train_torch", kind), model_seed=grading.keys.student_seed("model", kind),
            probe_rows=probe_rows, what=f"train_torch on {name} with TORCH_HYPERPARAMS['{kind}']",
            timeout=config.train_wall_timeout(kind), cpu_budget=budget)
    except OutOfMemory as err:
        raise err.extended(model_size_note(torch_models, kind, sent, entry, grading)) from None
    batches = -(-config.TRAIN_SUBSET // int(sent["batch_size"]))
    result = expect(result, answers.trained_torch_model(kind, sent, batches), f"{name} trained by train_torch")
    losses = result["losses"]
    if losses is not None:
        grading.record("losses", np.asarray(losses, dtype=float))  # at most one per batch; record() thins it
    label = f"{name} on Fashion-MNIST"
    if kind == "convnet":
        accuracy = judge_convnet(grading, result["predictions"], setting, label)
    else:
        initial, final = result["initial_parameters"], result["parameters"]
        if unchanged(initial, final):
            loss = last_value(losses)
            if loss is not None and loss < LEARNED_LOSS:
                grading.flag(f"{label}: train_torch reported a final loss of {loss:.3f} but left the model's "
                             "parameters exactly as they were built")
            raise CheckFailed(f"{setting}: the model's parameters after train_torch are exactly those it was "
                              "built with. train_torch must train the model it is given: an optimizer over "
                              "model.parameters(), and optimizer.step() after each loss.backward().")
        # The grader computes the predictions from the trained parameters (linear layers, ReLU).
        outputs = as_array(result["probe_outputs"], f"{name} after training, on the grader's probe rows")
        layers = read_layers(final, sizes, f"{constructor} after training", probe=(probe_rows, outputs))
        accuracy = judge_fully_connected(grading, kind, lambda rows: linear_forward(layers, rows), label)
    loss = last_value(losses)
    flag_reported_learning(grading, label, loss is not None and loss < LEARNED_LOSS, accuracy,
                           f"train_torch reported a final loss of {loss:.3f}" if loss is not None else "")
    grading.record("test_accuracy", accuracy)
    grading.record("cpu_seconds", float(result["cpu_seconds"]))
    assert_true(accuracy >= threshold,
                f"Test accuracy {accuracy:.2%} on the 10,000 Fashion-MNIST test images; at least "
                f"{threshold:.0%} is needed. Model: {setting}.")


def judge_convnet(grading, value, setting, label):
    """ConvNetDropout's accuracy from the classes it predicted in the sandbox.

    Its architecture is the student's own, so its predictions come from the student's process.
    They are for test images the sandbox received in a secret order, each pixel moved by secret
    noise: no table of the public test images recognises them (session/fashion.py says why that
    is enough), and the classes are mapped back through this grading's renaming.
    """
    what = "ConvNetDropout: the predictions on the test images"
    predictions = as_array(value, what)
    labels = grading.fashion.test_labels("convnet")
    assert_shape(predictions, labels.shape, what)
    assert_true(predictions.dtype.kind in "iu" and predictions.min() >= 0 and predictions.max() <= 9,
                f"{setting}: its predicted classes (argmax of the logits) go from {predictions.min()} to "
                f"{predictions.max()}; expected classes 0 to 9. Does the model output 10 logits?")
    public = grading.fashion.public_labels_accuracy("convnet", predictions)
    if public >= PUBLIC_LABELS_FLAG:
        grading.flag(f"{label}: {public:.0%} of its predictions are the public class numbers of the test images, "
                     "not the renamed classes it was trained on: a table or a model from elsewhere?")
    return grading.fashion.accuracy("convnet", predictions)
