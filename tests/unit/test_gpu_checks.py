"""posepipe.gpu's decisions that need no GPU: CUDA_VISIBLE_DEVICES sanity, "no GPU" answers."""

from __future__ import annotations

import importlib.util
import sys
import time

import pytest

from posepipe import gpu
from posepipe.config import Settings
from posepipe.gpu import PhysicalGpu, nvml_index_for_cuda0, visible_devices_problem

ONE = [PhysicalGpu(0, "GPU-8f2a6c1e-aaaa-bbbb-cccc-000000000000", "NVIDIA H100 80GB HBM3")]
TWO = [*ONE, PhysicalGpu(1, "GPU-77d0e5b2-aaaa-bbbb-cccc-111111111111", "NVIDIA RTX 4090")]


@pytest.mark.parametrize("value", [None, "0", "GPU-8f2a6c1e", ONE[0].uuid, "MIG-3b1d-0001"])
def test_values_naming_a_visible_gpu_are_fine(value: str | None) -> None:
    assert visible_devices_problem(value, ONE) is None


def test_a_container_given_gpu_1_that_sets_cuda_visible_devices_1_is_told_why() -> None:
    problem = visible_devices_problem("1", ONE)
    assert problem is not None
    assert "cannot see" in problem and "POSE_GPU_DEVICE" in problem and "device 0" in problem


@pytest.mark.parametrize("value", ["", "-1", " , "])
def test_values_hiding_every_gpu_are_named(value: str) -> None:
    assert "hides every GPU" in (visible_devices_problem(value, ONE) or "")


def test_without_a_driver_there_is_nothing_to_compare() -> None:
    assert visible_devices_problem("3", []) is None


def test_nvml_reads_the_gpu_cuda_computes_on() -> None:
    assert nvml_index_for_cuda0(None, TWO) == 0
    assert nvml_index_for_cuda0("1,0", TWO) == 1
    assert nvml_index_for_cuda0("GPU-77d0e5b2", TWO) == 1
    assert nvml_index_for_cuda0("5", TWO) is None
    assert nvml_index_for_cuda0("0", []) is None


def test_no_nvml_means_no_gpu_status(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml -> ImportError
    gpu._nvml.cache_clear()
    try:
        assert gpu.gpu_status(Settings()) is None
        assert gpu.physical_gpus() == []
    finally:
        gpu._nvml.cache_clear()


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed")
def test_without_torch_the_probe_and_memory_check_say_so() -> None:
    probe = gpu.cuda_probe(timeout_s=5)
    assert not probe.ok and "PyTorch is not installed" in probe.detail
    assert gpu.free_memory_mb() is None
    with pytest.raises(gpu.BackendUnavailable, match="no CUDA device"):
        gpu.ensure_free_memory(512)


def test_a_hung_gpu_makes_the_probe_answer_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gpu, "_cuda_op", lambda: time.sleep(2) or gpu.ProbeResult(True, "ok"))
    started = time.monotonic()
    probe = gpu.cuda_probe(timeout_s=0.2)
    assert time.monotonic() - started < 1.0
    assert not probe.ok and "did not finish within 0.2 s" in probe.detail
