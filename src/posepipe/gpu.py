"""The GPU as pose-service sees it: NVML readings, a CUDA health probe, memory checks.

Everything here imports its library (nvidia-ml-py, torch) lazily and answers "no GPU"
instead of failing where the library or the driver is missing, so the CPU image and the
API can call it too.

NVML ignores CUDA_VISIBLE_DEVICES: it numbers every GPU the driver shows the process
(inside a container, only the ones the container was given). CUDA numbers only the
visible ones. `nvml_index_for_cuda0` maps CUDA device 0 back to its NVML device.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from posepipe.config import Settings, get_settings
from posepipe.errors import BackendUnavailable, DeviceError

log = logging.getLogger(__name__)

_MIB = 1024 * 1024


@dataclass(frozen=True)
class PhysicalGpu:
    """One GPU as NVML lists it."""

    index: int
    uuid: str
    name: str


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of a tiny CUDA operation: did the GPU answer, and how fast."""

    ok: bool
    detail: str
    elapsed_ms: float | None = None


@lru_cache(maxsize=1)
def _nvml() -> Any | None:
    """pynvml, initialised once per process; None without the package or an NVIDIA driver."""
    try:
        import pynvml
    except ImportError:
        log.debug("nvidia-ml-py is not installed: no GPU readings")
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        log.debug("NVML did not start (no NVIDIA driver here?): %s", exc)
        return None
    return pynvml


def physical_gpus() -> list[PhysicalGpu]:
    """The GPUs the NVIDIA driver shows this process, whatever CUDA_VISIBLE_DEVICES says."""
    nvml = _nvml()
    if nvml is None:
        return []
    gpus = []
    for index in range(nvml.nvmlDeviceGetCount()):
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        gpus.append(PhysicalGpu(index, _text(nvml.nvmlDeviceGetUUID(handle)),
                                _text(nvml.nvmlDeviceGetName(handle))))
    return gpus


def _text(value: str | bytes) -> str:
    # nvidia-ml-py returned bytes before 11.515; str since.
    return value.decode() if isinstance(value, bytes) else value


def visible_devices_problem(value: str | None, gpus: list[PhysicalGpu]) -> str | None:
    """A plain sentence when CUDA_VISIBLE_DEVICES hides every GPU this process has, else None."""
    if value is None:
        return None
    entries = [e.strip() for e in value.split(",") if e.strip()]
    if not entries or entries[0] == "-1":
        return (
            f"CUDA_VISIBLE_DEVICES={value!r} hides every GPU from this process; "
            "unset it (in the container the GPU it was given is always device 0)"
        )
    if not gpus:
        return None  # no driver: nothing to compare against, and other checks say so
    first = entries[0]
    known = {str(g.index) for g in gpus} | {g.uuid for g in gpus}
    # CUDA accepts unique UUID prefixes ("GPU-1a2b"); MIG instances have UUIDs NVML's
    # device list does not show, so those are trusted.
    if first in known or first.startswith("MIG-"):
        return None
    if any(g.uuid.startswith(first) for g in gpus if first.startswith("GPU-")):
        return None
    seen = ", ".join(f"{g.index} ({g.uuid})" for g in gpus)
    return (
        f"CUDA_VISIBLE_DEVICES={value!r} names a GPU this process cannot see; it sees "
        f"{len(gpus)}: {seen}. Inside the pose-service container the GPU it was given is "
        "always device 0: choose the host GPU with POSE_GPU_DEVICE and leave "
        "CUDA_VISIBLE_DEVICES unset"
    )


def nvml_index_for_cuda0(value: str | None, gpus: list[PhysicalGpu]) -> int | None:
    """The NVML index of the device CUDA calls 0, given CUDA_VISIBLE_DEVICES; None if hidden."""
    if not gpus or visible_devices_problem(value, gpus) is not None:
        return None
    entries = [e.strip() for e in (value or "").split(",") if e.strip()]
    if not entries:
        return gpus[0].index
    first = entries[0]
    for gpu in gpus:
        if first == str(gpu.index) or (first.startswith("GPU-") and gpu.uuid.startswith(first)):
            return gpu.index
    return gpus[0].index  # a MIG instance: NVML cannot map it; the parent GPU is the guess


def gpu_status(settings: Settings | None = None) -> dict[str, Any] | None:
    """NVML readings of the GPU this process computes on, or None when it has no NVIDIA GPU."""
    settings = settings or get_settings()
    nvml = _nvml()
    if nvml is None:
        return None
    try:
        index = nvml_index_for_cuda0(settings.cuda_visible_devices, physical_gpus())
        if index is None:
            return None
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        status: dict[str, Any] = {
            "name": _text(nvml.nvmlDeviceGetName(handle)),
            "memory_used_mb": round(memory.used / _MIB),
            "memory_total_mb": round(memory.total / _MIB),
            "utilization_pct": None,
            "temperature_c": None,
        }
    except nvml.NVMLError as exc:
        log.warning("NVML reading failed: %s", exc)
        return None
    # Some boards and MIG slices do not report these; the rest of the reading still counts.
    with contextlib.suppress(nvml.NVMLError):
        status["utilization_pct"] = int(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
    with contextlib.suppress(nvml.NVMLError):
        status["temperature_c"] = int(
            nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
        )
    return status


def cuda_probe(timeout_s: float = 5.0) -> ProbeResult:
    """Run a tiny matrix product on CUDA device 0 and wait for it, at most `timeout_s`.

    A wedged GPU (Xid errors, a hung kernel) blocks forever in synchronize(); the probe
    runs in a daemon thread so the health endpoint can answer "hung" instead of hanging.
    """
    outcome: list[ProbeResult] = []

    def run() -> None:
        outcome.append(_cuda_op())

    worker = threading.Thread(target=run, name="cuda-probe", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not outcome:
        return ProbeResult(False, f"the CUDA probe did not finish within {timeout_s:g} s")
    return outcome[0]


def _cuda_op() -> ProbeResult:
    try:
        import torch
    except ImportError:
        return ProbeResult(False, "PyTorch is not installed")
    try:
        if not torch.cuda.is_available():
            return ProbeResult(False, "CUDA is not available to this process")
        started = time.perf_counter()
        a = torch.ones((64, 64), device="cuda:0")
        total = float((a @ a).sum().item())  # .item() waits for the kernel
        elapsed_ms = (time.perf_counter() - started) * 1000
    except RuntimeError as exc:  # torch raises CUDA failures as RuntimeError
        return ProbeResult(False, f"CUDA error: {exc}")
    if total != 64.0**3:
        return ProbeResult(False, f"the GPU computed a wrong result ({total} != {64**3})")
    return ProbeResult(True, "ok", round(elapsed_ms, 3))


def free_memory_mb(fraction: float | None = None) -> tuple[int, int] | None:
    """(available, total) MiB on CUDA device 0 for this process; None without CUDA.

    Available is what the driver reports free plus what this process's allocator holds
    unused (it reuses that first), capped by `fraction` of the total when one is set.
    """
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    try:
        free, total = torch.cuda.mem_get_info(0)
        allocated = torch.cuda.memory_allocated(0)
        free += torch.cuda.memory_reserved(0) - allocated
    except RuntimeError as exc:
        raise DeviceError(f"cannot read GPU memory: {exc}") from exc
    if fraction is not None:
        free = min(free, int(fraction * total) - allocated)
    return max(0, free) // _MIB, total // _MIB


def ensure_free_memory(required_mb: int, fraction: float | None = None) -> None:
    """Refuse to start a job when the GPU has less than `required_mb` MiB for it."""
    reading = free_memory_mb(fraction)
    if reading is None:
        raise BackendUnavailable("no CUDA device is available to this process")
    free, total = reading
    if free < required_mb:
        raise BackendUnavailable(
            f"the GPU has {free} MiB available of {total} MiB and a job needs about "
            f"{required_mb} MiB; another process holds GPU memory "
            "(see nvidia-smi) or POSE_GPU_MEMORY_FRACTION is too low"
        )


def apply_memory_fraction(fraction: float) -> None:
    """Cap this process's share of CUDA device 0; call before any model is loaded."""
    import torch

    if not torch.cuda.is_available():
        raise BackendUnavailable("CUDA is not available to this process")
    torch.cuda.set_per_process_memory_fraction(fraction, 0)
    log.info("GPU memory capped at %.0f%% of device 0", fraction * 100)


def _loaded_torch_cuda() -> Any | None:
    """torch, when the pose backend has already imported it and CUDA is up; else None.

    Never imports torch itself: a mediapipe worker in the CUDA image would pay seconds and
    hundreds of MB for a figure it does not have.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        return torch if torch.cuda.is_available() and torch.cuda.is_initialized() else None
    except RuntimeError:
        return None


def reset_peak_gpu_memory() -> None:
    """Start PyTorch's peak GPU memory count afresh (a job begins); nothing without CUDA."""
    torch = _loaded_torch_cuda()
    if torch is not None:
        with contextlib.suppress(RuntimeError):
            torch.cuda.reset_peak_memory_stats(0)


def peak_gpu_memory_bytes() -> int | None:
    """The most GPU memory PyTorch's tensors held on device 0 since the last reset, or None.

    This is `torch.cuda.max_memory_allocated`: the CUDA context (a few hundred MB) and the
    caching allocator's spare blocks come on top of it in nvidia-smi.
    """
    torch = _loaded_torch_cuda()
    if torch is None:
        return None
    try:
        return int(torch.cuda.max_memory_allocated(0))
    except RuntimeError:
        return None
