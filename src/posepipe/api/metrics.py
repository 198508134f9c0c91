"""The API's Prometheus metrics: requests, jobs by status, queue depth, frames, fps.

Each app has its own registry (no process-wide default), so tests can build many apps.
Job and queue figures are read from MongoDB and Redis when /metrics is scraped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import redis
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from posepipe.errors import DependencyUnavailable
from posepipe.jobs.keys import FRAMES_INFERRED_KEY, FRAMES_PROCESSED_KEY
from posepipe.jobs.queue import queue_depth
from posepipe.jobs.workers import live_workers
from posepipe.store.jobs import JobRepository

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _RedisCounter(Collector):
    """A counter whose value lives in Redis (all workers add to it, dead ones included)."""

    def __init__(self, name: str, documentation: str) -> None:
        self.name, self.documentation = name, documentation
        self.value = 0.0

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(self.name, self.documentation)
        family.add_metric([], self.value)
        yield family


class ApiMetrics:
    """The metrics one API process exposes at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "posepipe_api_requests", "HTTP requests answered",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "posepipe_api_request_duration_seconds", "Time to answer an HTTP request",
            ["method", "route"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.jobs = Gauge("posepipe_jobs", "Jobs by status", ["status"], registry=self.registry)
        self.queue_depth = Gauge(
            "posepipe_queue_depth", "Jobs waiting on the queue (retries included)",
            registry=self.registry,
        )
        self.workers = Gauge(
            "posepipe_workers_live", "pose-service workers with a fresh heartbeat",
            registry=self.registry,
        )
        self.fps = Gauge(
            "posepipe_processing_fps", "Frames per second, summed over the workers' current jobs",
            registry=self.registry,
        )
        self.dependency_up = Gauge(
            "posepipe_dependency_up", "1 when the dependency answered the last scrape",
            ["dependency"], registry=self.registry,
        )
        self._frames = _RedisCounter(
            "posepipe_frames_processed", "Frames processed by all pose-service workers"
        )
        # Above frames processed by the work lost to crashes (recomputed after a resume).
        self._inferred = _RedisCounter(
            "posepipe_frames_inferred",
            "Frames handed to a pose backend by all pose-service workers",
        )
        self.registry.register(self._frames)
        self.registry.register(self._inferred)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    async def refresh(self, jobs: JobRepository, client: aioredis.Redis) -> None:
        """Read the job and queue figures; a dependency that is down reads as 0 and down."""
        try:
            for status, count in (await jobs.count_by_status()).items():
                self.jobs.labels(status).set(count)
            self.dependency_up.labels("mongodb").set(1)
        except DependencyUnavailable as exc:
            log.info("metrics without MongoDB: %s", exc.message)
            self.dependency_up.labels("mongodb").set(0)
        try:
            self.queue_depth.set(await queue_depth(client))
            workers = await live_workers(client)
            self.workers.set(len(workers))
            self.fps.set(sum(float(w.get("fps") or 0.0) for w in workers))
            processed, inferred = await client.mget(FRAMES_PROCESSED_KEY, FRAMES_INFERRED_KEY)
            self._frames.value = float(processed or 0)
            self._inferred.value = float(inferred or 0)
            self.dependency_up.labels("redis").set(1)
        except (DependencyUnavailable, redis.RedisError) as exc:
            log.info("metrics without Redis: %s", exc)
            self.dependency_up.labels("redis").set(0)

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
