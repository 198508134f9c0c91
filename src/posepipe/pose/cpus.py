"""How many pose processes the CPU backend runs: POSE_CPU_WORKERS, or one per spare CPU.

`auto` counts the CPUs this process may use: its CPU affinity (taskset, a container's
cpuset), capped by a cgroup CPU quota (Docker's `--cpus`, Compose's `cpus:`), which the
affinity does not show. Each pose process keeps about 1.2 of them busy: one running the
model (MediaPipe uses one core), and about a fifth decoding its own frames and, in the
parent, tracking and writing them (measured at 720p: decoding and converting a frame costs
2.5 ms of CPU, inferring it 16 ms; bench/RESULTS.md). So `auto` is CPUs / 1.2, rounded:
2 CPUs -> 2 processes, 4 -> 3, 8 -> 7, 16 -> 13.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from posepipe.config import Settings
from posepipe.pose.backend import PoseBackend

CPUS_PER_PROCESS = 1.2
_CGROUP = Path("/sys/fs/cgroup")


def available_cpus(cgroup: Path = _CGROUP) -> int:
    """The CPUs this process may use: its affinity, capped by a cgroup CPU quota."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        count = os.cpu_count() or 1
    quota = cgroup_cpu_limit(cgroup)
    return max(1, min(count, quota) if quota is not None else count)


def cgroup_cpu_limit(cgroup: Path = _CGROUP) -> int | None:
    """The CPU quota of this process's cgroup, rounded up to whole CPUs; None without one."""
    try:  # cgroup v2: "max 100000" or "<quota> <period>"
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]
        if quota == "max":
            return None
        return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    try:  # cgroup v1: a quota of -1 is none
        quota_us = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return max(1, math.ceil(quota_us / period_us)) if quota_us > 0 and period_us > 0 else None


def default_pose_processes(cpus: int) -> int:
    """`auto`: one pose process per CPUS_PER_PROCESS CPUs, at least one."""
    return max(1, round(cpus / CPUS_PER_PROCESS))


def pose_processes(settings: Settings, backend: PoseBackend) -> tuple[int, str]:
    """How many pose processes to run `backend` in, and why, in words."""
    if backend.device != "cpu":
        return 1, f"the {backend.name} backend runs on {backend.device}, in one process"
    if settings.pose_cpu_workers != "auto":
        return settings.pose_cpu_workers, "POSE_CPU_WORKERS"
    cpus = available_cpus()
    return default_pose_processes(cpus), f"auto: {cpus} CPUs available"
