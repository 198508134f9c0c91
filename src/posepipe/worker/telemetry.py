"""The worker's health document and Prometheus metrics (GPU readings included).

GPU readings come from `posepipe.gpu` (NVML), imported lazily: on a CPU host, or a build
without it, they are `null`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from posepipe.config import Settings
from posepipe.worker.state import WorkerState

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def gpu_reading(settings: Settings) -> dict[str, Any] | None:
    """NVML's view of this worker's GPU, or None (CPU host, no NVML, or a failed read)."""
    try:
        from posepipe import gpu
    except ImportError:
        return None
    try:
        return gpu.gpu_status(settings)
    except Exception as exc:  # telemetry must never take the health endpoint down
        log.warning("GPU reading failed: %s", exc)
        return None


def health_document(state: WorkerState, settings: Settings) -> dict[str, Any]:
    """What `GET :8001/health` answers."""
    if state.fatal:
        status = "error"
    elif state.model_loaded:
        status = "ok"
    else:
        status = "starting"
    return {
        "status": status,
        "backend": state.backend,
        "model_loaded": state.model_loaded,
        "error": state.fatal,
        "device": state.device,
        "gpu": gpu_reading(settings),
        "current_job": state.current_job,
        "uptime_s": round(state.uptime_s, 1),
        "worker_id": state.worker_id,
    }


class _StateCollector(Collector):
    """Gauges read from the worker state (and NVML) at scrape time."""

    def __init__(self, state: WorkerState, settings: Settings) -> None:
        self._state = state
        self._settings = settings

    def collect(self) -> Iterator[Metric]:
        state = self._state
        yield _gauge("posepipe_worker_model_loaded", "1 once loaded", state.model_loaded)
        yield _gauge("posepipe_worker_busy", "1 while a job runs", state.current_job is not None)
        yield _gauge("posepipe_worker_fps", "Frames per second of the current job", state.fps)
        yield _gauge("posepipe_worker_uptime_seconds", "Seconds since start", state.uptime_s)
        gpu = gpu_reading(self._settings)
        if gpu:
            for key, name in (
                ("memory_used_mb", "posepipe_gpu_memory_used_megabytes"),
                ("memory_total_mb", "posepipe_gpu_memory_total_megabytes"),
                ("utilization_pct", "posepipe_gpu_utilization_percent"),
                ("temperature_c", "posepipe_gpu_temperature_celsius"),
            ):
                if gpu.get(key) is not None:
                    yield _gauge(name, f"GPU {key}", gpu[key])


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc)
    family.add_metric([], float(value))
    return family


class WorkerMetrics:
    """Counters the job thread updates, plus the state gauges."""

    def __init__(self, state: WorkerState, settings: Settings) -> None:
        self.registry = CollectorRegistry()
        self.jobs = Counter(
            "posepipe_worker_jobs", "Jobs finished, by outcome", ["outcome"],
            registry=self.registry,
        )
        self.frames = Counter(
            "posepipe_worker_frames", "Frames processed", registry=self.registry
        )
        # Frames handed to the pose backend, counted before each batch (or each segment, with
        # pose processes): above `frames` by what this process computed and lost (a batch cut
        # short, segments held when it died) and by the segments' warm-up frames.
        self.frames_inferred = Counter(
            "posepipe_worker_frames_inferred",
            "Frames handed to the pose backend (or a pose process, warm-up included)",
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "posepipe_worker_job_duration_seconds", "Wall time of a job attempt",
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600), registry=self.registry,
        )
        self.registry.register(_StateCollector(state, settings))

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
