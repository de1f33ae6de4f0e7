"""The one definition of valid hyper-parameters (HYPERPARAMS, TORCH_HYPERPARAMS).

    hyperparams_problems(hp, train_subset)        -> list of messages, [] when HYPERPARAMS is usable
    torch_hyperparams_problems(hp, train_subset)  -> the same for TORCH_HYPERPARAMS

Used by the students' self-check (its source is rendered into check.py, so it
needs nothing but the standard library) and meant for the graded tests.
An int is expected for sizes and epoch counts; an integral float (``8.0``) is
accepted too, since it means the same number of epochs; ``True`` is not a number.
"""
import math
import numbers

MLP_KEYS = ("dh", "lr", "epochs", "batch_size")
MLP_OPTIONAL = ("reg",)
TORCH_KINDS = ("logreg", "mlp", "convnet")
MAX_HIDDEN = 4096
MAX_EPOCHS = {"mlp": 1000, "torch": 10000}
MAX_LR = 10


def _show(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and type(value).__name__ != "bool_"


def _count_problem(what, value, high):
    """A message unless ``value`` is a whole number from 1 to ``high`` (8 or 8.0, not 8.5 or True)."""
    if value is None:
        return f"{what}: choose a value (it is None)."
    if not (_is_number(value) and math.isfinite(float(value)) and float(value).is_integer() and 1 <= value <= high):
        return f"{what} should be an int from 1 to {high}, but is {_show(value)}."
    return None


def _lr_problem(what, value):
    if value is None:
        return f"{what}: choose a value (it is None)."
    if not (_is_number(value) and math.isfinite(float(value)) and 0 < value <= MAX_LR):
        return f"{what} should be a learning rate with 0 < lr <= {MAX_LR}, but is {_show(value)}."
    return None


def _probability_problem(what, value):
    if not (_is_number(value) and 0 <= value < 1):
        return f"{what} should be a dropout probability in [0, 1), but is {_show(value)}."
    return None


def hyperparams_problems(hp, train_subset):
    """What is wrong with mlp.HYPERPARAMS (keyword arguments of train_mlp); [] when nothing is."""
    what = "HYPERPARAMS"
    if not isinstance(hp, dict):
        return [f"{what} should be a dict of keyword arguments for train_mlp "
                f"(dh, lr, epochs, batch_size, reg), but it is {_show(hp)}."]
    missing = [key for key in MLP_KEYS if key not in hp]
    extra = sorted(str(key) for key in hp if key not in MLP_KEYS + MLP_OPTIONAL)
    problems = []
    if missing:
        problems.append(f"{what} lacks the keys {missing}.")
    if extra:
        problems.append(f"{what} has keys {extra} that the grader cannot pass to train_mlp "
                        f"(allowed: {list(MLP_KEYS + MLP_OPTIONAL)}).")
    for key, high in (("dh", MAX_HIDDEN), ("epochs", MAX_EPOCHS["mlp"]), ("batch_size", train_subset)):
        if key in hp:
            problems.append(_count_problem(f"{what}['{key}']", hp[key], high))
    if "lr" in hp:
        problems.append(_lr_problem(f"{what}['lr']", hp["lr"]))
    if "reg" in hp:
        reg = hp["reg"]
        ok = isinstance(reg, (tuple, list)) and len(reg) == 4 and all(
            _is_number(v) and math.isfinite(float(v)) and 0 <= v < 1 for v in reg)
        if not ok:
            problems.append(f"{what}['reg'] should be a tuple of 4 numbers (l11, l12, l21, l22) with "
                            f"0 <= l < 1, but is {_show(reg)}.")
    return [p for p in problems if p]


def torch_hyperparams_problems(hp, train_subset):
    """What is wrong with torch_models.TORCH_HYPERPARAMS; [] when nothing is."""
    if not isinstance(hp, dict):
        return [f"TORCH_HYPERPARAMS should be a dict with the keys {list(TORCH_KINDS)}, but it is {_show(hp)}."]
    problems = [f"TORCH_HYPERPARAMS has no dict for {kind!r}." for kind in TORCH_KINDS
                if not isinstance(hp.get(kind), dict)]
    for kind in TORCH_KINDS:
        entry = hp.get(kind)
        if not isinstance(entry, dict):
            continue
        what = f"TORCH_HYPERPARAMS['{kind}']"
        required = ("epochs", "lr", "batch_size") + (("hidden", "dropout") if kind == "mlp" else ())
        missing = [key for key in required if key not in entry]
        if missing:
            problems.append(f"{what} lacks the keys {missing}.")
        for key, high in (("epochs", MAX_EPOCHS["torch"]), ("batch_size", train_subset)):
            if key in entry:
                problems.append(_count_problem(f"{what}['{key}']", entry[key], high))
        if "lr" in entry:
            problems.append(_lr_problem(f"{what}['lr']", entry["lr"]))
        options = entry.get("options")
        if options is not None and not isinstance(options, dict):
            problems.append(f"{what}['options'] should be a dict of keyword arguments for train_torch, "
                            f"but is {_show(options)}.")
        if kind == "mlp" and "hidden" in entry:
            hidden = entry["hidden"]
            ok = isinstance(hidden, (list, tuple)) and all(
                _count_problem("", size, MAX_HIDDEN) is None for size in hidden)
            if not ok:
                problems.append(f"{what}['hidden'] should be a list of hidden layer sizes (ints from 1 to "
                                f"{MAX_HIDDEN}), but is {_show(hidden)}.")
        for key in ("dropout",) if kind == "mlp" else ("p",) if kind == "convnet" else ():
            if key in entry:
                problems.append(_probability_problem(f"{what}['{key}']", entry[key]))
    return [p for p in problems if p]
