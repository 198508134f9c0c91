"""How many pose processes run: POSE_CPU_WORKERS, or `auto` from the CPUs this process may use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from posepipe.config import Settings
from posepipe.pose.cpus import (
    available_cpus,
    cgroup_cpu_limit,
    default_pose_processes,
    pose_processes,
)
from tests.square_backend import SquareBackend


def _cgroup_v2(root: Path, text: str) -> Path:
    (root / "cpu.max").write_text(text)
    return root


def _cgroup_v1(root: Path, quota: str, period: str) -> Path:
    (root / "cpu").mkdir()
    (root / "cpu" / "cpu.cfs_quota_us").write_text(quota)
    (root / "cpu" / "cpu.cfs_period_us").write_text(period)
    return root


def test_a_cgroup_quota_caps_the_cpus(tmp_path: Path) -> None:
    # Docker's --cpus=1.5 is a quota of 150000 per 100000: two CPUs busy at most, rounded up.
    assert cgroup_cpu_limit(_cgroup_v2(tmp_path, "150000 100000\n")) == 2
    assert available_cpus(tmp_path) == min(2, len(os.sched_getaffinity(0)))


def test_no_quota_leaves_the_affinity(tmp_path: Path) -> None:
    assert cgroup_cpu_limit(_cgroup_v2(tmp_path, "max 100000\n")) is None
    assert available_cpus(tmp_path) == len(os.sched_getaffinity(0))
    assert cgroup_cpu_limit(tmp_path / "nothing-here") is None


@pytest.mark.parametrize(("quota", "expected"), [("400000", 4), ("-1", None)])
def test_cgroup_v1_quotas(tmp_path: Path, quota: str, expected: int | None) -> None:
    assert cgroup_cpu_limit(_cgroup_v1(tmp_path, quota, "100000")) == expected


@pytest.mark.parametrize(
    ("cpus", "processes"), [(1, 1), (2, 2), (4, 3), (8, 7), (16, 13), (64, 53)]
)
def test_auto_leaves_a_share_of_the_cpus_for_decoding(cpus: int, processes: int) -> None:
    assert default_pose_processes(cpus) == processes


def test_the_setting_wins_over_auto() -> None:
    assert pose_processes(Settings(pose_cpu_workers=5), SquareBackend()) == (5, "POSE_CPU_WORKERS")
    count, why = pose_processes(Settings(), SquareBackend())
    assert count == default_pose_processes(available_cpus()) and why.startswith("auto: ")


def test_a_gpu_backend_runs_in_one_process() -> None:
    gpu = SquareBackend()
    gpu.device = "cuda:0"
    count, why = pose_processes(Settings(pose_cpu_workers=8), gpu)
    assert count == 1 and "cuda:0" in why


@pytest.mark.parametrize("value", ["auto", "AUTO", " 3 ", "256"])
def test_the_setting_reads_auto_or_a_count(value: str) -> None:
    expected = "auto" if value.strip().lower() == "auto" else int(value)
    assert Settings(pose_cpu_workers=value).pose_cpu_workers == expected


@pytest.mark.parametrize("value", ["0", "-2", "257", "1.5", "many", ""])
def test_anything_else_is_refused_with_one_message(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(pose_cpu_workers=value)
    errors = refused.value.errors()
    assert len(errors) == 1 and "number of processes from 1 to 256, or auto" in errors[0]["msg"]
