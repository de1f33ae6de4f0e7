"""Part 5: nn.Sequential models, manual batching, NumPy result from autograd_descent."""
import numpy as np
import torch
from torch import nn


def autograd_descent(x, target, lr, n_steps):
    xt = torch.from_numpy(np.array(x, dtype=np.float64))
    w = torch.zeros_like(xt).requires_grad_(True)
    opt = torch.optim.SGD([w], lr=lr)          # plain SGD step: w <- w - lr * w.grad
    for _ in range(n_steps):
        opt.zero_grad()
        loss = (target - (xt * w).sum()).pow(2)
        loss.backward()
        opt.step()
    return w.detach().numpy()


def dropout(x, p, training, rng):
    if not training:
        return np.copy(x)
    x = np.asarray(x, dtype=np.float64)
    if p == 1:
        return np.zeros(x.shape)
    return x * rng.binomial(1, 1.0 - p, size=x.shape) / (1.0 - p)


def LogisticRegression(d, m):
    return nn.Sequential(nn.Flatten(), nn.Linear(d, m))


def MLP(d, hidden, m, dropout=0.0):
    layers = [nn.Flatten()]
    for h in hidden:
        layers += [nn.Linear(d, h), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout > 0 else [])
        d = h
    return nn.Sequential(*layers, nn.Linear(d, m))


class ConvNetDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),      # 26 -> 13
            nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),     # 11 -> 5
            nn.Dropout2d(p / 2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(p), nn.Linear(32 * 5 * 5, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    torch.manual_seed(seed)
    name = options.pop("optimizer", "sgd")
    opt = (torch.optim.Adam if name == "adam" else torch.optim.SGD)(model.parameters(), lr=lr, **options)
    lossf = nn.CrossEntropyLoss(reduction="sum")
    n = len(X)
    out = []
    model.train()
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(n).split(batch_size):
            opt.zero_grad()
            s = lossf(model(X[idx]), y[idx])
            (s / len(idx)).backward()
            opt.step()
            total += s.item()
        out.append(total / n)
    return np.array(out)


TORCH_HYPERPARAMS = {
    "logreg": {"epochs": 4, "lr": 0.002, "batch_size": 32, "options": {"optimizer": "adam"}},
    "mlp": {"epochs": 4, "lr": 0.001, "batch_size": 64, "hidden": [200], "dropout": 0.3,
            "options": {"optimizer": "adam"}},
    "convnet": {"epochs": 4, "lr": 0.05, "batch_size": 64,          # no "p": the default 0.5
                "options": {"momentum": 0.9, "nesterov": True}},
}
