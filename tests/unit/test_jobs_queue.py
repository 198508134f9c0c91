"""The queue: messages the worker understands, queue depth, and AttemptLimit on real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from dramatiq.broker import MessageProxy
from dramatiq.middleware import SkipMessage

from posepipe.config import Settings
from posepipe.jobs.attempts import AttemptLimit
from posepipe.jobs.broker import MAINTENANCE_CHANCE, build_broker
from posepipe.jobs.keys import ACTOR, ATTEMPT_OPTION, QUEUE, attempts_key
from posepipe.jobs.queue import enqueue_job, job_message, queue_depth


def test_broker_follows_the_measured_settings(service_settings: Settings) -> None:
    broker = build_broker(service_settings)
    try:
        assert broker.heartbeat_timeout == 60_000
        assert MAINTENANCE_CHANCE == 100_000  # 10 %: a dead worker's job back in ~1 min
        assert broker.namespace == "posepipe"
    finally:
        broker.close()


def test_enqueue_and_depth(service_settings: Settings) -> None:
    async def depth() -> int:
        client = aioredis.Redis.from_url(service_settings.redis_url)
        try:
            return await queue_depth(client)
        finally:
            await client.aclose()

    broker = build_broker(service_settings)
    try:
        assert asyncio.run(depth()) == 0
        assert enqueue_job(broker, "job-a")
        enqueue_job(broker, "job-b")
        assert asyncio.run(depth()) == 2
    finally:
        broker.close()


def test_job_message_names_the_actor() -> None:
    message = job_message("j1")
    assert (message.queue_name, message.actor_name, message.args) == (QUEUE, ACTOR, ("j1",))


def test_attempt_limit_counts_deliveries_and_gives_up(redis_client: redis.Redis) -> None:
    given_up: list[tuple[Any, int]] = []
    limit = AttemptLimit(
        redis_client, max_attempts=3, on_give_up=lambda m, n: given_up.append((m, n))
    )
    message = job_message("poison")
    for expected in (1, 2, 3):  # three deliveries (crash redeliveries keep the message id)
        proxy = MessageProxy(message)
        limit.before_process_message(None, proxy)  # type: ignore[arg-type]
        assert proxy.options[ATTEMPT_OPTION] == expected
    proxy = MessageProxy(message)
    with pytest.raises(SkipMessage):
        limit.before_process_message(None, proxy)  # type: ignore[arg-type]
    assert proxy.failed
    assert [n for _, n in given_up] == [3]
    assert redis_client.exists(attempts_key(message.message_id)) == 0


def test_a_finished_message_forgets_its_count(redis_client: redis.Redis) -> None:
    limit = AttemptLimit(redis_client, max_attempts=3, on_give_up=lambda m, n: None)
    message = MessageProxy(job_message("ok"))
    limit.before_process_message(None, message)  # type: ignore[arg-type]
    limit.after_process_message(None, message, exception=RuntimeError("retry me"))  # type: ignore[arg-type]
    assert redis_client.get(attempts_key(message.message_id)) == b"1"
    limit.after_process_message(None, message)  # type: ignore[arg-type]
    assert redis_client.exists(attempts_key(message.message_id)) == 0
    assert redis_client.ttl(attempts_key("x")) == -2
