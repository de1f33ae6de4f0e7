"""Reading LogisticRegression and MLP by shape (autograder/judge/layers.py), from what the
sandbox's task sends (autograder/sandbox/tasks.py: parameters by shape, outputs on probe rows).

Every layout the contract allows is read so that the grader's forward pass gives the model's own
outputs; what cannot be read (a missing layer, parameters of no layer) is refused with its names.
"""
import collections

import numpy as np
import pytest

from autograder.errors import CheckFailed
from autograder.judge.layers import linear_forward, read_layers
from autograder.sandbox.tasks import _eval_outputs as probe_outputs
from autograder.sandbox.tasks import parameters_by_shape

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional


class ParameterLists(nn.Module):
    """Weights in one ParameterList, biases in another, applied with F.linear."""

    def __init__(self, d, hidden, m):
        super().__init__()
        sizes = [d, *hidden, m]
        self.weights = nn.ParameterList(nn.Parameter(torch.randn(o, i) / i ** 0.5) for i, o in zip(sizes, sizes[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.randn(o) * 0.1) for o in sizes[1:])

    def forward(self, x):
        for k, (W, b) in enumerate(zip(self.weights, self.biases)):
            x = F.linear(x, W, b)
            x = F.relu(x) if k < len(self.biases) - 1 else x
        return x


class PlainTransposed(nn.Module):
    """Plain Parameters W stored (in, out) for x @ W, biases of shape (1, out), the output layer created first."""

    def __init__(self, d, hidden, m):
        super().__init__()
        self.W_out = nn.Parameter(torch.randn(hidden, m) * 0.1)
        self.b_out = nn.Parameter(torch.randn(1, m) * 0.1)
        self.W_in = nn.Parameter(torch.randn(d, hidden) * 0.05)
        self.b_in = nn.Parameter(torch.randn(1, hidden) * 0.1)
        self.register_buffer("calls", torch.zeros(()))

    def forward(self, x):
        return torch.relu(x @ self.W_in + self.b_in) @ self.W_out + self.b_out


class ModuleListMLP(nn.Module):
    def __init__(self, d, hidden, m):
        super().__init__()
        sizes = [d, *hidden, m]
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(sizes, sizes[1:]))
        self.register_buffer("mean", torch.zeros(d))   # an extra buffer: never read

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))
        return self.layers[-1](x)


def ordered_sequential(d, hidden, m):
    items, sizes = [], [d, *hidden, m]
    for k, (i, o) in enumerate(zip(sizes, sizes[1:])):
        items.append((f"fc{k}", nn.Linear(i, o)))
        if k < len(hidden):
            items += [(f"relu{k}", nn.ReLU()), (f"drop{k}", nn.Dropout(0.2))]
    return nn.Sequential(collections.OrderedDict(items))


class WithBatchNorm(nn.Module):
    def __init__(self, d, hidden, m):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, hidden[0]), nn.BatchNorm1d(hidden[0]), nn.ReLU(),
                                 nn.Linear(hidden[0], m))

    def forward(self, x):
        return self.net(x)


class WithScale(ModuleListMLP):
    def __init__(self, d, hidden, m):
        super().__init__(d, hidden, m)
        self.temperature = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return super().forward(x) * self.temperature


LAYOUTS = {
    "Sequential(Flatten, Linear) LogisticRegression": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), []),
    "ParameterList MLP": (lambda: ParameterLists(784, [64, 32], 10), [64, 32]),
    "ParameterList MLP whose hidden size is the output size": (lambda: ParameterLists(784, [10], 10), [10]),
    "ParameterList MLP of square hidden layers": (lambda: ParameterLists(784, [16, 16, 16], 10), [16, 16, 16]),
    "plain Parameters stored (in, out), output layer first": (lambda: PlainTransposed(784, 32, 10), [32]),
    "ModuleList with a buffer": (lambda: ModuleListMLP(784, [64, 64], 10), [64, 64]),
    "Sequential from an OrderedDict, with dropout": (lambda: ordered_sequential(784, [128], 10), [128]),
}


def rows():
    return np.random.default_rng(1).uniform(0, 1, (6, 784)).astype(np.float32)


@pytest.mark.parametrize("with_probe", [True, False], ids=["outputs known", "order only"])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_the_contract_allows_is_read(layout, with_probe):
    torch.manual_seed(0)
    make, hidden = LAYOUTS[layout]
    model = make().eval()
    sizes = [784, *hidden, 10]
    outputs = probe_outputs(model, rows())
    sent = parameters_by_shape(model, sizes)
    layers = read_layers(sent["parameters"], sizes, layout, probe=(rows(), outputs) if with_probe else None)
    assert np.allclose(linear_forward(layers, rows()), outputs, rtol=1e-4, atol=1e-5)


def test_the_outputs_decide_between_biases_of_the_same_shape_registered_out_of_order():
    torch.manual_seed(3)
    model = ParameterLists(784, [10], 10).eval()
    weights = [w.detach().numpy() for w in model.weights]
    biases = [b.detach().numpy() for b in model.biases]
    swapped = [["weights.0", weights[0]], ["weights.1", weights[1]], ["biases.1", biases[1]], ["biases.0", biases[0]]]
    layers = read_layers(swapped, [784, 10, 10], "swapped", probe=(rows(), probe_outputs(model, rows())))
    assert np.allclose(linear_forward(layers, rows()), probe_outputs(model, rows()), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make, hidden, message", [
    (lambda: WithBatchNorm(784, [32], 10), [32], r"belong to no layer.*3 parameters of shape \(32,\).*net\.1\.weight"
                                                 r".*room for 1"),
    (lambda: WithScale(784, [32], 10), [32], r"belong to no layer.*temperature \(1,\)"),
    (lambda: ModuleListMLP(784, [100], 10), [64], r"no parameter is a 784 -> 64 weight matrix.*layers\.0\.weight "
                                                  r"\(100, 784\)"),
], ids=["BatchNorm", "a learnt scale", "wrong hidden size"])
def test_what_cannot_be_read_is_refused_and_named(make, hidden, message):
    sizes = [784, *hidden, 10]
    with pytest.raises(CheckFailed, match=message):
        read_layers(parameters_by_shape(make(), sizes)["parameters"], sizes, "the model")


def test_a_parameter_of_no_layer_shape_is_not_sent_whatever_its_size():
    model = ModuleListMLP(784, [32], 10)
    model.huge = nn.Parameter(torch.zeros(3000, 3000))
    sent = parameters_by_shape(model, [784, 32, 10])
    assert [name for name, value in sent["parameters"] if not isinstance(value, np.ndarray)] == ["huge"]
    assert sent["buffers"] == [["mean", [784]]]
    with pytest.raises(CheckFailed, match=r"huge \(3000, 3000\)"):
        read_layers(sent["parameters"], [784, 32, 10], "the model")


def test_many_layers_of_one_size_are_read_in_registration_order_without_a_combinatorial_search():
    torch.manual_seed(4)
    hidden = [8] * 12
    model = ParameterLists(784, hidden, 10).eval()
    sent = parameters_by_shape(model, [784, *hidden, 10])
    layers = read_layers(sent["parameters"], [784, *hidden, 10], "deep", probe=(rows(), probe_outputs(model, rows())))
    assert np.allclose(linear_forward(layers, rows()), probe_outputs(model, rows()), rtol=1e-4, atol=1e-5)
