"""One-bug mutants of the reference solutions, as a declarative table.

Each mutant names the contract module and function it breaks, the exact text
of ``reference/<module>.py`` to replace and its replacement. ``build`` applies
it to a fresh copy of the reference at test time, so a mutant can never drift
from the code it mutates: when the reference changes and the snippet no longer
matches exactly once, ``MutantDrift`` says which mutant to update.

tests/corpus/test_mutants.py grades every mutant and checks that it loses points in a
test tagged with its function (whose message matches the mutant's ``message``,
when it has one), while a fair share of the module's other tests still pass.
"""
import os
import shutil
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE_DIR = os.path.join(ROOT, "reference")
from autograder.contract import PARTS as MODULES  # noqa: E402


class MutantDrift(AssertionError):
    """The reference no longer holds a mutant's snippet exactly once."""


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    function: str       # the contract name broken: some test tagged with it must lose points
    old: str            # exact text of reference/<module>.py, found exactly once
    new: str
    description: str
    message: str = ""   # regex: the message of a test tagged with `function` that lost points names the bug


M = Mutant
MUTANTS = [
    # ------------------------------------------------------------- calculus
    M("sigmoid_sign_flip", "calculus", "sigmoid",
      "return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
      "return np.where(x >= 0, e / (1.0 + e), 1.0 / (1.0 + e))",
      "sigmoid(x) returns sigma(-x) (exp(x) instead of exp(-x))"),
    M("relu_prime_one_at_zero", "calculus", "relu_prime",
      "return (np.asarray(x, dtype=float) > 0).astype(float)",
      "return (np.asarray(x, dtype=float) >= 0).astype(float)",
      "relu'(0) = 1 instead of 0"),
    M("softmax_axis1", "calculus", "softmax",
      "e = np.exp(z - z.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)",
      "e = np.exp(z - z.max(axis=1, keepdims=True))\n    return e / e.sum(axis=1, keepdims=True)",
      "softmax normalised over axis 1 (right for 2-D input only)"),
    M("softmax_unstable", "calculus", "softmax",
      "e = np.exp(z - z.max(axis=-1, keepdims=True))",
      "e = np.exp(z)",
      "softmax without subtracting the maximum (overflows for large logits)"),
    M("softmax_axis0", "calculus", "softmax",
      "return e / e.sum(axis=-1, keepdims=True)",
      "return e / e.sum(axis=0, keepdims=True)",
      "softmax normalised over axis 0 instead of the last axis"),
    M("log_softmax_unstable", "calculus", "log_softmax",
      "return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))",
      "return np.log(np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True))",
      "log_softmax as log(softmax) without the max shift (overflow, log(0))"),
    M("softplus_unstable", "calculus", "softplus",
      "return np.logaddexp(0.0, np.asarray(x, dtype=float))",
      "return np.log(1.0 + np.exp(np.asarray(x, dtype=float)))",
      "softplus as log(1 + exp(x)) (overflows at x = 1e4)"),
    M("abs_prime_one_at_zero", "calculus", "abs_prime",
      '    """(Sub)gradient of |x|: sign(x), taking 0 at x = 0."""\n    return sign(x)',
      '    """(Sub)gradient of |x|."""\n    return np.where(np.asarray(x, dtype=float) >= 0, 1.0, -1.0)',
      "derivative of |x| is +1 at 0 instead of 0"),
    M("softmax_jacobian_no_diagonal", "calculus", "softmax_jacobian",
      "return s[..., :, None] * (np.eye(K) - s[..., None, :])",
      "return -s[..., :, None] * s[..., None, :]",
      "softmax Jacobian without the diagonal term s_j delta_jk"),
    M("binary_logistic_loss_swapped", "calculus", "binary_logistic_loss",
      "return y * softplus(-z) + (1.0 - y) * softplus(z)",
      "return y * softplus(z) + (1.0 - y) * softplus(-z)",
      "binary logistic loss with the two classes swapped"),
    M("cross_entropy_grad_sign_flip", "calculus", "cross_entropy_grad",
      "return s - onehot(y, s.shape[-1])",
      "return onehot(y, s.shape[-1]) - s",
      "cross-entropy gradient onehot - softmax (flipped sign)"),
    M("cross_entropy_grad_transposed", "calculus", "cross_entropy_grad",
      "return s - onehot(y, s.shape[-1])",
      "return (s - onehot(y, s.shape[-1])).T",
      "cross-entropy gradient returned transposed, (K, n)"),
    # -------------------------------------------------------- linear_models
    M("mse_grad_sum", "linear_models", "mse_grad",
      "return X.T @ (X @ w - y) / X.shape[0]",
      "return X.T @ (X @ w - y)",
      "MSE gradient summed over the examples instead of averaged"),
    M("normal_equations_no_l2", "linear_models", "normal_equations",
      "A = X.T @ X + l2 * np.eye(X.shape[1])",
      "A = X.T @ X",
      "ridge normal equations ignore l2"),
    M("max_learning_rate_no_factor_2", "linear_models", "max_learning_rate",
      "return 2.0 / np.linalg.eigvalsh(H)[-1]",
      "return 1.0 / np.linalg.eigvalsh(H)[-1]",
      "largest learning rate 1/lambda_max instead of 2/lambda_max"),
    M("linear_regression_gd_short_costs", "linear_models", "linear_regression_gd",
      "costs = [mse_cost(X, y, w)]\n    for _ in range(n_steps):",
      "costs = []\n    for _ in range(n_steps):",
      "costs has n_steps entries (the initial cost is missing)"),
    M("logreg_grad_missing_db", "linear_models", "logreg_grad",
      "return X.T @ r / X.shape[0], float(np.mean(r))",
      "return X.T @ r / X.shape[0], 0.0",
      "logistic regression gradient without the bias term db"),
    M("accuracy_count", "linear_models", "accuracy",
      "return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))",
      "return float(np.sum(np.asarray(y_true) == np.asarray(y_pred)))",
      "accuracy as a count of hits instead of a fraction"),
    M("softmax_regression_grad_sum", "linear_models", "softmax_regression_grad",
      "G = cross_entropy_grad(linear_trsf(X, W, b), y) / X.shape[0]",
      "G = cross_entropy_grad(linear_trsf(X, W, b), y)",
      "softmax regression gradient summed over the batch instead of averaged"),
    M("train_softmax_regression_bias_ascent", "linear_models", "train_softmax_regression",
      "W, b = W - lr * dW, b - lr * db",
      "W, b = W - lr * dW, b + lr * db",
      "SGD step on the bias goes uphill"),
    M("train_softmax_regression_one_permutation", "linear_models", "train_softmax_regression",
      "    for _ in range(epochs):\n        order = rng.permutation(n)\n",
      "    order = rng.permutation(n)   # drawn once: every epoch visits the batches in the same order\n"
      "    for _ in range(epochs):\n",
      "the same permutation in every epoch", message="visit the mini-batches in the same order"),
    M("train_softmax_regression_drops_partial_batch", "linear_models", "train_softmax_regression",
      "        for start in range(0, n, batch_size):\n            # A batch",
      "        for start in range(0, n - batch_size + 1, batch_size):\n            # A batch",
      "the last, partial mini-batch of each epoch is dropped",
      message="the last, partial mini-batch of each epoch is dropped"),
    M("perceptron_ties_last", "linear_models", "perceptron_update",
      "y_hat = int(np.argmax(W @ x))",
      "scores = W @ x\n    y_hat = int(len(scores) - 1 - np.argmax(scores[::-1]))",
      "perceptron argmax takes the last index on ties"),
    # ------------------------------------------------------------------ mlp
    M("init_params_fan_out", "mlp", "init_params",
      "a1, a2 = 1.0 / np.sqrt(d), 1.0 / np.sqrt(dh)",
      "a1, a2 = 1.0 / np.sqrt(dh), 1.0 / np.sqrt(m)",
      "init bound from the fan-out instead of the fan-in"),
    M("fprop_no_relu", "mlp", "fprop",
      "hs = relu(ha)\n    oa = hs @",
      "hs = ha\n    oa = hs @",
      "hidden layer without the ReLU"),
    M("loss_missing_penalty", "mlp", "loss",
      "return float(np.mean(cross_entropy(oa, y))) + penalty(params, reg)",
      "return float(np.mean(cross_entropy(oa, y)))",
      "loss without the elastic-net penalty"),
    M("bprop_dW1_transposed", "mlp", "bprop",
      '"W1": d_ha.T @ X + pen_W1,',
      '"W1": X.T @ d_ha + pen_W1.T,',
      "dW1 returned transposed, (d, dh)"),
    M("bprop_sum_over_batch", "mlp", "bprop",
      'd_oa = (f["os"] - onehot(y, m)) / n',
      'd_oa = f["os"] - onehot(y, m)',
      "bprop sums over the batch instead of averaging"),
    M("bprop_missing_l1", "mlp", "bprop",
      "return l11 * sign(W1) + 2 * l12 * W1, l21 * sign(W2) + 2 * l22 * W2",
      "return 2 * l12 * W1, 2 * l22 * W2",
      "gradient of the penalty without the L1 terms"),
    M("bprop_loop_sum", "mlp", "bprop_loop",
      "d_oa = (os - onehot([y[i]], m)[0]) / n",
      "d_oa = os - onehot([y[i]], m)[0]",
      "bprop_loop sums the per-example gradients instead of averaging"),
    M("finite_difference_not_restored", "mlp", "finite_difference",
      "value[j] = saved  # the saved value, not (saved - eps) + eps",
      "pass  # forgot to put the saved value back",
      "finite_difference leaves every entry at (value - eps)"),
    M("finite_difference_one_sided", "mlp", "finite_difference",
      "grad[j] = (f_plus - f_minus) / (2 * eps)",
      "grad[j] = (f_plus - f_minus) / eps",
      "central difference divided by eps instead of 2 eps"),
    M("finite_difference_fixed_eps", "mlp", "finite_difference",
      "        grad = np.zeros(np.shape(value))\n        for j in np.ndindex(*np.shape(value)):",
      "        grad = np.zeros(np.shape(value))\n        eps = 1e-5   # the argument is ignored\n"
      "        for j in np.ndindex(*np.shape(value)):",
      "finite_difference ignores its eps argument"),
    M("bprop_zero_bias_gradient", "mlp", "bprop",
      "\"b2\": d_oa.sum(axis=0),", "\"b2\": np.zeros(d_oa.shape[1]),",
      "bprop returns a zero gradient for b2"),
    M("train_mlp_error_is_accuracy", "mlp", "train_mlp",
      "wrong += int(np.sum(np.argmax(oa, axis=1) != y[s:s + CHUNK]))",
      "wrong += int(np.sum(np.argmax(oa, axis=1) == y[s:s + CHUNK]))",
      "history train_error holds the accuracy"),
    M("init_params_shared_draws", "mlp", "init_params",
      '    return {\n        "W1": rng.uniform(-a1, a1, size=(dh, d)),\n        "b1": np.zeros(dh),\n'
      '        "W2": rng.uniform(-a2, a2, size=(m, dh)),',
      "    u = rng.uniform(-1.0, 1.0, size=max(dh * d, m * dh))   # one draw shared by both matrices\n"
      '    return {\n        "W1": a1 * u[:dh * d].reshape(dh, d),\n        "b1": np.zeros(dh),\n'
      '        "W2": a2 * u[:m * dh].reshape(m, dh),',
      "W1 and W2 share the same random draws"),
    M("train_mlp_one_permutation", "mlp", "train_mlp",
      "    for _ in range(epochs):\n        order = rng.permutation(n)\n",
      "    order = rng.permutation(n)   # drawn once: every epoch visits the batches in the same order\n"
      "    for _ in range(epochs):\n",
      "the same permutation in every epoch", message="visit the mini-batches in the same order"),
    M("train_mlp_drops_partial_batch", "mlp", "train_mlp",
      "        for start in range(0, n, batch_size):\n            batch = order[start:start + batch_size]",
      "        for start in range(0, n - batch_size + 1, batch_size):\n"
      "            batch = order[start:start + batch_size]",
      "the last, partial mini-batch of each epoch is dropped",
      message="the last, partial mini-batch of each epoch is dropped"),
    M("train_mlp_xy_shuffled_apart", "mlp", "train_mlp",
      "        order = rng.permutation(n)\n        for start in range(0, n, batch_size):\n"
      "            batch = order[start:start + batch_size]\n"
      "            grads = bprop(params, X[batch].astype(float), y[batch], reg)",
      "        order, label_order = rng.permutation(n), rng.permutation(n)\n"
      "        for start in range(0, n, batch_size):\n"
      "            batch = order[start:start + batch_size]\n"
      "            grads = bprop(params, X[batch].astype(float), y[label_order[start:start + batch_size]], reg)",
      "X and y shuffled with different permutations", message="X and y were shuffled with different permutations"),
    M("train_mlp_penalty_not_trained", "mlp", "train_mlp",
      "grads = bprop(params, X[batch].astype(float), y[batch], reg)",
      "grads = bprop(params, X[batch].astype(float), y[batch])   # reg only reported, never trained on",
      "the penalty is reported in the history but not trained on", message="the penalty is not trained on"),
    # ----------------------------------------------------------------- conv
    M("conv_output_size_off_by_one", "conv", "conv_output_size",
      "return (n + 2 * padding - k) // stride + 1",
      "return (n + 2 * padding - k) // stride",
      "output size without the +1"),
    M("conv2d_flipped_kernel", "conv", "conv2d",
      "return np.tensordot(windows, kernel, axes=([2, 3], [0, 1]))",
      "return np.tensordot(windows, kernel[::-1, ::-1], axes=([2, 3], [0, 1]))",
      "true convolution (flipped kernel) instead of cross-correlation"),
    M("conv2d_multi_ignores_padding", "conv", "conv2d_multi",
      "xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))",
      "xp = x",
      "conv2d_multi ignores padding"),
    M("conv2d_multi_ignores_bias", "conv", "conv2d_multi",
      "out = out + np.asarray(b, dtype=float)[None, :, None, None]",
      "out = out",
      "conv2d_multi ignores the bias"),
    M("max_pool_keeps_partial_windows", "conv", "max_pool2d",
      "windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]",
      "H, W = x.shape[2:]\n"
      "    Ho, Wo = -(-(H - kh) // sh) + 1, -(-(W - kw) // sw) + 1\n"
      "    x = np.pad(x, ((0, 0), (0, 0), (0, (Ho - 1) * sh + kh - H), (0, (Wo - 1) * sw + kw - W)),\n"
      "               constant_values=-np.inf)\n"
      "    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]",
      "max pooling keeps the windows that do not fit (ceil mode)"),
    M("max_pool_ignores_stride", "conv", "max_pool2d",
      "sh, sw = _pair(size if stride is None else stride)",
      "sh, sw = _pair(size)",
      "max pooling ignores stride"),
    # --------------------------------------------------------- torch_models
    M("autograd_descent_sign_flip", "torch_models", "autograd_descent",
      "w -= lr * w.grad",
      "w += lr * w.grad",
      "gradient ascent instead of descent"),
    M("autograd_descent_grad_not_zeroed", "torch_models", "autograd_descent",
      "w.grad.zero_()",
      "pass",
      "gradients accumulate across steps (no w.grad.zero_())"),
    M("dropout_not_rescaled", "torch_models", "dropout",
      "return x * keep / (1.0 - p)",
      "return x * keep",
      "dropout survivors not scaled by 1/(1-p)"),
    M("dropout_active_in_eval", "torch_models", "dropout",
      "if not training or p == 0.0:",
      "if p == 0.0:",
      "dropout active when training=False"),
    M("mlp_without_dropout", "torch_models", "MLP",
      "if dropout > 0:\n                layers.append(nn.Dropout(dropout))",
      "if dropout > 1:\n                layers.append(nn.Dropout(dropout))",
      "MLP never adds its dropout layers"),
    M("convnet_without_dropout", "torch_models", "ConvNetDropout",
      "self.dropout = nn.Dropout(p)",
      "self.dropout = nn.Identity()",
      "ConvNetDropout without any dropout layer"),
    M("dropout_same_mask_every_call", "torch_models", "dropout",
      "keep = rng.random(x.shape) >= p",
      "keep = np.random.default_rng(0).random(x.shape) >= p",
      "dropout draws its mask from a generator of its own with a fixed seed: the same mask on every call"),
    M("dropout_own_generator", "torch_models", "dropout",
      "keep = rng.random(x.shape) >= p",
      "keep = np.random.random(x.shape) >= p",
      "dropout draws its mask from np.random instead of rng"),
    M("train_torch_momentum_as_average", "torch_models", "train_torch",
      "return torch.optim.SGD(params, lr=lr, **options)",
      "return torch.optim.SGD(params, lr=lr, dampening=options.get('momentum', 0.0), **options)",
      "momentum written as an exponential average (dampening = momentum)",
      message="momentum written as an exponential average"),
    M("train_torch_summed_losses", "torch_models", "train_torch",
      "losses.append(total / n)",
      "losses.append(total)",
      "train_torch reports the summed loss per epoch instead of the mean",
      message="the sum over the examples instead of the mean"),
    M("train_torch_eval_left_on", "torch_models", "train_torch",
      "        losses.append(total / n)",
      "        model.eval()   # to evaluate after the epoch; train() is never called again\n"
      "        losses.append(total / n)",
      "dropout off from the second epoch on: eval() after each epoch, never train() again",
      message=r"training steps ran with the model in eval\(\) mode"),
    M("train_torch_xy_shuffled_apart", "torch_models", "train_torch",
      "loss = F.cross_entropy(model(X[idx]), y[idx])",
      "loss = F.cross_entropy(model(X[idx]), y[torch.randperm(n, generator=shuffler)[:len(idx)]])",
      "X and y shuffled with different permutations", message="X and y were shuffled with different permutations"),
    M("train_torch_optimizer_per_epoch", "torch_models", "train_torch",
      "    optimizer = _make_optimizer(model.parameters(), lr, options)\n    model.train()\n    losses = []\n"
      "    for _ in range(epochs):\n",
      "    model.train()\n    losses = []\n    for _ in range(epochs):\n"
      "        optimizer = _make_optimizer(model.parameters(), lr, options)   # a new one (and momentum) each epoch\n",
      "the optimizer is created anew every epoch, so momentum restarts from zero",
      message="the optimizer is created anew in every epoch"),
    M("train_torch_one_order", "torch_models", "train_torch",
      "    for _ in range(epochs):\n        order = torch.randperm(n, generator=shuffler)\n",
      "    order = torch.randperm(n, generator=shuffler)   # drawn once: the same order every epoch\n"
      "    for _ in range(epochs):\n",
      "the same order in every epoch", message="visit the mini-batches in the same order"),
    M("train_torch_drops_partial_batch", "torch_models", "train_torch",
      "        for start in range(0, n, batch_size):\n            idx = order[start:start + batch_size]",
      "        for start in range(0, n - batch_size + 1, batch_size):\n"
      "            idx = order[start:start + batch_size]",
      "the last, partial mini-batch of each epoch is dropped",
      message="the last, partial mini-batch of each epoch is dropped"),
]

BY_NAME = {m.name: m for m in MUTANTS}
assert len(BY_NAME) == len(MUTANTS), "mutant names must be unique"


def mutated_source(mutant, reference_dir=REFERENCE_DIR):
    """The text of reference/<module>.py with the mutant's one change applied."""
    path = os.path.join(reference_dir, f"{mutant.module}.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    count = source.count(mutant.old)
    if count != 1:
        raise MutantDrift(f"mutant {mutant.name!r}: its snippet occurs {count} times in {path} "
                          f"(expected exactly once); update tests/mutants.py.\nSnippet:\n{mutant.old}")
    return source.replace(mutant.old, mutant.new)


def build(mutants, destination, reference_dir=REFERENCE_DIR):
    """Write a submission folder: the five reference files with ``mutants`` applied (one per module)."""
    modules = [m.module for m in mutants]
    if len(set(modules)) != len(modules):
        raise ValueError("at most one mutant per module in one submission")
    os.makedirs(destination, exist_ok=True)
    for module in MODULES:
        source = os.path.join(reference_dir, f"{module}.py")
        if os.path.exists(source):
            shutil.copyfile(source, os.path.join(destination, f"{module}.py"))
    for mutant in mutants:
        with open(os.path.join(destination, f"{mutant.module}.py"), "w", encoding="utf-8") as f:
            f.write(mutated_source(mutant, reference_dir))
    return destination
