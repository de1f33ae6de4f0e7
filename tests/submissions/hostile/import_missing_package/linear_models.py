"""Uses a package the grader does not have (only numpy, torch and the standard library are allowed)."""
import numpy as np
from sklearn.linear_model import Ridge


def normal_equations(X, y, l2=0.0):
    return Ridge(alpha=l2, fit_intercept=False).fit(X, y).coef_
