"""Worker heartbeats in Redis: how the API knows a pose-service is alive, and what it does.

Each worker SETs its record under `posepipe:workers:<id>` with a TTL of a few heartbeat
intervals; a worker that dies simply expires.
"""

from __future__ import annotations

import json
from typing import Any

import redis
import redis.asyncio as aioredis

from posepipe.errors import DependencyUnavailable
from posepipe.jobs.keys import WORKERS_PATTERN, worker_key


def heartbeat_ttl_s(interval_s: float) -> int:
    """How long a heartbeat stays valid: three intervals, so one late beat is not death."""
    return max(2, round(3 * interval_s))


def write_heartbeat(client: redis.Redis, record: dict[str, Any], interval_s: float) -> None:
    """Publish this worker's record for the next few intervals."""
    client.set(worker_key(record["worker_id"]), json.dumps(record), ex=heartbeat_ttl_s(interval_s))


def clear_heartbeat(client: redis.Redis, worker_id: str) -> None:
    """Withdraw this worker's record (it is shutting down)."""
    client.delete(worker_key(worker_id))


async def live_workers(client: aioredis.Redis) -> list[dict[str, Any]]:
    """The records of every worker whose heartbeat has not expired."""
    try:
        keys = [key async for key in client.scan_iter(match=WORKERS_PATTERN, count=100)]
        values = await client.mget(keys) if keys else []
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise DependencyUnavailable(f"Redis does not answer ({exc})") from exc
    records = []
    for value in values:
        if value is None:
            continue
        try:
            records.append(json.loads(value))
        except ValueError:
            continue
    return records
