"""The one actor, `process_video(job_id)`, declared on a broker with its handler.

The handler is passed in (the worker's JobRunner) instead of living at module level, so the
API can enqueue by name without importing the pipeline, and tests can build their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq import Broker

from posepipe.config import Settings
from posepipe.jobs.keys import ACTOR, QUEUE


def declare_process_video(
    broker: Broker, handler: Callable[[str], None], settings: Settings
) -> dramatiq.Actor[Any, Any]:
    """Register `handler` as the `process_video` actor on `broker`."""
    declare = dramatiq.actor(
        broker=broker,
        actor_name=ACTOR,
        queue_name=QUEUE,
        # AttemptLimit, not Retries, decides when to give up: it also counts crashes.
        max_retries=settings.pose_max_attempts,
        min_backoff=10_000,
        max_backoff=120_000,
        # Above the longest job: Dramatiq's default (10 min) would kill long videos.
        time_limit=int(settings.pose_job_time_limit_s * 1000),
    )
    return declare(handler)
