"""A torch state_dict read as the contract's chain of linear layers, and the forward pass the
grader computes from it (NumPy, on the grader's side)."""
import numpy as np

from autograder.errors import CheckFailed


def linear_layers(state, name, d_in=784, d_out=10):
    """The ``(W, b)`` (W of shape (out, in)) of a model's linear layers in the order data flows.

    ``state`` is the model's state_dict as ``[name, array]`` pairs. The contract fixes
    LogisticRegression and MLP as linear layers with ReLU between them; each 2-D entry is
    a weight matrix, its bias the ``<prefix>bias`` of an nn.Linear's ``<prefix>weight`` or
    else the 1-D entry registered right after it (zeros when there is none). Layers are
    chained from ``d_in`` to ``d_out``: first in registration order, else by their shapes
    (a matrix stored as (in, out) is used transposed). Fails with a message naming
    ``name`` when the state cannot be read so.
    """
    entries = [(str(key), np.asarray(value, dtype=np.float64)) for key, value in (state or [])
               if isinstance(value, np.ndarray) and value.dtype.kind in "fiu"]
    shown = ", ".join(f"{key} {tuple(value.shape)}" for key, value in entries)[:600] or "nothing"
    arrays = dict(entries)
    layers, used = [], set()
    for i, (key, value) in enumerate(entries):
        if value.ndim != 2:
            continue
        bias_key = key[:-len("weight")] + "bias" if key.endswith("weight") else None
        if bias_key not in arrays and i + 1 < len(entries) and entries[i + 1][1].ndim == 1:
            bias_key = entries[i + 1][0]
        layers.append((value, arrays.get(bias_key)))
        used |= {key, bias_key}
    extra = [key for key, value in entries if key not in used and not key.endswith("num_batches_tracked")]
    chain = None if extra else _chained(layers, d_in, d_out)
    if chain is None:
        problem = (f" (it also holds {extra[:5]}, which are not the weights or biases of linear layers)"
                   if extra else "")
        raise CheckFailed(
            f"{name}: the grader computes this model's outputs itself from its parameters, reading it as "
            f"linear layers from {d_in} inputs to {d_out} outputs with ReLU between them (the architecture the "
            f"assignment fixes), but its state_dict cannot be read that way{problem}. Its state_dict holds: "
            f"{shown}.")
    return chain


def _oriented(layer, size):
    """``(W, b)`` of ``layer`` with W of shape (out, size), or None if it does not take ``size`` inputs."""
    W, bias = layer
    for matrix in (W, W.T):
        if matrix.shape[1] == size and (bias is None or bias.shape == (matrix.shape[0],)):
            return matrix, (np.zeros(matrix.shape[0]) if bias is None else bias)
    return None


def _chained(layers, d_in, d_out):
    def follow(order):
        chain, size = [], d_in
        for layer in order:
            oriented = _oriented(layer, size)
            if oriented is None:
                return None
            chain.append(oriented)
            size = oriented[0].shape[0]
        return chain if chain and size == d_out else None
    in_order = follow(layers)
    if in_order is not None:
        return in_order
    remaining, order, size = list(layers), [], d_in
    while remaining:
        following = [layer for layer in remaining if _oriented(layer, size) is not None]
        if not following:
            return None
        order.append(following[0])
        remaining = [layer for layer in remaining if layer is not following[0]]
        size = _oriented(following[0], size)[0].shape[0]
    return follow(order)


def linear_forward(layers, X, relu=True, final=None):
    """x W1^T + b1, ReLU, ..., x Wk^T + bk (float64), as nn.Linear computes it."""
    h = np.asarray(X, dtype=np.float64)
    for i, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if i < len(layers) - 1 and relu:
            h = np.maximum(h, 0)
    return final(h) if final is not None else h


def log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
