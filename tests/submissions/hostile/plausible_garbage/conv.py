"""Hostile: nothing but plausible-looking constants of the right shapes (every answer is wrong).

A do-nothing submission must score 0: no test may give points for a property
that such code has for free (no warnings, input not modified, same seed same
result, right shape). Only the hyperparameter dicts, which are graded as
values, are well-formed here.
"""
import numpy as np
def conv_output_size(n, k, stride=1, padding=0): return 1
def conv2d(image, kernel, stride=1): return np.full((1, 1), 0.4242)
def conv2d_multi(x, w, b=None, stride=1, padding=0): return np.full((len(x), len(w), 1, 1), 0.4242)
def max_pool2d(x, size, stride=None): return np.full(np.shape(x)[:2] + (1, 1), 0.4242)
