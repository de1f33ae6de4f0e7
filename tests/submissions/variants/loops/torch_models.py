"""Homework part 5 -- autograd, dropout and PyTorch models (DataLoader style)."""
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def autograd_descent(x, target, lr, n_steps):
    x = torch.tensor(np.asarray(x, dtype=np.float64))
    w = torch.zeros(x.shape[0], dtype=torch.float64, requires_grad=True)
    for step in range(n_steps):
        loss = (target - torch.dot(x, w)) ** 2
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
        w.grad = None
    return w.detach()   # a float64 tensor


def dropout(x, p, training, rng):
    if not training:
        return x
    x = np.asarray(x, dtype=float)
    if p >= 1.0:
        return np.zeros_like(x)
    keep = rng.random(x.shape) < 1.0 - p
    out = np.zeros_like(x)
    out[keep] = x[keep] / (1.0 - p)
    return out


class LogisticRegression(nn.Module):
    def __init__(self, d, m):
        super().__init__()
        self.fc = nn.Linear(d, m)

    def forward(self, x):
        return self.fc(torch.flatten(x, 1))


class MLP(nn.Module):
    def __init__(self, d, hidden, m, dropout=0.0):
        super().__init__()
        self.layers = nn.ModuleList()
        self.drops = nn.ModuleList()
        previous = d
        for size in hidden:
            self.layers.append(nn.Linear(previous, size))
            self.drops.append(nn.Dropout(dropout))
            previous = size
        self.out = nn.Linear(previous, m)

    def forward(self, x):
        h = torch.flatten(x, 1)
        for layer, drop in zip(self.layers, self.drops):
            h = drop(torch.relu(layer(h)))
        return self.out(h)


class ConvNetDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 12, 3, padding=1)
        self.conv2 = nn.Conv2d(12, 24, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(p)
        self.fc1 = nn.Linear(24 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = self.drop(torch.relu(self.fc1(x)))
        return self.fc2(x)


def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    torch.manual_seed(seed)
    generator = torch.Generator()
    generator.manual_seed(seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, generator=generator)
    if options.get("optimizer", "sgd") == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=options.get("momentum", 0.0))
    criterion = nn.CrossEntropyLoss()
    history = []
    model.train()
    for epoch in range(epochs):
        total, count = 0.0, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            count += len(yb)
        history.append(total / count)
    return history


TORCH_HYPERPARAMS = {
    "logreg": {"epochs": 4, "lr": 0.2, "batch_size": 100},   # no "options": plain SGD
    "mlp": {"epochs": 6, "lr": 0.1, "batch_size": 64, "hidden": [128, 64], "dropout": 0.1,
            "options": {"momentum": 0.8}},
    "convnet": {"epochs": 4, "lr": 0.002, "batch_size": 100, "p": 0.25, "options": {"optimizer": "adam"}},
}
