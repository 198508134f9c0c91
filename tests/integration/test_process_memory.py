"""`posepipe process` prints its own peak memory, and it is the one the kernel measured."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

UNITS = {"MB": 1e6, "GB": 1e9}


def _vmhwm(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) * 1024 if match else None


def test_the_summary_names_the_peak_the_kernel_saw(tmp_path: Path, videos_dir: Path) -> None:
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    kernel = 0
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "posepipe", "process",
             str(videos_dir / "single_person_squats_portrait.mp4"), "-o", str(tmp_path / "r")],
            stdout=stdout, stderr=stderr, env={**os.environ, "COLUMNS": "200"},
        )
        # The kernel's own peak for the child's program, read until it exits. Not wait4's
        # ru_maxrss: Linux carries the peak of the image before exec into it, which here is
        # the forked test process (hundreds of MB in a full run).
        while process.poll() is None:
            kernel = max(kernel, _vmhwm(process.pid) or 0)
            time.sleep(0.02)
    assert process.returncode == 0, err.read_text()
    match = re.search(
        r"^memory: peak ([\d.]+) (MB|GB) resident \(of ([\d.]+) GB, (the machine's total|"
        r"the cgroup's limit)\)$", out.read_text(), re.M,
    )
    assert match, out.read_text()
    printed = float(match.group(1)) * UNITS[match.group(2)]
    assert printed == pytest.approx(kernel, rel=0.05)
    assert 50e6 < printed < float(match.group(3)) * 1e9
