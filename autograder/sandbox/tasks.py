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
    """uint8 (n, 28, 28) or (n, 784) -> float32 (n, 784) in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255)


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


def _state(model):
    """The model's state_dict as ``[name, float array]`` pairs, in registration order."""
    return [[str(name), tensor.detach().cpu().numpy().copy()] for name, tensor in model.state_dict().items()]


# The grader recomputes the outputs of these from their parameters (nn.Linear layers with ReLU
# between them is the contract's architecture); ConvNetDropout's architecture is the student's own,
# so its predictions are the only ones that come from the model itself.
GRADER_SIDE_KINDS = ("logreg", "mlp")


def train_torch_model(module, kind, config, data_dir, seed, model_seed, images, labels, test_images=None):
    """Build (under ``torch.manual_seed(model_seed)``), train with the student's ``train_torch``
    on the files ``images`` and ``labels``, switch to eval().

    ``config`` holds epochs, lr, batch_size (and hidden, dropout, p); the
    ``options`` are read here from the module's own TORCH_HYPERPARAMS, so any
    value the student's train_torch accepts (a class such as torch.optim.Adam)
    reaches it. Returns the state_dict before and after training for the models
    the grader evaluates itself, and the classes predicted for the images of the
    file ``test_images`` for ConvNetDropout.
    """
    torch = _torch()
    model = build_model(module, kind, config, model_seed)
    initial = _state(model) if kind in GRADER_SIDE_KINDS else None
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
        return {"initial_state": initial, "state": _state(model), "losses": losses, "cpu_seconds": seconds}
    test = _float_rows(_load_images(data_dir, test_images))
    predictions = []
    with torch.no_grad():
        for start in range(0, len(test), PREDICT_BATCH):
            logits = model(_inputs(kind, test[start:start + PREDICT_BATCH]))
            predictions.append(np.asarray(logits.argmax(dim=1).cpu().numpy(), dtype=np.int64))
    return {"predictions": np.concatenate(predictions), "losses": losses, "cpu_seconds": seconds}


def model_forward(module, kind, config, inputs, seed, repeats=2):
    """Outputs of an untrained model in train() and eval() mode, its state_dict and what it is made of."""
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
    state = _state(model) if kind in GRADER_SIDE_KINDS else []
    return {"train": outputs["train"], "eval": outputs["eval"], "layers": layers,
            "torch_layers": bases, "n_parameters": n_parameters, "state": state}


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


def train_torch_probe(module, kind, X, y, m, epochs, lr, batch_size, seed, options=None):
    """The student's ``train_torch`` on a grader-built model and a small problem.

    ``kind`` is 'linear' (``nn.Linear(d, m)``) or 'dropout_mlp' (Linear, ReLU,
    Dropout(0.5), Linear). Returns the initial parameters and the initial logits
    (eval mode), the returned losses, and the parameters after training (the
    grader replays SGD and computes predictions from them).
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
    losses = module.train_torch(model, Xt, yt, epochs, lr, batch_size, seed, **(options or {}))
    final = {name: p.detach().cpu().numpy().copy() for name, p in model.named_parameters()}
    return {"initial": initial, "initial_logits": initial_logits, "losses": losses, "final": final}


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
