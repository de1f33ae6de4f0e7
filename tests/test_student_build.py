"""What ships to students is generated: the committed copies equal a fresh build, and the rules they
render in (the grader's numbers, valid hyper-parameters) are the grader's own."""
import os
import runpy
import sys

import pytest

from autograder import config
from autograder.judge import hyperparams
from autograder.student import build as student_build

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("name", ["check.py", "homework.ipynb"])
def test_the_committed_copy_is_a_fresh_build(name):
    path = os.path.join(REPO, "student_template", name)
    with open(path, encoding="utf-8") as f:
        committed = f.read()
    assert committed == student_build.generated()[path], \
        f"student_template/{name} is out of date: run `python -m autograder build --student` and commit it"


def test_the_generated_check_holds_the_graders_numbers_and_rules():
    namespace = runpy.run_path(os.path.join(REPO, "student_template", "check.py"), run_name="not_main")
    assert namespace["TRAIN_SUBSET"] == config.TRAIN_SUBSET
    assert namespace["MLP_MAX_TEST_ERROR"] == config.MLP_MAX_TEST_ERROR
    assert namespace["TORCH_MIN_TEST_ACCURACY"] == config.TORCH_MIN_TEST_ACCURACY
    assert namespace["TRAIN_CPU_SECONDS"] == config.TRAIN_CPU_SECONDS
    bad = {"dh": 100, "lr": 0.1, "epochs": 8.5, "batch_size": 64}
    assert namespace["hyperparams_problems"](bad, 100) == hyperparams.hyperparams_problems(bad, 100) != []


GOOD_MLP = {"dh": 128, "lr": 0.1, "epochs": 8, "batch_size": 64, "reg": (0, 1e-4, 0, 1e-4)}
GOOD_TORCH = {"logreg": {"epochs": 3, "lr": 0.1, "batch_size": 64},
              "mlp": {"epochs": 5, "lr": 0.1, "batch_size": 64, "hidden": [128], "dropout": 0.2,
                      "options": {"momentum": 0.9}},
              "convnet": {"epochs": 2, "lr": 0.05, "batch_size": 64, "p": 0.5}}


def test_usable_hyperparams_have_no_problem_and_an_integral_float_counts_as_an_int():
    assert hyperparams.hyperparams_problems(GOOD_MLP, 20000) == []
    assert hyperparams.hyperparams_problems(dict(GOOD_MLP, epochs=8.0, dh=128.0), 20000) == []
    assert hyperparams.torch_hyperparams_problems(GOOD_TORCH, 20000) == []
    np = pytest.importorskip("numpy")
    assert hyperparams.hyperparams_problems(dict(GOOD_MLP, epochs=np.int64(8), lr=np.float32(0.1)), 20000) == []


@pytest.mark.parametrize("change, message", [
    ({"epochs": 8.5}, "HYPERPARAMS['epochs'] should be an int from 1 to 1000, but is 8.5."),
    ({"epochs": True}, "HYPERPARAMS['epochs'] should be an int from 1 to 1000, but is True."),
    ({"dh": None}, "HYPERPARAMS['dh']: choose a value (it is None)."),
    ({"batch_size": 50000}, "HYPERPARAMS['batch_size'] should be an int from 1 to 20000, but is 50000."),
    ({"lr": float("nan")}, "HYPERPARAMS['lr'] should be a learning rate with 0 < lr <= 10, but is nan."),
    ({"reg": (0, 0, 0)}, "HYPERPARAMS['reg'] should be a tuple of 4 numbers"),
    ({"momentum": 0.9}, "HYPERPARAMS has keys ['momentum'] that the grader cannot pass to train_mlp"),
])
def test_each_unusable_mlp_hyperparameter_is_named(change, message):
    problems = hyperparams.hyperparams_problems(dict(GOOD_MLP, **change), 20000)
    assert len(problems) == 1 and problems[0].startswith(message), problems


def test_each_unusable_torch_hyperparameter_is_named():
    assert hyperparams.torch_hyperparams_problems([1], 20000)[0].startswith("TORCH_HYPERPARAMS should be a dict")
    broken = {"logreg": dict(GOOD_TORCH["logreg"], epochs=0),
              "mlp": dict(GOOD_TORCH["mlp"], hidden=[128, 2.5], options=["momentum"]),
              "convnet": dict(GOOD_TORCH["convnet"], p=1.0)}
    problems = hyperparams.torch_hyperparams_problems(broken, 20000)
    assert [p.split(" should")[0] for p in problems] == [
        "TORCH_HYPERPARAMS['logreg']['epochs']", "TORCH_HYPERPARAMS['mlp']['options']",
        "TORCH_HYPERPARAMS['mlp']['hidden']", "TORCH_HYPERPARAMS['convnet']['p']"]
    missing = hyperparams.torch_hyperparams_problems({"logreg": {}, "mlp": GOOD_TORCH["mlp"]}, 20000)
    assert missing[0] == "TORCH_HYPERPARAMS has no dict for 'convnet'."
    assert "TORCH_HYPERPARAMS['logreg'] lacks the keys ['epochs', 'lr', 'batch_size']." in missing


def test_each_parts_checks_live_in_that_parts_file_each_under_its_own_name():
    import importlib
    registry = importlib.import_module("autograder.student.checks.registry")
    for part in ("calculus", "linear_models", "mlp", "conv", "torch_models"):
        importlib.import_module(f"autograder.student.checks.{part}")
    by_file = {}
    for module, _, title, function in registry.CHECKS:
        by_file.setdefault(function.__module__.rsplit(".", 1)[-1], set()).add(module)
        assert function.__module__ == f"autograder.student.checks.{module}", title
    assert by_file == {part: {part} for part in ("calculus", "linear_models", "mlp", "conv", "torch_models")}
    names = [function.__name__ for _, _, _, function in registry.CHECKS]
    assert len(set(names)) == len(names) and not any(name.strip("_") == "" for name in names), names


@pytest.fixture
def make_modules(tmp_path, monkeypatch):
    """Write small modules into a fresh folder on sys.path; returns their names."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(**sources):
        for name, source in sources.items():
            (tmp_path / f"{name}.py").write_text(source)
        return list(sources)
    return make


HEAD = '"""Head."""\nimport os\n'


def test_a_single_file_writes_values_inlines_modules_once_and_aliases_names(make_modules):
    from autograder.student import single_file
    make_modules(sf_head=HEAD, sf_first='"""First."""\nimport os\n\nfrom autograder.config import TRAIN_SUBSET\n'
                 'from autograder.judge.numerics import EXTREMES as BIG\n\n\ndef first():\n    return BIG, TRAIN_SUBSET\n',
                 sf_second='"""Second."""\nfrom autograder.judge.numerics import numerical_gradient\n\n\n'
                 'def second():\n    return numerical_gradient\n')
    text = single_file.render("sf_head", ["sf_first", "sf_second"], values=("autograder.config",))
    assert text.count("def numerical_gradient(") == 1 and text.count("import os") == 1
    assert f"TRAIN_SUBSET = {config.TRAIN_SUBSET!r}" in text and "BIG = EXTREMES" in text
    assert text.index("def numerical_gradient(") < text.index("def first(") < text.index("def second(")
    namespace = {}
    exec(compile(text, "single_file", "exec"), namespace)  # noqa: S102 - our own modules
    assert namespace["first"]()[1] == config.TRAIN_SUBSET and namespace["second"]() is namespace["numerical_gradient"]


@pytest.mark.parametrize("body", [
    "from reference.calculus import sigmoid\n",                       # a solution
    "def f():\n    from autograder.config import TRAIN_SUBSET\n",      # not at the top: would stay in the file
    "import autograder.config\n",                                      # a module name that would not exist
    "from autograder.judge.numerics import EXTREMES\n\nEXTREMES = 1\n",  # one namespace: defined twice
    "from autograder.judge.numerics import no_such_name\n",
])
def test_a_single_file_refuses_what_would_break_it(make_modules, body):
    from autograder.student import single_file
    make_modules(sf_head=HEAD, sf_bad='"""Bad."""\n' + body)
    with pytest.raises(single_file.RenderError):
        single_file.render("sf_head", ["sf_bad"])
    assert "sf_bad" not in sys.modules  # read, never run
