

# --- variant float32_paramlists (appended to variants/vectorised/torch_models.py) ----------------
# The MLP's weights in one nn.ParameterList and its biases in another, applied with F.linear;
# LogisticRegression as Sequential(Flatten, Linear); a ConvNetDropout with BatchNorm; train_torch
# with a DataLoader shuffled by a seeded generator, reduction='sum' divided by the batch size, and
# the training loss measured in eval() mode after each epoch (train() again at the next).
import torch.nn.functional as F  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402


class MLP(nn.Module):
    def __init__(self, d, hidden, m, dropout=0.0):
        super().__init__()
        sizes = [d, *hidden, m]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.empty(out, fan_in).uniform_(-fan_in ** -0.5, fan_in ** -0.5))
            for fan_in, out in zip(sizes[:-1], sizes[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(out)) for out in sizes[1:])
        self.p = dropout

    def forward(self, x):
        h = x.flatten(1)
        last = len(self.weights) - 1
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            h = F.linear(h, W, b)
            if i < last:
                h = F.dropout(F.relu(h), self.p, training=self.training)
        return h


class ConvNetDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.dropout = nn.Dropout(p)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        return self.fc(self.dropout(self.features(x).flatten(1)))


def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    torch.manual_seed(seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    options = dict(options)
    maker = torch.optim.Adam if options.pop("optimizer", "sgd") == "adam" else torch.optim.SGD
    optimizer = maker(model.parameters(), lr=lr, **options)
    losses = []
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            (F.cross_entropy(model(xb), yb, reduction="sum") / len(xb)).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            losses.append(sum(F.cross_entropy(model(xb), yb, reduction="sum").item() for xb, yb in loader) / len(X))
    return losses
