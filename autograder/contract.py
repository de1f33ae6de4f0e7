"""The student-facing contract's parts and names (../shared/assignment-api.md), in one place.

Everything that needs the list of parts (loading submissions, reading notebooks, ordering
results, the self-check, the build, the benches) or the names a part defines reads it here.
tests/test_contract.py keeps these tables equal to the contract document.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Name:
    name: str
    kind: str   # "function", "class" or "constant"


def _kind(name):
    """The contract's naming: CONSTANTS, Classes, functions."""
    return "constant" if name.isupper() else "class" if name[0].isupper() else "function"


_NAMES = {
    "calculus": ("sigmoid", "sigmoid_prime", "tanh_prime", "softplus", "softplus_prime", "sign", "abs_prime",
                 "relu", "relu_prime", "l2_squared_grad", "l1_grad", "onehot", "softmax", "log_softmax",
                 "softmax_jacobian", "binary_logistic_loss", "binary_logistic_loss_grad",
                 "binary_logistic_loss_hess", "cross_entropy", "cross_entropy_grad", "cross_entropy_hessian"),
    "linear_models": ("mse_cost", "mse_grad", "normal_equations", "max_learning_rate", "linear_regression_gd",
                      "logreg_predict_proba", "logreg_cost", "logreg_grad", "accuracy", "linear_trsf",
                      "softmax_regression_predict", "cost_ce", "softmax_regression_grad",
                      "train_softmax_regression", "perceptron_update", "train_perceptron"),
    "mlp": ("init_params", "fprop", "loss", "bprop", "bprop_loop", "finite_difference", "predict", "train_mlp",
            "HYPERPARAMS"),
    "conv": ("conv_output_size", "conv2d", "conv2d_multi", "max_pool2d"),
    "torch_models": ("autograd_descent", "dropout", "LogisticRegression", "MLP", "ConvNetDropout", "train_torch",
                     "TORCH_HYPERPARAMS"),
}
CONTRACT = {part: tuple(Name(name, _kind(name)) for name in names) for part, names in _NAMES.items()}
PARTS = tuple(CONTRACT)                 # in the contract's order: results are listed in it
TORCH_PARTS = ("torch_models",)         # the parts whose worker imports torch
PART_NAMES = {part: tuple(entry.name for entry in entries) for part, entries in CONTRACT.items()}


def constants(part):
    return tuple(entry.name for entry in CONTRACT[part] if entry.kind == "constant")


def part_rank(part):
    """Where ``part`` comes in the contract (unknown parts last): for ordering results."""
    return PARTS.index(part) if part in PARTS else len(PARTS)
