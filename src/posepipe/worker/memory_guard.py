"""The worker's memory: its resident size for the heartbeat, each job's peak, and a warning
before the kernel's OOM killer acts.

A worker killed for memory leaves no line of its own in the log (SIGKILL), and Compose just
restarts it. So a thread reads the worker's RSS every second and, at POSE_MEMORY_WARN_PCT of
its limit, logs a warning naming the job: afterwards the log says why the container
restarted. The warning repeats at most once a minute while memory stays high.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from posepipe import gpu
from posepipe.logs import bind
from posepipe.memory import MemoryLimit, PeakMemory, memory_limit, rss_bytes
from posepipe.worker.state import WorkerState

log = logging.getLogger(__name__)

CHECK_S = 1.0
WARN_EVERY_S = 60.0
_GB = 1e9


class MemoryGuard:
    """Reads this process's memory; `start` adds the thread that samples and warns."""

    def __init__(
        self,
        state: WorkerState,
        warn_pct: float,
        *,
        read_rss: Callable[[], int | None] = rss_bytes,
        read_limit: Callable[[], MemoryLimit] = memory_limit,
        peak: PeakMemory | None = None,
        check_s: float = CHECK_S,
        warn_every_s: float = WARN_EVERY_S,
    ) -> None:
        self._state = state
        self._warn_fraction = warn_pct / 100.0
        self._read_rss = read_rss
        self._read_limit = read_limit
        self._peak = peak or PeakMemory(read_rss=read_rss)
        self._check_s = check_s
        self._warn_every_s = warn_every_s
        self._warned_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-guard", daemon=True)

    def start(self) -> None:
        """Sample and check every second in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def reading(self) -> dict[str, Any]:
        """What the heartbeat carries: RSS now and the limit, in bytes."""
        limit = self._read_limit()
        return {
            "rss_bytes": self._read_rss(),
            "limit_bytes": limit.bytes,
            "limit_source": limit.source,
        }

    def begin_job(self) -> None:
        """A job starts: its peaks are measured from now."""
        self._peak.start()
        gpu.reset_peak_gpu_memory()

    def job_memory(self, *, final: bool) -> dict[str, Any]:
        """The current job's peaks so far, as the job document keeps them; `final` once the
        job's work on this worker is over."""
        limit = self._read_limit()
        return {
            "final": final,
            "peak_rss_bytes": self._peak.peak(),
            "peak_gpu_bytes": gpu.peak_gpu_memory_bytes(),
            "limit_bytes": limit.bytes,
            "limit_source": limit.source,
        }

    def check(self) -> None:
        """One reading: keep the job's peak, warn when memory nears the limit."""
        rss = self._read_rss()
        job = self._state.current_job
        if job is not None:
            self._peak.sample(rss)
        limit = self._read_limit()
        if rss is None or not limit.bytes or rss < self._warn_fraction * limit.bytes:
            return
        now = time.monotonic()
        if self._warned_at is not None and now - self._warned_at < self._warn_every_s:
            return
        self._warned_at = now
        where = "its container's limit" if limit.source == "cgroup" else "the machine's memory"
        with bind(**({"job_id": job} if job else {})):
            log.warning(
                "memory at %.0f%% of %s (%.2f of %.2f GB resident, POSE_MEMORY_WARN_PCT=%g)%s: "
                "the kernel's OOM killer stops the worker at 100%%",
                100 * rss / limit.bytes, where, rss / _GB, limit.bytes / _GB,
                100 * self._warn_fraction, f" while job {job} runs" if job else "",
            )

    def _run(self) -> None:
        while not self._stop.wait(self._check_s):
            try:
                self.check()
            except Exception:  # a reading must never stop the worker
                log.exception("memory check failed")
