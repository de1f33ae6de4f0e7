"""One typed function per task of ``tasks.py``: how the graded tests run grader-written steps
beside the student's code. Each names the contract function (or class) it exercises, so a
missing one is reported as such, and returns the task's plain data (checked by the judge)."""
from autograder import config

MODEL_CLASSES = {"logreg": "LogisticRegression", "mlp": "MLP", "convnet": "ConvNetDropout"}
PIXELS = 28 * 28
TEST_IMAGES = 10_000


def training_data_bytes():
    """What a training task loads of the grader's data into the worker, at most at once (see
    tasks.py): the training images (uint8) and their float32 copy, the labels (int64, read and
    copied) and the test images (uint8). Part of the worker's limit that is not the student's
    (budget.py states the student's share without it; the message about memory says so)."""
    n = config.TRAIN_SUBSET
    return n * PIXELS * (1 + 4) + n * 8 * 2 + TEST_IMAGES * PIXELS


def call_with_rng(module, function, *args, seed, timeout=config.CALL_TIMEOUT, rng_argument="rng", **kwargs):
    """``function(*args, rng=default_rng(seed), **kwargs)``; ``seed=None`` passes ``rng=None``."""
    return module.task("call_function_with_rng", exercises=function, timeout=timeout, function=function,
                       seed=seed, args=list(args), kwargs=kwargs, rng_argument=rng_argument)


def call_returning_inputs(module, function, *args, timeout=config.CALL_TIMEOUT, **kwargs):
    """``function(*args, **kwargs)`` -> ``{"value", "args_after", "kwargs_after"}``: the arguments as
    the call left them, to check that inputs are not modified."""
    return module.task("call_function_and_return_inputs", exercises=function, timeout=timeout,
                       function=function, args=list(args), kwargs=kwargs)


def call_with_rng_returning_inputs(module, function, *args, seed, timeout=config.CALL_TIMEOUT, **kwargs):
    """:func:`call_with_rng` and :func:`call_returning_inputs` at once."""
    return module.task("call_function_with_rng_returning_inputs", exercises=function, timeout=timeout,
                       function=function, seed=seed, args=list(args), kwargs=kwargs)


def call_with_rng_twice(module, function, *args, seed, timeout=config.CALL_TIMEOUT, **kwargs):
    """Two calls with one generator, then one with a fresh generator of the same seed
    -> ``{"first", "second", "again"}``: are draws taken from ``rng``, and fresh each call?"""
    return module.task("call_function_with_rng_twice", exercises=function, timeout=timeout,
                       function=function, seed=seed, args=list(args), kwargs=kwargs)


def call_recording_warnings(module, function, *args, timeout=config.CALL_TIMEOUT):
    """``function(*args)`` with NumPy's overflow/divide/invalid warnings recorded -> ``(value, warnings)``."""
    out = module.task("call_recording_warnings", exercises=function, timeout=timeout, function=function,
                      args=list(args))
    return out["value"], out["warnings"]


def finite_difference_probe(module, params, eps, timeout=config.CALL_TIMEOUT):
    """``finite_difference`` on a function whose gradient the grader knows
    -> ``{"gradient", "params_after", "calls"}``."""
    return module.task("finite_difference_probe", exercises="finite_difference", timeout=timeout,
                       params=params, eps=eps)


def train_numpy_mlp(module, *, data_dir, files, seed, hyperparams, timeout, cpu_budget):
    """``train_mlp`` on the grader's Fashion-MNIST ``files`` (``{"images", "labels"}`` in ``data_dir``)
    -> ``{"params", "history", "cpu_seconds"}``."""
    return module.task("train_numpy_mlp", exercises="train_mlp", timeout=timeout, cpu_budget=cpu_budget,
                       grader_data=training_data_bytes(), data_dir=data_dir, seed=seed, hyperparams=hyperparams,
                       images=files["images"], labels=files["labels"])


def model_forward(module, kind, model_config, inputs, seed, what, timeout):
    """The outputs of a freshly built model of ``kind`` in train() and eval() mode, its layers, and (for
    the models the grader reads itself) its parameters by shape."""
    return module.task("model_forward", exercises=MODEL_CLASSES[kind], what=what, timeout=timeout,
                       kind=kind, config=model_config, inputs=inputs, seed=seed)


def model_parameter_shapes(module, kind, model_config, seed, what, timeout):
    """``[[name, shape], ...]`` of a freshly built model of ``kind``."""
    return module.task("model_parameter_shapes", exercises=MODEL_CLASSES[kind], what=what, timeout=timeout,
                       kind=kind, config=model_config, seed=seed)


def train_torch_probe(module, kind, X, y, m, epochs, lr, batch_size, seed, options, timeout):
    """``train_torch`` on a small grader-built model -> its parameters before and after, losses, and
    for each training step whether the model's dropout layer was in train() mode."""
    return module.task("train_torch_probe", exercises="train_torch", timeout=timeout, kind=kind, X=X, y=y,
                       m=m, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, options=options)


def train_torch_model(module, kind, model_config, *, data_dir, files, test_images=None, seed, model_seed,
                      probe_rows=None, what, timeout, cpu_budget):
    """The student's model of ``kind``, built under ``torch.manual_seed(model_seed)``, trained by its
    ``train_torch`` (with ``seed``) on the grader's Fashion-MNIST ``files`` -> for LogisticRegression
    and MLP ``{"initial_parameters", "parameters", "buffers", "probe_outputs"}`` (read by shape, as
    built and as trained, and the trained model's outputs on ``probe_rows``), for ConvNetDropout
    ``{"predictions"}`` for the images of the file ``test_images``; with "losses", "cpu_seconds"."""
    return module.task("train_torch_model", exercises=(MODEL_CLASSES[kind], "train_torch"), what=what,
                       timeout=timeout, cpu_budget=cpu_budget, grader_data=training_data_bytes(), kind=kind,
                       config=model_config, data_dir=data_dir, seed=seed, model_seed=model_seed,
                       images=files["images"], labels=files["labels"], test_images=test_images, probe_rows=probe_rows)
