"""`posepipe process` prints its own peak memory, and it is the one the kernel measured."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

UNITS = {"MB": 1e6, "GB": 1e9}


def test_the_summary_names_the_peak_the_kernel_saw(tmp_path: Path, videos_dir: Path) -> None:
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "posepipe", "process",
             str(videos_dir / "single_person_squats_portrait.mp4"), "-o", str(tmp_path / "r")],
            stdout=stdout, stderr=stderr, env={**os.environ, "COLUMNS": "200"},
        )
        # wait4, not wait: it hands back the child's own resource usage, its peak included.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, err.read_text()
    match = re.search(
        r"^memory: peak ([\d.]+) (MB|GB) resident \(of ([\d.]+) GB, (the machine's total|"
        r"the cgroup's limit)\)$", out.read_text(), re.M,
    )
    assert match, out.read_text()
    printed = float(match.group(1)) * UNITS[match.group(2)]
    kernel = usage.ru_maxrss * 1024  # KiB on Linux
    assert printed == pytest.approx(kernel, rel=0.05)
    assert 50e6 < printed < float(match.group(3)) * 1e9
