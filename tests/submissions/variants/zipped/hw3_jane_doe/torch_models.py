import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def autograd_descent(x, target, lr, n_steps):
    x = torch.tensor(x, dtype=torch.float64)
    w = torch.zeros(len(x), dtype=torch.float64, requires_grad=True)
    for _ in range(n_steps):
        if w.grad is not None:
            w.grad.zero_()
        loss = (target - x @ w) ** 2
        loss.backward()
        w.data -= lr * w.grad
    return w.detach().numpy()


def dropout(x, p, training, rng):
    if training and p > 0:
        mask = rng.uniform(size=np.shape(x)) > p
        return np.where(mask, np.asarray(x, dtype=np.float64) / (1 - p), 0.0) if p < 1 \
            else np.zeros(np.shape(x))
    return x


class LogisticRegression(nn.Module):
    def __init__(self, d, m):
        super().__init__()
        self.W = nn.Parameter(torch.zeros(m, d))
        self.b = nn.Parameter(torch.zeros(m))

    def forward(self, x):
        return x.reshape(len(x), -1) @ self.W.T + self.b


class MLP(nn.Module):
    def __init__(self, d, hidden, m, dropout=0.0):
        super().__init__()
        sizes = [d] + list(hidden)
        blocks = []
        for i in range(len(hidden)):
            blocks.append(nn.Linear(sizes[i], sizes[i + 1]))
            blocks.append(nn.ReLU())
            blocks.append(nn.Dropout(p=dropout))
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(sizes[-1], m)

    def forward(self, x):
        return self.head(self.body(x.view(x.size(0), -1)))


class ConvNetDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, kernel_size=5, stride=2, padding=2)   # 28 -> 14
        self.c2 = nn.Conv2d(32, 32, kernel_size=3, padding=1)            # 14 -> 14, pool -> 7
        self.do = nn.Dropout2d(p)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = self.do(x)
        return self.fc(x.flatten(1))


def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    optimizer = options.get("optimizer", "sgd")
    if optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=options.get("weight_decay", 0.0))
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=options.get("momentum", 0.0),
                              weight_decay=options.get("weight_decay", 0.0))
    losses = []
    model.train()
    for epoch in range(epochs):
        perm = torch.randperm(X.shape[0], generator=g)
        seen, running = 0, 0.0
        for i in range(0, X.shape[0], batch_size):
            idx = perm[i:i + batch_size]
            out = model(X[idx])
            loss = F.cross_entropy(out, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += loss.item() * len(idx)
            seen += len(idx)
        losses.append(running / seen)
    return losses


TORCH_HYPERPARAMS = {
    "logreg": {"epochs": 5, "lr": 0.01, "batch_size": 50, "options": {"momentum": 0.9}},
    "mlp": {"epochs": 6, "lr": 0.01, "batch_size": 32, "hidden": [256, 128], "dropout": 0.2,
            "options": {"momentum": 0.9, "weight_decay": 1e-5}},
    "convnet": {"epochs": 4, "lr": 0.001, "batch_size": 50, "p": 0.3,
                "options": {"optimizer": "adam", "weight_decay": 1e-5}},
}
