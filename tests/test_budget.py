"""The memory budget: a worker's limit follows from the machine's size alone, stated in the
measure the watchdog judges on (peak resident memory), whatever the baseline measured."""
import json
import os

import pytest

from autograder import config
from autograder.sandbox import budget as budget_module
from autograder.sandbox.budget import MemoryBudget, measure_baseline

CPU = {"numpy": {"peak_mb": 24, "vm_peak_mb": 136, "torch": None, "cuda": None},
       "torch": {"peak_mb": 300, "vm_peak_mb": 695, "torch": "2.13.0+cpu", "cuda": None}}
CUDA = dict(CPU, torch={"peak_mb": 875, "vm_peak_mb": 3370, "torch": "2.13.0+cu130", "cuda": "13.0"})
MODULES = ("calculus", "mlp", "torch_models")


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


def test_a_worker_may_hold_what_the_machine_leaves_once_grader_and_margin_are_kept():
    budget = MemoryBudget(measure=fake(CPU), cache_file=None)
    for module in MODULES:
        assert budget.memory_mb(module) == 768 - config.WATCHDOG_MARGIN_MB - config.GRADER_MEMORY_MB
        assert budget.grader_mb + budget.memory_mb(module) + config.WATCHDOG_MARGIN_MB <= 768
    assert not budget.notes()


def test_the_limit_does_not_swing_with_the_measured_baseline():
    """An idle torch worker measured 290 MB at one setup and 365 MB at another (PSS): the limit,
    and so the verdict, must not follow."""
    limits = {MemoryBudget(measure=fake(dict(CPU, torch=dict(CPU["torch"], peak_mb=idle))), cache_file=None)
              .memory_mb("torch_models") for idle in (290, 300, 365)}
    assert len(limits) == 1


def test_the_budget_follows_the_machine_the_instructor_chose():
    small, large = (MemoryBudget(measure=fake(CPU), cache_file=None, container_mb=size) for size in (768, 1536))
    assert large.memory_mb("torch_models") - small.memory_mb("torch_models") == 1536 - 768
    assert large.describe()["container_mb"] == 1536
    table = "\n".join(large.table(87))
    assert "1536 MB" in table and "torch_models" in table


def test_default_machine_size_comes_from_the_built_zip(tmp_path, monkeypatch):
    deployment = tmp_path / "deployment.json"
    monkeypatch.setattr(config, "DEPLOYMENT_FILE", str(deployment))
    assert config.container_memory_mb() == config.CONTAINER_MEMORY_MB == 768
    deployment.write_text(json.dumps({"memory_mb": 2048}))
    assert config.container_memory_mb() == 2048
    assert MemoryBudget(measure=fake(CPU), cache_file=None).container_mb == 2048
    deployment.write_text(json.dumps({"memory_mb": 64}))   # nonsense: the default stays
    assert config.container_memory_mb() == 768


def test_a_cuda_build_gets_the_share_a_cpu_build_would_leave_and_a_note():
    cpu, cuda = MemoryBudget(measure=fake(CPU), cache_file=None), MemoryBudget(measure=fake(CUDA), cache_file=None)
    cpu_share = cpu.memory_mb("torch_models") - config.TORCH_CPU_BASELINE_MB
    assert cuda.memory_mb("torch_models") - CUDA["torch"]["peak_mb"] == cpu_share
    assert cuda.memory_mb("calculus") == cpu.memory_mb("calculus")
    assert cuda.address_space_mb("torch_models", 3072) >= 3370 + config.STUDENT_ADDRESS_SPACE_MB
    assert any("CUDA build" in note for note in cuda.notes()) and not cpu.notes()


def test_a_failed_measurement_falls_back_and_says_so():
    def broken(kind, env):
        raise RuntimeError(f"the {kind} memory probe failed: ImportError")
    budget = MemoryBudget(measure=broken, cache_file=None)
    assert budget.memory_mb("torch_models") == MemoryBudget(measure=fake(CPU), cache_file=None).memory_mb("calculus")
    assert budget.baseline("torch")["peak_mb"] == config.BASELINE_FALLBACK_MB["torch"]
    assert any("probe failed" in note for note in budget.notes())


def test_baselines_are_measured_once_per_environment_and_a_foreign_cache_is_ignored(tmp_path):
    cache, calls = tmp_path / "baselines.json", []
    MemoryBudget(measure=fake(CPU, calls), cache_file=str(cache)).baseline("torch")
    MemoryBudget(measure=fake(CPU, calls), cache_file=str(cache)).baseline("torch")
    assert calls == ["torch", "torch"]  # two runs, the larger kept, for both gradings
    data = json.loads(cache.read_text())
    cache.write_text(json.dumps({key: dict(value, peak_mb=5000) for key, value in data.items()}))
    os.chmod(cache, 0o666)  # anyone could have written this: not trusted
    assert MemoryBudget(measure=fake(CPU, calls), cache_file=str(cache)).baseline("torch")["peak_mb"] == 300
    assert calls == ["torch"] * 4


def test_an_idle_numpy_worker_measures_the_same_every_time():
    first, second = measure_baseline("numpy"), measure_baseline("numpy")
    assert 5 <= first["peak_mb"] <= 200 and first["vm_peak_mb"] >= first["peak_mb"]
    assert abs(first["peak_mb"] - second["peak_mb"]) <= 2
    assert first["torch"] is None
