"""Plotting helpers for the homework (decision regions, learning curves).

Not part of the student contract. Uses matplotlib's non-interactive Agg
backend (no display needed) unless a backend was already chosen; every
function returns the ``matplotlib.figure.Figure`` it drew on, so a caller can
``fig.savefig("out.png")`` and then ``matplotlib.pyplot.close(fig)``.
"""

import os

import matplotlib

if "MPLBACKEND" not in os.environ:
    matplotlib.use("Agg")  # before pyplot is imported: no display needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

__all__ = ["plot_decision_regions", "plot_learning_curves"]


def plot_decision_regions(predict, X, y, ax=None, *, resolution=200, margin=0.25,
                          title=None, cmap="coolwarm", alpha=0.3):
    """Filled contour of the predicted class over the plane, with the points on top.

    Parameters
    ----------
    predict : callable, ``(k, 2)`` float64 array -> ``(k,)`` integer classes
        (e.g. ``lambda Z: mlp.predict(params, Z)``); called once on the whole grid.
    X : ``(n, 2)`` points; y : ``(n,)`` integer labels (colours of the points)
    ax : matplotlib Axes to draw on, or None for a new figure
    resolution : grid points per axis; margin : extra room around the data,
        as a fraction of its range
    title, cmap, alpha : cosmetics

    Returns the Figure.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    else:
        fig = ax.figure
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * np.where(hi > lo, hi - lo, 1.0)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    Z = np.asarray(predict(grid)).reshape(gx.shape)
    classes = np.unique(np.concatenate([np.unique(Z), np.unique(y)]))
    # One colour band per class: boundaries half-way between consecutive labels.
    levels = np.concatenate([[classes[0] - 0.5], (classes[:-1] + classes[1:]) / 2,
                             [classes[-1] + 0.5]])
    vmin, vmax = levels[0], levels[-1]
    ax.contourf(gx, gy, Z, levels=levels, cmap=cmap, alpha=alpha, vmin=vmin, vmax=vmax)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=vmin, vmax=vmax,
               s=12, edgecolors="k", linewidths=0.3)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return fig


_SPLITS = ("train", "valid", "test")
_LABELS = {"train": "training", "valid": "validation", "test": "test"}


def plot_learning_curves(history, axes=None, *, title=None):
    """Error and loss per epoch for whichever of train/valid/test the history holds.

    Parameters
    ----------
    history : dict of per-epoch sequences with keys among ``train_loss``,
        ``train_error``, ``valid_loss``, ``valid_error``, ``test_loss``,
        ``test_error`` (as returned by ``train_mlp``); missing keys are skipped.
    axes : a pair ``(ax_error, ax_loss)`` of Axes, or None for a new figure with
        two panels side by side
    title : optional figure title

    Returns the Figure. Epochs are numbered from 1.
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    else:
        axes = list(axes)
        if len(axes) != 2:
            raise ValueError("axes must be a pair (ax_error, ax_loss)")
        fig = axes[0].figure
    ax_error, ax_loss = axes
    plotted = False
    for ax, kind, ylabel in ((ax_error, "error", "error rate"), (ax_loss, "loss", "loss")):
        for split in _SPLITS:
            values = history.get(f"{split}_{kind}")
            if values is None or len(values) == 0:
                continue
            values = np.asarray(values, dtype=np.float64)
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3,
                    label=_LABELS[split])
            plotted = True
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    if not plotted:
        raise ValueError("history has none of train/valid/test _loss/_error: "
                         f"keys are {sorted(history)}")
    if title:
        fig.suptitle(title)
    return fig
