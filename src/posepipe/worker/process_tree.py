"""The worker's memory together with its pose processes': one memory limit covers them all.

The CPU backend's pose processes (posepipe.pose.pool) are the worker's children, in its
container and under its limit, so what the worker reports (heartbeat, System page, each
job's peak, the warning before the OOM killer) is the sum over the worker and them. A job's
peak is the sum of each process's kernel peak (VmHWM) since the job began: at least the
peak of the sum, at most what it would be were every process at its own peak at once.
"""

from __future__ import annotations

from collections.abc import Callable

from posepipe.memory import peak_rss_bytes, reset_peak_rss, rss_bytes


class ProcessTreeMemory:
    """Readings of this process plus the processes `children` names (read at each call)."""

    def __init__(self, children: Callable[[], list[int]]) -> None:
        self._children = children

    def rss(self) -> int | None:
        """Resident memory now, summed; None when this process's own cannot be read."""
        return self._summed(rss_bytes)

    def peak(self) -> int | None:
        """Each process's peak since `reset_peak` (or its start), summed."""
        return self._summed(peak_rss_bytes)

    def reset_peak(self) -> bool:
        """Restart every peak from now; False when any could not be (the samples then count)."""
        pids: list[int | str] = ["self", *self._children()]
        return all([reset_peak_rss(pid) for pid in pids])  # every one reset, even after a no

    def _summed(self, read: Callable[[int | str], int | None]) -> int | None:
        own = read("self")
        if own is None:
            return None
        # A child that has just ended reads None: it holds no memory any more.
        return own + sum(read(pid) or 0 for pid in self._children())
