"""The train_torch test's checks (autograder/judge/torch_training.py) on training functions run in this
process: the sandbox's task (autograder/sandbox/tasks.py, with its record of the dropout layer's mode
during training steps) is called directly, without a sandbox in between.

Correct styles (the reference; a DataLoader with a generator and reduction='sum' divided by the batch
size; global seeding with randperm(...).split) pass every check on several seeds; each one-bug mutant
of tests/mutants.py for train_torch fails the check meant for it, with the message naming the bug;
a train_torch that trains a copy of the model fails every check.
"""
import types

import numpy as np
import pytest

from autograder.errors import CheckFailed
from autograder.judge import torch_training as train_torch
from autograder.sandbox import tasks
from tests import mutants as mutant_table

pytest.importorskip("torch")

REFERENCE = mutant_table.REFERENCE_DIR + "/torch_models.py"

STYLES = {
    "DataLoader with a generator, reduction='sum' / batch size, eval() between epochs": '''
def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    from torch.utils.data import DataLoader, TensorDataset
    torch.manual_seed(seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    options = dict(options)
    maker = torch.optim.Adam if options.pop("optimizer", "sgd") == "adam" else torch.optim.SGD
    optimizer = maker(model.parameters(), lr=lr, **options)
    losses = []
    for _ in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb, reduction="sum")
            (loss / len(xb)).backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / len(X))
        model.eval()
        with torch.no_grad():
            model(X[:10])
    return losses
''',
    "global seed, randperm(n).split(batch_size)": '''
def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    torch.manual_seed(seed)
    options = dict(options)
    maker = torch.optim.Adam if options.pop("optimizer", "sgd") == "adam" else torch.optim.SGD
    optimizer = maker(model.parameters(), lr=lr, **options)
    out = []
    model.train()
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(X)).split(batch_size):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        out.append(total / len(X))
    return out
''',
    "trains a copy of the model": '''
import copy as _copy
_honest = train_torch
def train_torch(model, X, y, epochs, lr, batch_size, seed, **options):
    return _honest(_copy.deepcopy(model), X, y, epochs, lr, batch_size, seed, **options)
''',
}


class InProcess:
    """Stands for a StudentModule: runs the sandbox's tasks here, on a module built from source."""

    def __init__(self, source):
        self.module = types.ModuleType("torch_models")
        exec(compile(source, "torch_models.py", "exec"), self.module.__dict__)

    def task(self, task, /, *, exercises, what=None, timeout, cpu_budget=None, **kwargs):
        return getattr(tasks, task)(self.module, **kwargs)


def reference_source():
    with open(REFERENCE, encoding="utf-8") as f:
        return f.read()


CHECKS = {"full batch": train_torch.check_full_batch, "steps": train_torch.check_steps_and_mean_loss,
          "epochs": train_torch.check_epoch_replays, "together": train_torch.check_shuffled_together,
          "momentum": train_torch.check_momentum, "train mode": train_torch.check_train_mode,
          "learns": train_torch.check_learns}


@pytest.mark.parametrize("seed", range(1))
@pytest.mark.parametrize("style", ["reference"] + [s for s in STYLES if "copy" not in s])
def test_correct_styles_pass_every_check(style, seed):
    module = InProcess(reference_source() + STYLES.get(style, ""))
    for name, check in CHECKS.items():
        check(module, np.random.default_rng(seed))


def test_a_copy_trained_in_place_of_the_model_fails_every_check():
    module = InProcess(reference_source() + STYLES["trains a copy of the model"])
    for name, check in CHECKS.items():
        with pytest.raises(CheckFailed):
            check(module, np.random.default_rng(0))


EXPECTED = {   # mutant of tests/mutants.py -> (check meant for it, what its message must say)
    "train_torch_one_order": ("epochs", "visit the mini-batches in the same order"),
    "train_torch_drops_partial_batch": ("epochs", "partial mini-batch of each epoch is dropped"),
    "train_torch_xy_shuffled_apart": ("together", "X and y were shuffled with different permutations"),
    "train_torch_eval_left_on": ("train mode", r"training steps ran with the model in eval\(\) mode"),
    "train_torch_optimizer_per_epoch": ("momentum", "optimizer is created anew in every epoch"),
    "train_torch_momentum_as_average": ("momentum", "exponential average"),
    "train_torch_summed_losses": ("steps", "the sum over the examples instead of the mean"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_mutant_fails_its_check_with_a_message_naming_the_bug(name):
    check, message = EXPECTED[name]
    module = InProcess(mutant_table.mutated_source(mutant_table.BY_NAME[name]))
    with pytest.raises(CheckFailed, match=message):
        CHECKS[check](module, np.random.default_rng(0))


def test_every_train_torch_mutant_is_covered_here():
    assert {m.name for m in mutant_table.MUTANTS if m.function == "train_torch"} == set(EXPECTED)
