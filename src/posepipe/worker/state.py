"""What the worker is doing, shared by the job thread, the health server and the heartbeat."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


def new_worker_id(name: str | None = None) -> str:
    """name-pid-random (the name defaults to the host's): unique per process, readable in logs."""
    return f"{name or socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass
class WorkerState:
    """Plain attributes written by one thread and read by others (each write is atomic)."""

    worker_id: str = field(default_factory=new_worker_id)
    started: float = field(default_factory=time.monotonic)
    started_at: float = field(default_factory=time.time)  # wall clock, for other hosts
    backend: str | None = None
    device: str = "cpu"
    model_loaded: bool = False
    current_job: str | None = None
    last_progress: float = field(default_factory=time.monotonic)
    job_started: float = 0.0
    frames_done: int = 0
    fps: float = 0.0
    fatal: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def begin_job(self, job_id: str) -> None:
        """A job starts on this worker."""
        with self._lock:
            now = time.monotonic()
            self.current_job = job_id
            self.job_started = self.last_progress = now
            self.frames_done = 0
            self.fps = 0.0

    def touch(self, frames_done: int | None = None) -> None:
        """The current job made progress (the watchdog's clock restarts)."""
        with self._lock:
            now = time.monotonic()
            self.last_progress = now
            if frames_done is not None:
                self.frames_done = frames_done
                elapsed = now - self.job_started
                self.fps = frames_done / elapsed if elapsed > 0 else 0.0

    def end_job(self) -> None:
        """The current job is over, however it ended."""
        with self._lock:
            self.current_job = None
            self.fps = 0.0

    def stalled_for(self) -> float:
        """Seconds since the current job last made progress (0 when idle)."""
        with self._lock:
            if self.current_job is None:
                return 0.0
            return time.monotonic() - self.last_progress

    @property
    def uptime_s(self) -> float:
        """Seconds since the process started."""
        return time.monotonic() - self.started

    def heartbeat_record(
        self, gpu: dict[str, Any] | None, memory: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """What the API learns from this worker's heartbeat; `gpu` is its NVML reading,
        `memory` its resident size and limit (MemoryGuard.reading)."""
        return {
            "worker_id": self.worker_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "backend": self.backend,
            "device": self.device,
            "gpu": gpu,
            "memory": memory,
            "model_loaded": self.model_loaded,
            "error": self.fatal,
            "current_job": self.current_job,
            "fps": round(self.fps, 2) if self.current_job else 0.0,
            "uptime_s": round(self.uptime_s, 1),
            "started_at": self.started_at,
            "time": time.time(),
        }
