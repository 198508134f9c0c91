"""Progress of a running job: the job document and a Redis pub/sub channel for SSE.

The worker's `JobProgress` is the pipeline's ProgressReporter. It writes at most once per
POSE_PROGRESS_INTERVAL_S (0.5 s: twice a second), whatever the frame rate, and tells the
watchdog about every update.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import redis

from posepipe.jobs.keys import FRAMES_PROCESSED_KEY, events_channel
from posepipe.store.job_updates import JobStore

log = logging.getLogger(__name__)


def status_event(job_id: str, status: str) -> str:
    """The pub/sub payload announcing a status change."""
    return json.dumps({"type": "status", "job_id": job_id, "status": status})


def progress_event(job_id: str, done: int, total: int) -> str:
    """The pub/sub payload announcing progress."""
    return json.dumps(
        {"type": "progress", "job_id": job_id, "frames_done": done, "frames_total": total}
    )


def parse_event(data: bytes | str) -> dict[str, Any] | None:
    """A payload from the channel, or None if it is not one of ours."""
    try:
        event = json.loads(data)
    except ValueError:
        return None
    return event if isinstance(event, dict) and "type" in event else None


def publish_status(client: redis.Redis, job_id: str, status: str) -> None:
    """Announce a status change; a Redis hiccup only costs the live view an update."""
    try:
        client.publish(events_channel(job_id), status_event(job_id, status))
    except redis.RedisError as exc:
        log.warning("could not publish status %s: %s", status, exc)


class JobProgress:
    """ProgressReporter for the worker: job document + pub/sub, throttled."""

    def __init__(
        self,
        *,
        jobs: JobStore,
        client: redis.Redis,
        job_id: str,
        attempt: int,
        interval_s: float,
        on_update: Callable[[int], None] | None = None,
        done: int = 0,
    ) -> None:
        self._jobs = jobs
        self._client = client
        self._job_id = job_id
        self._attempt = attempt
        self._interval_s = interval_s
        self._on_update = on_update
        self._total = 0
        # A resumed attempt starts where the stored frames end: progress never goes back.
        self._done = done
        self._flushed_done = done
        self._flushed_at = 0.0

    def start(self, total: int) -> None:
        self._total = total
        self._flush(self._done)

    def update(self, done: int) -> None:
        if self._on_update is not None:
            self._on_update(done)
        self._done = done
        if time.monotonic() - self._flushed_at >= self._interval_s:
            self._flush(done)

    def finish(self) -> None:
        if self._done != self._flushed_done:
            self._flush(self._done)

    def _flush(self, done: int) -> None:
        self._flushed_at = time.monotonic()
        self._jobs.set_progress(self._job_id, self._attempt, done, max(self._total, done))
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.incrby(FRAMES_PROCESSED_KEY, done - self._flushed_done)
            pipe.publish(
                events_channel(self._job_id),
                progress_event(self._job_id, done, max(self._total, done)),
            )
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("could not publish progress: %s", exc)
        self._flushed_done = done
