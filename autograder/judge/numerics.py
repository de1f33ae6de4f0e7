"""Finite differences and the inputs that show unstable formulas: the grader's and the self-check's.

The graded tests compute these on the trusted side with the reference's functions; the students'
self-check (rendered from this file into student_template/check.py) computes them with the
student's own functions, independently of the student's finite_difference.
"""
import numpy as np

# Where an unstable formula overflows (exp of a large positive number) or takes log(0).
EXTREMES = np.array([-1e4, -800.0, -40.0, -1.0, 0.0, 1.0, 40.0, 800.0, 1e4])


def numerical_gradient(f, x, eps=1e-6):
    """Central finite differences of the scalar ``f`` at the array ``x``:
    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every index i. ``x`` itself is never changed."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (float(f(plus)) - float(f(minus))) / (2 * eps)
    return grad


def numerical_derivative(f, x, eps=1e-6):
    """Derivative of an elementwise function at every entry of ``x``, by central differences."""
    return (np.asarray(f(x + eps), dtype=float) - np.asarray(f(x - eps), dtype=float)) / (2 * eps)


def numerical_jacobian(f, x, eps=1e-6):
    """J[j, k] = d f_j / d x_k for a vector function of a vector, by central differences."""
    x = np.array(x, dtype=float)
    columns = []
    for k in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus[k] += eps
        minus[k] -= eps
        columns.append((np.asarray(f(plus), dtype=float) - np.asarray(f(minus), dtype=float)) / (2 * eps))
    return np.stack(columns, axis=-1)
