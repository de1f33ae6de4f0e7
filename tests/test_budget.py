"""The memory budget: the student's share sits above a measured baseline, whatever torch build is installed."""
import json
import os

import pytest

from autograder import config
from autograder.sandbox import budget as budget_module
from autograder.sandbox.budget import MemoryBudget, measure_baseline

# An idle CPU torch worker small enough that its share is not cut by the tree cap (see the next tests).
CPU = {"numpy": {"pss_mb": 15, "vm_peak_mb": 136, "torch": None, "cuda": None},
       "torch": {"pss_mb": 240, "vm_peak_mb": 695, "torch": "2.13.0+cpu", "cuda": None}}
CUDA = dict(CPU, torch={"pss_mb": 850, "vm_peak_mb": 3370, "torch": "2.13.0+cu130", "cuda": "13.0"})


@pytest.fixture(autouse=True)
def small_grader(monkeypatch):
    """This test process may have imported torch; a grader never does."""
    monkeypatch.setattr(budget_module, "own_memory_mb", lambda: 90)


def fake(found, calls=None):
    def measure(kind, env):
        if calls is not None:
            calls.append(kind)
        return dict(found[kind])
    return measure


def share(module):
    return config.STUDENT_MEMORY_MB.get(module, config.STUDENT_MEMORY_MB["default"])


def test_the_student_gets_the_same_share_above_the_baseline_on_cpu_and_cuda_builds():
    cpu, cuda = MemoryBudget(measure=fake(CPU), cache_file=None), MemoryBudget(measure=fake(CUDA), cache_file=None)
    for module in ("calculus", "mlp", "torch_models"):
        kind = budget_module.baseline_kind(module)
        assert cpu.memory_mb(module) - CPU[kind]["pss_mb"] == share(module)
        assert cuda.memory_mb(module) - CUDA[kind]["pss_mb"] == share(module)
    assert cuda.address_space_mb("torch_models", 3072) >= 3370 + config.STUDENT_ADDRESS_SPACE_MB
    assert any("CUDA build" in note for note in cuda.notes()) and not cpu.notes()


def test_with_a_cpu_build_the_whole_tree_stays_within_the_cap():
    big = dict(CPU, torch=dict(CPU["torch"], pss_mb=500))
    budget = MemoryBudget(measure=fake(big), cache_file=None)
    assert budget.memory_mb("torch_models") == config.TREE_MEMORY_MB - budget.grader_mb
    for module in ("calculus", "mlp", "torch_models"):
        assert budget.grader_mb + budget.memory_mb(module) <= config.TREE_MEMORY_MB < 768
    assert [note for note in budget.notes() if "torch_models: the student's share was cut" in note]


def test_a_failed_measurement_falls_back_and_says_so():
    def broken(kind, env):
        raise RuntimeError(f"the {kind} memory probe failed: ImportError")
    budget = MemoryBudget(measure=broken, cache_file=None)
    assert budget.memory_mb("torch_models") == config.BASELINE_FALLBACK_MB["torch"] + share("torch_models")
    assert any("probe failed" in note for note in budget.notes())


def test_baselines_are_measured_once_per_environment_and_a_foreign_cache_is_ignored(tmp_path):
    cache, calls = tmp_path / "baselines.json", []
    MemoryBudget(measure=fake(CPU, calls), cache_file=str(cache)).memory_mb("torch_models")
    MemoryBudget(measure=fake(CPU, calls), cache_file=str(cache)).memory_mb("torch_models")
    assert calls == ["torch", "torch"]  # two runs, the smaller kept, for both gradings
    data = json.loads(cache.read_text())
    cache.write_text(json.dumps({key: dict(value, pss_mb=5000) for key, value in data.items()}))
    os.chmod(cache, 0o666)  # anyone could have written this: not trusted
    assert MemoryBudget(measure=fake(CPU, calls), cache_file=str(cache)).memory_mb("torch_models") < 1000
    assert calls == ["torch"] * 4


def test_an_idle_numpy_worker_is_measured_here():
    found = measure_baseline("numpy")
    assert 5 <= found["pss_mb"] <= 200 and found["vm_peak_mb"] >= found["pss_mb"]
    assert found["torch"] is None
