"""Putting a job on the queue, and how long the queue is."""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio as aioredis
from dramatiq import Broker, Message

from posepipe.errors import DependencyUnavailable
from posepipe.jobs.keys import ACTOR, DELAY_QUEUE_KEY, QUEUE, QUEUE_KEY


def job_message(job_id: str) -> Message[Any]:
    """The message that asks a worker to process one job."""
    return Message(queue_name=QUEUE, actor_name=ACTOR, args=(job_id,), kwargs={}, options={})


def enqueue_job(broker: Broker, job_id: str) -> str:
    """Queue the job; returns the message id (stable across redeliveries)."""
    try:
        return broker.enqueue(job_message(job_id)).message_id
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise DependencyUnavailable(f"Redis does not answer ({exc}); try again shortly") from exc


async def queue_depth(client: aioredis.Redis) -> int:
    """Jobs waiting: on the queue, plus retries waiting out their backoff."""
    try:
        waiting = int(await client.llen(QUEUE_KEY))  # type: ignore[misc]
        delayed = int(await client.llen(DELAY_QUEUE_KEY))  # type: ignore[misc]
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise DependencyUnavailable(f"Redis does not answer ({exc})") from exc
    return waiting + delayed
