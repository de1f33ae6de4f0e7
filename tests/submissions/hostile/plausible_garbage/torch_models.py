"""Hostile: nothing but plausible-looking constants of the right shapes (every answer is wrong).

A do-nothing submission must score 0: no test may give points for a property
that such code has for free (no warnings, input not modified, same seed same
result, right shape). Only the hyperparameter dicts, which are graded as
values, are well-formed here.
"""
import numpy as np
import torch
from torch import nn
def autograd_descent(x, target, lr, n_steps): return np.full(len(x), 0.4242)
def dropout(x, p, training, rng): return np.full(np.shape(x), 0.4242)
class LogisticRegression(nn.Module):
    def __init__(self, d, m):
        super().__init__(); self.m = m
    def forward(self, x): return torch.zeros(len(x), self.m)
class MLP(LogisticRegression):
    def __init__(self, d, hidden, m, dropout=0.0):
        super().__init__(d, m)
class ConvNetDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
    def forward(self, x): return torch.zeros(len(x), 10)
def train_torch(model, X, y, epochs, lr, batch_size, seed, **options): return [0.4242] * epochs
TORCH_HYPERPARAMS = {k: {"epochs": 1, "lr": 0.1, "batch_size": 100} for k in ("logreg", "mlp", "convnet")}
