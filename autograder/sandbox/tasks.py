"""Grader-written steps that must run beside student code, in the sandbox.

Some contract functions take things that are not data (a ``numpy.random.Generator``,
a callable, a ``torch.nn.Module``), and training needs the data set next to the
student's code. These tasks build those objects inside the student's process
and return plain data. They hold no solutions and see no test labels; the
grader checks everything they return.

Each task is called as ``task(module, **kwargs)`` with the student module that
the worker imported.
"""
import os
import time

import numpy as np

PREDICT_BATCH = 100  # small: a wide conv net on 1,000 images at once takes ~400 MB


def call_function_with_rng(module, function, seed, args=(), kwargs=None, rng_argument="rng"):
    """``module.function(*args, rng=default_rng(seed), **kwargs)``; seed None passes rng=None."""
    kwargs = dict(kwargs or {})
    kwargs[rng_argument] = None if seed is None else np.random.default_rng(seed)
    return getattr(module, function)(*args, **kwargs)


def call_function_and_return_inputs(module, function, args=(), kwargs=None):
    """Call ``module.function`` and also return the arguments as the call left them.

    The grader compares them with what it sent, to check that inputs are not modified.
    """
    kwargs = dict(kwargs or {})
    value = getattr(module, function)(*args, **kwargs)
    return {"value": value, "args_after": list(args), "kwargs_after": kwargs}


def finite_difference_probe(module, params, eps=1e-5):
    """Run ``finite_difference`` on a function the grader knows the gradient of.

    f(p) = sum over keys k (in sorted order, index i) of sum(sin(p_k) + (i+1)/2 * p_k**2),
    whose gradient is cos(p_k) + (i+1) * p_k. Returns the numerical gradient,
    ``params`` as the call left it, and how many times f was called.
    """
    keys = sorted(params)
    calls = [0]

    def f(p):
        calls[0] += 1
        return float(sum(np.sum(np.sin(p[k]) + 0.5 * (i + 1) * np.asarray(p[k]) ** 2)
                         for i, k in enumerate(keys)))

    gradient = module.finite_difference(f, params, eps=eps)
    return {"gradient": gradient, "params_after": params, "calls": calls[0]}


def _load_images(data_dir, name):
    return np.load(os.path.join(data_dir, os.path.basename(name)), allow_pickle=False)


def _float_rows(images):
    """uint8 (n, 28, 28) or (n, 784) -> float32 (n, 784) in [0, 1], divided in place: one float copy
    of the images at a time (the grader's data in the sandbox is not the student's to pay for)."""
    rows = images.reshape(len(images), -1).astype(np.float32)
    rows /= np.float32(255)
    return rows


def train_numpy_mlp(module, data_dir, seed, hyperparams, images, labels):
    """Train the student's ``train_mlp`` on the grader's training set (files ``images``, ``labels``)."""
    X = _float_rows(_load_images(data_dir, images))
    y = _load_images(data_dir, labels).astype(np.int64)
    started = time.process_time()
    params, history = module.train_mlp(X, y, rng=np.random.default_rng(seed), **hyperparams)
    seconds = time.process_time() - started
    return {"params": params, "history": history, "cpu_seconds": seconds}


def _torch():
    import torch
    torch.set_num_threads(1)
    return torch


def build_model(module, kind, config, seed):
    """Construct the student's model of ``kind`` from the TORCH_HYPERPARAMS entry ``config``."""
    torch = _torch()
    torch.manual_seed(seed)
    if kind == "logreg":
        return module.LogisticRegression(784, 10)
    if kind == "mlp":
        return module.MLP(784, list(config.get("hidden", [100])), 10,
                          dropout=float(config.get("dropout", 0.0)))
    if kind == "convnet":
        return module.ConvNetDropout(p=float(config["p"])) if "p" in config else module.ConvNetDropout()
    raise ValueError(f"unknown model kind {kind!r}")


def _inputs(kind, rows):
    torch = _torch()
    tensor = torch.from_numpy(rows)
    return tensor.reshape(-1, 1, 28, 28) if kind == "convnet" else tensor


def layer_sizes(kind, config):
    """The layer sizes the contract fixes for the models the grader reads itself: 784 -> hidden... -> 10."""
    return [784] + ([int(h) for h in config.get("hidden", [100])] if kind == "mlp" else []) + [10]


def _layer_shapes(sizes):
    shapes = set()
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shapes |= {(fan_out, fan_in), (fan_in, fan_out), (fan_out,), (1, fan_out)}
    return shapes


def parameters_by_shape(model, sizes):
    """The model's parameters in registration order, ``[name, array]`` when the shape fits a layer of
    ``sizes`` and ``[name, shape]`` otherwise (nothing larger than the contract's architecture is sent),
    and its buffers as ``[name, shape]`` (the grader never reads them)."""
    fits = _layer_shapes(sizes)
    parameters = []
    for name, tensor in model.named_parameters():
        shape = [int(n) for n in tensor.shape]
        parameters.append([str(name), tensor.detach().cpu().numpy().copy() if tuple(shape) in fits else shape])
    buffers = [[str(name), [int(n) for n in tensor.shape]] for name, tensor in model.named_buffers()]
    return {"parameters": parameters, "buffers": buffers}


def _eval_outputs(model, rows):
    """The model's outputs in eval() mode, without gradients, on the grader's rows."""
    torch = _torch()
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32))).detach().cpu().numpy()


# The grader recomputes the outputs of these from their parameters (nn.Linear layers with ReLU
# between them is the contract's architecture); ConvNetDropout's architecture is the student's own,
# so its predictions are the only ones that come from the model itself.
GRADER_SIDE_KINDS = ("logreg", "mlp")


def train_torch_model(module, kind, config, data_dir, seed, model_seed, images, labels, test_images=None,
                      probe_rows=None):
    """Build (under ``torch.manual_seed(model_seed)``), train with the student's ``train_torch``
    on the files ``images`` and ``labels``, switch to eval().

    ``config`` holds epochs, lr, batch_size (and hidden, dropout, p); the
    ``options`` are read here from the module's own TORCH_HYPERPARAMS, so any
    value the student's train_torch accepts (a class such as torch.optim.Adam)
    reaches it. Returns, for the models the grader evaluates itself, the parameters (by shape)
    as built and as trained, and the trained model's outputs on the grader's ``probe_rows`` (which
    tell apart parameters of the same shape); for ConvNetDropout, the classes it predicts for the
    images of the file ``test_images``.
    """
    torch = _torch()
    model = build_model(module, kind, config, model_seed)
    sizes = layer_sizes(kind, config) if kind in GRADER_SIDE_KINDS else None
    initial = parameters_by_shape(model, sizes)["parameters"] if sizes else None
    X = _inputs(kind, _float_rows(_load_images(data_dir, images)))
    y = torch.from_numpy(_load_images(data_dir, labels).astype(np.int64))
    options = dict(module.TORCH_HYPERPARAMS[kind].get("options") or {})
    started = time.process_time()
    losses = module.train_torch(model, X, y, int(config["epochs"]), float(config["lr"]),
                                int(config["batch_size"]), seed, **options)
    seconds = time.process_time() - started
    del X, y
    model.eval()
    if kind in GRADER_SIDE_KINDS:
        return {**parameters_by_shape(model, sizes), "initial_parameters": initial,
                "probe_outputs": _eval_outputs(model, probe_rows), "losses": losses, "cpu_seconds": seconds}
    test = _load_images(data_dir, test_images)
    predictions = []
    with torch.no_grad():
        for start in range(0, len(test), PREDICT_BATCH):
            logits = model(_inputs(kind, _float_rows(test[start:start + PREDICT_BATCH])))
            predictions.append(np.asarray(logits.argmax(dim=1).cpu().numpy(), dtype=np.int64))
    return {"predictions": np.concatenate(predictions), "losses": losses, "cpu_seconds": seconds}


def model_forward(module, kind, config, inputs, seed, repeats=2):
    """Outputs of an untrained model in train() and eval() mode, its parameters (by shape) and what it is made of."""
    torch = _torch()
    model = build_model(module, kind, config, seed)
    x = torch.from_numpy(np.asarray(inputs, dtype=np.float32))
    outputs = {}
    for mode in ("train", "eval"):
        getattr(model, mode)()
        with torch.no_grad():
            outputs[mode] = [model(x).detach().cpu().numpy() for _ in range(repeats)]
    layers = sorted({type(m).__name__ for m in model.modules()})
    bases = sorted({b.__name__ for m in model.modules() for b in type(m).__mro__
                    if b.__module__.startswith("torch.nn")})
    n_parameters = int(sum(p.numel() for p in model.parameters()))
    read = parameters_by_shape(model, layer_sizes(kind, config)) if kind in GRADER_SIDE_KINDS else {}
    return {"train": outputs["train"], "eval": outputs["eval"], "layers": layers,
            "torch_layers": bases, "n_parameters": n_parameters, **read}


def call_recording_warnings(module, function, args=(), kwargs=None):
    """``module.function(*args, **kwargs)`` with NumPy overflow, divide-by-zero and
    invalid-value conditions reported as warnings, and those warnings recorded.

    Underflow is ignored (the contract allows it). Returns the value and the
    list of warning messages, so the grader can check "stable" functions.
    """
    import warnings
    kwargs = dict(kwargs or {})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            value = getattr(module, function)(*args, **kwargs)
    messages = [f"{w.category.__name__}: {w.message}" for w in caught
                if issubclass(w.category, RuntimeWarning)]
    return {"value": value, "warnings": messages[:5]}


# ---------------------------------------------------------------------------
# Part 5 (torch_models): probes for dropout, the models and train_torch
# ---------------------------------------------------------------------------

def call_function_with_rng_returning_inputs(module, function, seed, args=(), kwargs=None,
                                            rng_argument="rng"):
    """:func:`call_function_with_rng`, also returning the arguments as the call left them."""
    kwargs = dict(kwargs or {})
    value = call_function_with_rng(module, function, seed, args, kwargs, rng_argument)
    return {"value": value, "args_after": list(args), "kwargs_after": kwargs}


def model_parameter_shapes(module, kind, config, seed):
    """``[name, shape]`` of every parameter of the student's model of ``kind``."""
    model = build_model(module, kind, config, seed)
    return [[str(name), [int(n) for n in p.shape]] for name, p in model.named_parameters()]


def _grader_torch_model(kind, d, m, seed):
    """A model the grader builds (not the student's), to test ``train_torch`` on its own."""
    torch = _torch()
    torch.manual_seed(seed)
    nn = torch.nn
    if kind == "linear":
        return nn.Linear(d, m)
    if kind == "dropout_mlp":
        return nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, m))
    raise ValueError(f"unknown grader model {kind!r}")


MAX_RECORDED_STEPS = 10_000


def watch_dropout_modes(model):
    """For each forward pass of the model's dropout layers that a backward pass later goes through (a
    training step), record whether the layer was in train() mode. Returns (record, hook handles)."""
    torch = _torch()
    record = []

    def forward_hook(module, inputs, output):
        if isinstance(output, torch.Tensor) and output.requires_grad and len(record) < MAX_RECORDED_STEPS:
            mode = bool(module.training)
            output.register_hook(lambda grad: record.append(mode))

    layers = [m for m in model.modules() if isinstance(m, torch.nn.modules.dropout._DropoutNd)]
    return record, [layer.register_forward_hook(forward_hook) for layer in layers]


def train_torch_probe(module, kind, X, y, m, epochs, lr, batch_size, seed, options=None):
    """The student's ``train_torch`` on a grader-built model and a small problem.

    ``kind`` is 'linear' (``nn.Linear(d, m)``) or 'dropout_mlp' (Linear, ReLU,
    Dropout(0.5), Linear). Returns the initial parameters and the initial logits
    (eval mode), the returned losses, the parameters after training (the grader
    replays SGD and computes predictions from them), and for each training step
    whether the dropout layer was in train() mode.
    """
    torch = _torch()
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    yt = torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))
    model = _grader_torch_model(kind, Xt.shape[1], int(m), seed)
    initial = {name: p.detach().cpu().numpy().copy() for name, p in model.named_parameters()}
    model.eval()
    with torch.no_grad():
        initial_logits = model(Xt).cpu().numpy().copy()
    model.train()
    modes, hooks = watch_dropout_modes(model)
    losses = module.train_torch(model, Xt, yt, epochs, lr, batch_size, seed, **(options or {}))
    for hook in hooks:
        hook.remove()
    final = {name: p.detach().cpu().numpy().copy() for name, p in model.named_parameters()}
    return {"initial": initial, "initial_logits": initial_logits, "losses": losses, "final": final,
            "train_modes": [bool(mode) for mode in modes]}


def call_function_with_rng_twice(module, function, seed, args=(), kwargs=None):
    """Three calls: two in a row with one ``default_rng(seed)``, then one with a fresh ``default_rng(seed)``.

    The grader checks that the second call drew new numbers from the same generator
    and that the third repeated the first (every draw comes from ``rng``).
    """
    rng = np.random.default_rng(seed)
    def call(generator):
        return getattr(module, function)(*args, **dict(kwargs or {}), rng=generator)
    first, second = call(rng), call(rng)
    return {"first": first, "second": second, "again": call(np.random.default_rng(seed))}
