"""Part 1: calculus.py — elementwise functions, softmax and logistic losses (20 points)."""
import numpy as np
from gradescope_utils.autograder_utils.decorators import number, tags, visibility, weight

from autograder.compare import assert_close
from reference import calculus as ref

EXTREMES = np.array([-1e4, -800.0, -40.0, -1.0, 0.0, 1.0, 40.0, 800.0, 1e4])


@weight(1)
@number("1.1")
@tags("calculus", "sigmoid")
def test_sigmoid_values(calculus, rng):
    """sigmoid: values on fixed and random inputs"""
    for x in (np.linspace(-6, 6, 13), rng.normal(0, 3, size=(4, 5))):
        assert_close(calculus.sigmoid(x), ref.sigmoid(x), "sigmoid(x)", inputs={"x": x},
                     mistakes={"exp(x) instead of exp(-x) (that is sigmoid(-x))": ref.sigmoid(-x)})


@weight(1)
@number("1.2")
@tags("calculus", "sigmoid")
def test_sigmoid_stable(calculus):
    """sigmoid: stable for |x| up to 1e4 (no overflow, no nan)"""
    assert_close(calculus.sigmoid(EXTREMES), ref.sigmoid(EXTREMES), "sigmoid(x)", inputs={"x": EXTREMES})


@weight(1)
@number("1.3")
@tags("calculus", "sigmoid")
@visibility("after_due_date")
def test_sigmoid_hidden_inputs(calculus, hidden_rng):
    """sigmoid: values on inputs drawn from a hidden seed"""
    x = hidden_rng.normal(0, 5, size=(7, 3))
    assert_close(calculus.sigmoid(x), ref.sigmoid(x), "sigmoid(x)", inputs={"x": x})
