"""A process's resident memory and the limit it lives under, from Linux's /proc and cgroups.

Resident memory (RSS) is what the kernel's OOM killer weighs, so it is the figure shown
everywhere. The limit is the tightest cgroup memory limit over this process (a container's
`mem_limit`, a systemd `MemoryMax`), else the machine's total. Where a figure cannot be read
(another OS, a locked-down /proc) the answer is None: callers show "unknown", never a guess.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PROC = Path("/proc")
CGROUP_ROOT = Path("/sys/fs/cgroup")
# cgroup v1 writes "no limit" as the largest page-aligned 64-bit number; anything this big is it.
_NO_LIMIT = 1 << 60

LimitSource = Literal["cgroup", "machine"]


@dataclass(frozen=True)
class MemoryLimit:
    """How much memory a process may use, and where that figure comes from."""

    bytes: int | None
    source: LimitSource | None


def rss_bytes(pid: int | str = "self") -> int | None:
    """The resident memory of a process (VmRSS), or None when it cannot be read."""
    return _status_bytes("VmRSS", pid)


def peak_rss_bytes(pid: int | str = "self") -> int | None:
    """A process's peak resident memory (this one's by default) since it started or since
    `reset_peak_rss`."""
    peak = _status_bytes("VmHWM", pid)
    if peak is None and pid == "self" and sys.platform.startswith("linux"):
        import resource  # POSIX only

        # ru_maxrss is in KiB on Linux (bytes on macOS, where this module has no figures).
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 or None
    return peak


def reset_peak_rss(pid: int | str = "self") -> bool:
    """Restart a process's peak (VmHWM; this one's by default) from its current RSS; False
    where Linux refuses.

    Writing 5 to /proc/<pid>/clear_refs resets the peak and nothing else (Linux >= 4.0).
    """
    try:
        (PROC / str(pid) / "clear_refs").write_text("5")
    except OSError:
        return False
    return True


def machine_total_bytes() -> int | None:
    """The machine's memory (MemTotal), or None when it cannot be read."""
    with contextlib.suppress(OSError, ValueError):
        match = re.search(r"^MemTotal:\s+(\d+) kB", (PROC / "meminfo").read_text(), re.M)
        if match:
            return int(match.group(1)) * 1024
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return None


def cgroup_limit_bytes(proc_cgroup: str | None = None, root: Path = CGROUP_ROOT) -> int | None:
    """The tightest memory limit of this process's cgroup and its ancestors, or None.

    `proc_cgroup` is the text of /proc/self/cgroup (read when None). cgroup v2 keeps the
    limit in `memory.max`, v1 in `memory/.../memory.limit_in_bytes`. Inside a container the
    cgroup mount is the container's own, whatever path /proc/self/cgroup names, so the
    mount's top counts too.
    """
    if proc_cgroup is None:
        try:
            proc_cgroup = (PROC / "self" / "cgroup").read_text()
        except OSError:
            return None
    limits = []
    for line in proc_cgroup.splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            mount, name = root, "memory.max"
        elif "memory" in controllers.split(","):
            mount, name = root / "memory", "memory.limit_in_bytes"
        else:
            continue
        for folder in _folders(mount, path):
            limit = _read_limit(folder / name)
            if limit is not None:
                limits.append(limit)
    return min(limits) if limits else None


def memory_limit() -> MemoryLimit:
    """The cgroup limit where one is set below the machine's total, else the machine's total."""
    total = machine_total_bytes()
    cgroup = cgroup_limit_bytes()
    if cgroup is not None and (total is None or cgroup < total):
        return MemoryLimit(cgroup, "cgroup")
    return MemoryLimit(total, "machine" if total is not None else None)


def format_bytes(n: int) -> str:
    """`480 MB`, `1.25 GB`: decimal units, as the web UI writes them."""
    if n >= 10**9:
        return f"{n / 1e9:.2f} GB"
    return f"{n / 1e6:.0f} MB"


def describe_peak(peak: int | None, limit: MemoryLimit, gpu_peak: int | None = None) -> str:
    """One line for a person: `peak 480 MB resident (of 25.32 GB, the machine's total)`."""
    if peak is None:
        text = "peak unknown (this system does not report it)"
    else:
        text = f"peak {format_bytes(peak)} resident"
        if limit.bytes is not None:
            where = "the cgroup's limit" if limit.source == "cgroup" else "the machine's total"
            text += f" (of {format_bytes(limit.bytes)}, {where})"
    if gpu_peak is not None:
        text += f", {format_bytes(gpu_peak)} on the GPU"
    return text


class PeakMemory:
    """The peak resident memory of this process since `start`: one job's peak.

    Exact where Linux lets the peak be reset (VmHWM); elsewhere the highest of the samples
    the caller feeds it, which can miss a short spike between two samples.
    """

    def __init__(
        self,
        *,
        read_rss: Callable[[], int | None] = rss_bytes,
        read_peak: Callable[[], int | None] = peak_rss_bytes,
        reset_peak: Callable[[], bool] = reset_peak_rss,
    ) -> None:
        self._read_rss = read_rss
        self._read_peak = read_peak
        self._reset_peak = reset_peak
        self._lock = threading.Lock()
        self._exact = False
        self._sampled: int | None = None

    def start(self) -> None:
        """Forget the previous peak and start measuring from now."""
        exact = self._reset_peak()
        now = self._read_rss()
        with self._lock:
            self._exact = exact
            self._sampled = now

    def sample(self, rss: int | None) -> None:
        """Take one reading of the current RSS into account."""
        if rss is None:
            return
        with self._lock:
            self._sampled = rss if self._sampled is None else max(self._sampled, rss)

    def peak(self) -> int | None:
        """The peak since `start`, or None when nothing could be read."""
        self.sample(self._read_rss())
        with self._lock:
            sampled, exact = self._sampled, self._exact
        kernel = self._read_peak() if exact else None
        if kernel is None:
            return sampled
        return max(kernel, sampled or 0)


def _status_bytes(field: str, pid: int | str) -> int | None:
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) * 1024 if match else None


def _folders(mount: Path, path: str) -> list[Path]:
    """`mount/path` and each of its ancestors up to `mount` itself."""
    parts = [p for p in path.split("/") if p and p != ".."]
    return [mount.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def _read_limit(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if not text.isdigit():  # "max": no limit at this level
        return None
    value = int(text)
    return value if 0 < value < _NO_LIMIT else None
