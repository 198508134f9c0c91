"""posepipe.memory: resident memory from /proc, peaks, and cgroup limits.

The process figures are checked against what the kernel says of real processes; the cgroup
walk against real cgroup file trees laid out as v1 and v2 hosts and containers lay them out.
"""

from __future__ import annotations

import mmap
import re
import subprocess
import sys
from pathlib import Path

import pytest

from posepipe.memory import (
    MemoryLimit,
    PeakMemory,
    cgroup_limit_bytes,
    describe_peak,
    machine_total_bytes,
    memory_limit,
    peak_rss_bytes,
    reset_peak_rss,
    rss_bytes,
)

MB = 1_000_000


def _vm(field: str, pid: int | str = "self") -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    assert match, field
    return int(match.group(1)) * 1024


def _touch(size: int) -> mmap.mmap:
    """`size` bytes of new memory for this process, every page written so it is resident.

    An anonymous mapping of its own, not a bytearray: malloc may hand a bytearray a free
    chunk that earlier tests in this process left resident, and then nothing grows (a full
    `make test` run saw exactly that)."""
    block = mmap.mmap(-1, size)
    for i in range(0, size, mmap.PAGESIZE):
        block[i] = 1
    return block


def test_rss_of_this_process_and_of_another() -> None:
    assert rss_bytes() == pytest.approx(_vm("VmRSS"), rel=0.05)
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; b = bytearray(80_000_000); b[::4096] = b'x' * "
         "len(b[::4096]); sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        seen = rss_bytes(child.pid)
        assert seen is not None and seen > 80 * MB
        assert seen == pytest.approx(_vm("VmRSS", child.pid), rel=0.05)
    finally:
        child.communicate("")
    assert rss_bytes(child.pid) is None  # gone: unknown, not zero


def test_the_peak_can_be_restarted_for_each_job() -> None:
    block = _touch(120 * MB)
    del block
    assert (peak_rss_bytes() or 0) - (rss_bytes() or 0) > 100 * MB
    assert reset_peak_rss()
    assert peak_rss_bytes() == pytest.approx(rss_bytes(), rel=0.05)


def test_peak_memory_measures_one_job_at_a_time() -> None:
    peak = PeakMemory()
    peak.start()
    before = rss_bytes() or 0
    block = _touch(150 * MB)
    del block
    first = peak.peak()
    assert first is not None and first - before > 140 * MB

    peak.start()  # the next job: the first one's spike no longer counts
    small = _touch(10 * MB)
    del small
    second = peak.peak()
    assert second is not None and second < first - 100 * MB


def test_sampled_peak_where_the_kernel_peak_cannot_be_reset() -> None:
    readings = iter([100, 400, 250])
    peak = PeakMemory(read_rss=lambda: next(readings), read_peak=lambda: 10**12,
                      reset_peak=lambda: False)
    peak.start()  # 100
    peak.sample(300)
    assert peak.peak() == 400  # the kernel's lifetime peak is not used: it predates the job
    peak.sample(None)
    assert peak.peak() == 400  # 250 now, 400 the highest seen


def test_limit_on_this_machine() -> None:
    total = machine_total_bytes()
    meminfo = Path("/proc/meminfo").read_text()
    match = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.M)
    assert match and total == int(match.group(1)) * 1024
    limit = memory_limit()
    assert limit.source in ("cgroup", "machine")
    assert limit.bytes is not None and 0 < limit.bytes <= total


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def test_cgroup_v2_takes_the_tightest_limit_up_the_tree(tmp_path: Path) -> None:
    _write(tmp_path / "user.slice/memory.max", "8000000000")
    _write(tmp_path / "user.slice/app.scope/memory.max", "max")
    _write(tmp_path / "user.slice/app.scope/inner/memory.max", "max")
    assert cgroup_limit_bytes("0::/user.slice/app.scope/inner\n", tmp_path) == 8_000_000_000
    _write(tmp_path / "user.slice/app.scope/memory.max", "2147483648")
    assert cgroup_limit_bytes("0::/user.slice/app.scope/inner\n", tmp_path) == 2_147_483_648
    assert cgroup_limit_bytes("0::/nowhere\n", tmp_path) is None


def test_cgroup_v2_in_a_container(tmp_path: Path) -> None:
    # A container has its own cgroup namespace: it sees itself at "/", its limit on top.
    _write(tmp_path / "memory.max", "1073741824")
    assert cgroup_limit_bytes("0::/\n", tmp_path) == 1_073_741_824


def test_cgroup_v1_with_a_host_path_inside_a_container(tmp_path: Path) -> None:
    # v1 without a cgroup namespace: /proc/self/cgroup names the host's path, which does not
    # exist under the container's mount; the mount's top is the container's own cgroup.
    text = "12:memory:/docker/0123abcd\n11:cpu,cpuacct:/docker/0123abcd\n0::/\n"
    _write(tmp_path / "memory/memory.limit_in_bytes", "536870912")
    assert cgroup_limit_bytes(text, tmp_path) == 536_870_912


def test_cgroup_v1_unlimited_is_no_limit(tmp_path: Path) -> None:
    text = "4:memory:/process_api/abc\n0::/\n"
    _write(tmp_path / "memory/memory.limit_in_bytes", "9223372036854771712")
    _write(tmp_path / "memory/process_api/abc/memory.limit_in_bytes", "9223372036854771712")
    assert cgroup_limit_bytes(text, tmp_path) is None


def test_describe_peak_for_a_person() -> None:
    assert (describe_peak(480 * MB, MemoryLimit(25_320 * MB, "machine"))
            == "peak 480 MB resident (of 25.32 GB, the machine's total)")
    assert (describe_peak(1_250 * MB, MemoryLimit(16_000 * MB, "cgroup"), 3_100 * MB)
            == "peak 1.25 GB resident (of 16.00 GB, the cgroup's limit), 3.10 GB on the GPU")
    assert describe_peak(None, MemoryLimit(None, None)).startswith("peak unknown")
