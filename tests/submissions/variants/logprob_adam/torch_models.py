"""Part 5 written against the contract with two choices it allows: models whose forward
returns log-probabilities (log_softmax of the logits), and TORCH_HYPERPARAMS options that
hold an optimizer class (torch.optim.Adam) rather than a name.

The other four files of this variant are tests/submissions/variants/vectorised's.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def autograd_descent(x, target, lr, n_steps):
    x = torch.tensor(np.asarray(x, dtype=np.float64))
    w = torch.zeros(x.shape[0], dtype=torch.float64, requires_grad=True)
    for _ in range(n_steps):
        loss = (target - torch.dot(x, w)) ** 2
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad.zero_()
    return w.detach().numpy().copy()


def dropout(x, p, training, rng):
    x = np.array(x, dtype=np.float64)
    if not training or p == 0:
        return x
    if p == 1:
        return np.zeros_like(x)
    mask = rng.uniform(size=x.shape) < 1 - p
    return np.where(mask, x / (1 - p), 0.0)


class LogisticRegression(nn.Module):
    def __init__(self, d, m):
        super().__init__()
        self.linear = nn.Linear(d, m)

    def forward(self, x):
        return F.log_softmax(self.linear(x.flatten(1)), dim=1)


class MLP(nn.Module):
    def __init__(self, d, hidden, m, dropout=0.0):
        super().__init__()
        sizes = [d] + list(hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(sizes[-1], m)

    def forward(self, x):
        h = x.flatten(1)
        for layer in self.hidden:
            h = self.drop(torch.relu(layer(h)))
        return F.log_softmax(self.out(h), dim=1)


class ConvNetDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 5, padding=2)
        self.drop = nn.Dropout(p)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        h = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        h = F.max_pool2d(torch.relu(self.conv2(h)), 2)
        return F.log_softmax(self.fc(self.drop(h.flatten(1))), dim=1)


def train_torch(model, X, y, epochs, lr, batch_size, seed, optimizer=torch.optim.SGD, **optimizer_options):
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    opt = optimizer(model.parameters(), lr=lr, **optimizer_options)
    losses = []
    model.train()
    for _ in range(epochs):
        total, seen = 0.0, 0
        for batch in torch.randperm(len(X), generator=order).split(batch_size):
            opt.zero_grad()
            loss = F.cross_entropy(model(X[batch]), y[batch])   # log-probabilities are logits too
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
            seen += len(batch)
        losses.append(total / seen)
    return losses


TORCH_HYPERPARAMS = {
    "logreg": {"epochs": 4, "lr": 0.002, "batch_size": 32, "options": {"optimizer": torch.optim.Adam}},
    "mlp": {"epochs": 4, "lr": 0.001, "batch_size": 64, "hidden": [200], "dropout": 0.2,
            "options": {"optimizer": torch.optim.Adam}},
    "convnet": {"epochs": 3, "lr": 0.002, "batch_size": 64, "p": 0.3,
                "options": {"optimizer": torch.optim.Adam}},
}
