"""coursedata/plots.py: both helpers draw and save a PNG without a display."""
import os

import matplotlib
import numpy as np
import pytest

from coursedata import plots, toy

PNG = b"\x89PNG\r\n\x1a\n"


def saved_png(fig, path):
    fig.savefig(path)
    matplotlib.pyplot.close(fig)
    assert path.read_bytes()[:8] == PNG
    assert path.stat().st_size > 1000


@pytest.mark.skipif("MPLBACKEND" in os.environ, reason="the environment chose a backend")
def test_backend_is_non_interactive():
    assert matplotlib.get_backend().lower() == "agg"


def test_plot_decision_regions(tmp_path):
    X, y = toy.two_circles(200, rng=0)
    predict = lambda Z: (np.linalg.norm(Z, axis=1) < 0.75).astype(int)  # noqa: E731
    fig = plots.plot_decision_regions(predict, X, y, resolution=50, title="two circles")
    assert isinstance(fig, matplotlib.figure.Figure)
    saved_png(fig, tmp_path / "regions.png")


def test_plot_decision_regions_on_given_axes_three_classes(tmp_path):
    fig, axes = matplotlib.pyplot.subplots(1, 2)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.argmax(X @ rng.normal(size=(2, 3)), axis=1)
    calls = []

    def predict(Z):
        calls.append(Z.shape)
        return np.argmax(Z @ np.eye(2, 3), axis=1)

    assert plots.plot_decision_regions(predict, X, y, ax=axes[1], resolution=30) is fig
    assert calls == [(900, 2)]
    saved_png(fig, tmp_path / "three.png")
    with pytest.raises(ValueError):
        plots.plot_decision_regions(predict, np.zeros((3, 3)), np.zeros(3))


def test_plot_learning_curves(tmp_path):
    history = {"train_loss": [1.0, 0.6, 0.4], "train_error": [0.3, 0.2, 0.15],
               "valid_loss": [1.1, 0.7, 0.6], "valid_error": [0.32, 0.25, 0.2]}
    fig = plots.plot_learning_curves(history, title="MLP")
    ax_error, ax_loss = fig.axes[:2]
    assert len(ax_error.lines) == 2 and len(ax_loss.lines) == 2
    saved_png(fig, tmp_path / "curves.png")


def test_plot_learning_curves_partial_history_on_given_axes(tmp_path):
    fig, axes = matplotlib.pyplot.subplots(2, 1)
    history = {"train_loss": np.array([0.9, 0.5]), "test_error": [0.4, 0.3]}
    assert plots.plot_learning_curves(history, axes=axes) is fig
    assert len(axes[0].lines) == 1 and len(axes[1].lines) == 1
    saved_png(fig, tmp_path / "partial.png")
    with pytest.raises(ValueError):
        plots.plot_learning_curves({"costs": [1, 2]})
