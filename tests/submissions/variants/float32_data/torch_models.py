

# --- variant float32_data (appended to variants/vectorised/torch_models.py) ----------------------
# The MLP as an nn.Sequential built from an OrderedDict; LogisticRegression as plain Parameters, the
# weight stored (d, m) for x @ W and the bias of shape (1, m); train_torch with torch.randperm from a
# generator seeded once, index_select, and the mean loss taken from the batches' losses.
from collections import OrderedDict  # noqa: E402


class LogisticRegression(nn.Module):
    def __init__(self, d, m):
        super().__init__()
        bound = d ** -0.5
        self.W = nn.Parameter(torch.empty(d, m).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.zeros(1, m))

    def forward(self, x):
        return x.flatten(1) @ self.W + self.b


class MLP(nn.Sequential):
    def __init__(self, d, hidden, m, dropout=0.0):
        layers = OrderedDict(flatten=nn.Flatten())
        for i, h in enumerate(hidden):
            layers[f"hidden{i}"] = nn.Linear(d, h)
            layers[f"relu{i}"] = nn.ReLU()
            layers[f"dropout{i}"] = nn.Dropout(dropout)
            d = h
        layers["output"] = nn.Linear(d, m)
        super().__init__(layers)


def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    options = dict(options)
    maker = torch.optim.Adam if options.pop("optimizer", "sgd") == "adam" else torch.optim.SGD
    optimizer = maker(model.parameters(), lr=lr, **options)
    model.train()
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        weighted = 0.0
        for rows in torch.split(order, batch_size):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(X.index_select(0, rows)), y.index_select(0, rows))
            loss.backward()
            optimizer.step()
            weighted += loss.item() * len(rows)
        losses.append(weighted / len(X))
    return losses
