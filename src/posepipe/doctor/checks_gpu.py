"""The NVIDIA driver as `nvidia-smi` reports it, and the GPU that POSE_GPU_DEVICE names."""

from __future__ import annotations

from dataclasses import dataclass

from posepipe.doctor.context import DoctorContext
from posepipe.doctor.result import CheckResult, Status
from posepipe.doctor.versions import at_least, parse_version, show
from posepipe.gpu import PhysicalGpu, visible_devices_problem

# CUDA 12.1's minimum drivers (NVIDIA's CUDA toolkit release notes, table 3).
MIN_DRIVER_LINUX = (530, 30, 2)
MIN_DRIVER_WINDOWS = (531, 14)  # WSL runs the Windows driver
# GPU memory 4D-Humans reports needing: ViTDet detector + HMR2 + tracking, and with RegNetY.
VITDET_MIB = 12_700
REGNETY_MIB = 8_000
QUERY = "index,uuid,name,driver_version,memory.total,memory.used"
CPU_HINT = "No NVIDIA GPU? Put COMPOSE_FILE=docker-compose.yml:docker-compose.cpu.yml in .env."


@dataclass(frozen=True)
class Gpu:
    """One row of `nvidia-smi --query-gpu`."""

    index: str
    uuid: str
    name: str
    driver: str
    memory_total_mib: int
    memory_used_mib: int


def gpus(ctx: DoctorContext) -> list[Gpu] | None:
    """The GPUs the driver lists, or None when nvidia-smi is missing or fails."""
    result = ctx.run(["nvidia-smi", f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"])
    if not result.ok:
        return None
    found = []
    for line in result.stdout.strip().splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) < 6:
            continue
        try:
            found.append(Gpu(cells[0], cells[1], cells[2], cells[3], int(float(cells[4])),
                             int(float(cells[5]))))
        except ValueError:
            continue
    return found


def check_driver(ctx: DoctorContext) -> CheckResult:
    """nvidia-smi answers, with a driver new enough for the CUDA 12.1 image."""
    title = "NVIDIA driver"
    result = ctx.run(["nvidia-smi", f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"])
    missing = Status.SKIP if ctx.cpu_mode else Status.FAIL
    if ctx.wsl_version:
        install = ("Install the NVIDIA driver for Windows (it brings the GPU into WSL; never "
                   "install a Linux NVIDIA driver inside WSL), then `wsl --shutdown`.")
    else:
        install = ("Install the NVIDIA driver >= 530 (Ubuntu: `sudo ubuntu-drivers install`), "
                   "then reboot.")
    if not result.found:
        return CheckResult("gpu.driver", title, missing,
                           "nvidia-smi not found: no NVIDIA driver on this machine.",
                           None if ctx.cpu_mode else f"{install} {CPU_HINT}")
    listed = gpus(ctx)
    if not listed:
        first = (result.output.splitlines() or ["no GPU listed"])[0]
        return CheckResult("gpu.driver", title, missing, f"nvidia-smi fails: {first}",
                           None if ctx.cpu_mode else
                           f"{install} If it was working: reboot (Linux) or `wsl --shutdown`.")
    driver = listed[0].driver
    minimum = MIN_DRIVER_WINDOWS if ctx.wsl_version else MIN_DRIVER_LINUX
    version = parse_version(driver)
    names = "; ".join(f"{g.index}: {g.name} ({g.memory_total_mib} MiB)" for g in listed)
    if version is None or not at_least(version, minimum):
        return CheckResult("gpu.driver", title, Status.FAIL,
                           f"Driver {driver} is older than CUDA 12.1 needs ({show(minimum)}).",
                           f"Upgrade the NVIDIA driver to {show(minimum)} or newer. {install}",
                           details=[names])
    return CheckResult("gpu.driver", title, Status.PASS,
                       f"Driver {driver} (CUDA 12.1 needs {show(minimum)}); GPUs: {names}")


def _select(listed: list[Gpu], device: str) -> Gpu | None:
    for gpu in listed:
        if device == gpu.index or (device.startswith("GPU-") and gpu.uuid.startswith(device)):
            return gpu
    return None


def check_device(ctx: DoctorContext) -> CheckResult:
    """POSE_GPU_DEVICE names a GPU that exists, with memory for the chosen detector."""
    title = "GPU for pose-service"
    device = ctx.gpu_device
    if ctx.cpu_mode:
        return CheckResult("gpu.device", title, Status.SKIP, "CPU mode: no GPU needed.")
    listed = gpus(ctx)
    if not listed:
        return CheckResult("gpu.device", title, Status.SKIP, "Needs nvidia-smi (see above).")
    choices = ", ".join(f"{g.index} ({g.uuid})" for g in listed)
    if "," in device:
        return CheckResult("gpu.device", title, Status.WARN,
                           f"{ctx.gpu_device_setting} names several GPUs; pose-service uses one.",
                           "Give it one GPU; run another worker per extra GPU "
                           "(README: More than one machine).")
    gpu = _select(listed, device)
    if gpu is None:
        return CheckResult("gpu.device", title, Status.FAIL,
                           f"{ctx.gpu_device_setting} is not a GPU of this machine.",
                           f"Set POSE_GPU_DEVICE in .env to one of: {choices}.")
    summary = (f"{ctx.gpu_device_setting}: {gpu.name}, {gpu.memory_total_mib} MiB "
               f"({gpu.memory_used_mib} MiB in use now)")
    detector = ctx.settings.pose_hmr2_detector
    needed = VITDET_MIB if detector == "vitdet" else REGNETY_MIB
    fraction = ctx.settings.pose_gpu_memory_fraction
    usable = int(gpu.memory_total_mib * fraction)
    if usable < needed:
        fix = ("Set POSE_HMR2_DETECTOR=regnety (about half the memory)"
               if detector == "vitdet" else "Use a GPU with more memory, or POSE_BACKEND=mediapipe")
        return CheckResult("gpu.device", title, Status.WARN,
                           f"{summary}: hmr2 with the {detector} detector needs about "
                           f"{needed} MiB, POSE_GPU_MEMORY_FRACTION={fraction} allows {usable}.",
                           f"{fix}; or raise POSE_GPU_MEMORY_FRACTION if nothing else uses "
                           "the GPU.")
    return CheckResult("gpu.device", title, Status.PASS, summary)


def check_visible_devices(ctx: DoctorContext) -> CheckResult:
    """CUDA_VISIBLE_DEVICES (native runs honour it) names a GPU this machine has."""
    title = "CUDA_VISIBLE_DEVICES (native runs)"
    value = ctx.settings.cuda_visible_devices
    if value is None:
        return CheckResult("gpu.visible_devices", title, Status.SKIP,
                           "Not set (Compose never passes it; native runs see every GPU).")
    listed = gpus(ctx) or []
    physical = [PhysicalGpu(int(g.index), g.uuid, g.name) for g in listed if g.index.isdigit()]
    problem = visible_devices_problem(value, physical)
    if problem:
        return CheckResult("gpu.visible_devices", title, Status.WARN, problem + ".",
                           "Unset CUDA_VISIBLE_DEVICES (shell and .env), or name a GPU that "
                           "`nvidia-smi -L` lists.")
    return CheckResult("gpu.visible_devices", title, Status.PASS,
                       f"CUDA_VISIBLE_DEVICES={value} names a GPU of this machine "
                       "(native runs only; inside the container the GPU is device 0).")
