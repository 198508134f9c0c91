"""Putting messages back on the queue at once (jobs.reclaim), on real Redis and Dramatiq."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker

from posepipe.config import Settings
from posepipe.jobs.attempts import AttemptLimit
from posepipe.jobs.broker import build_broker
from posepipe.jobs.keys import HANDED_BACK_OPTION, NAMESPACE, QUEUE, QUEUE_KEY, attempts_key
from posepipe.jobs.queue import enqueue_job, job_message
from posepipe.jobs.reclaim import job_id_of, reclaim_unacked, requeue_message


@pytest.fixture
def brokers(service_settings: Settings) -> Iterator[tuple[RedisBroker, RedisBroker]]:
    """Two broker processes' worth: one enqueues (the API), one consumes (a worker)."""
    api, worker = build_broker(service_settings), build_broker(service_settings)
    yield api, worker
    api.close()
    worker.close()


def _fetch(broker: RedisBroker, queue: str = QUEUE, prefetch: int = 1) -> MessageProxy:
    consumer = broker.consume(queue, prefetch=prefetch, timeout=100)
    for _ in range(50):
        message = next(consumer)
        if message is not None:
            return message
    raise AssertionError(f"nothing to fetch on {queue}")


def _queued_jobs(client: redis.Redis) -> list[str | None]:
    ids = client.lrange(QUEUE_KEY, 0, -1)
    bodies = client.hmget(f"{QUEUE_KEY}.msgs", ids) if ids else []
    return [job_id_of(body) for body in bodies]


def test_a_dead_workers_messages_go_back_at_once_the_job_first(
    brokers: tuple[RedisBroker, RedisBroker], redis_client: redis.Redis
) -> None:
    api, dead = brokers
    enqueue_job(api, "running")
    enqueue_job(api, "waiting")
    api.enqueue(job_message("retry-later"), delay=60_000)
    assert job_id_of(_fetch(dead).encode()) == "running"  # fetched, never acked: it "died"
    _fetch(dead, f"{QUEUE}.DQ", prefetch=10)  # its delay-queue consumer held the retry
    acks = f"{NAMESPACE}:__acks__.{dead.broker_id}.{QUEUE}"
    assert redis_client.scard(acks) == 1
    assert _queued_jobs(redis_client) == ["waiting"]

    assert reclaim_unacked(redis_client, dead.broker_id) == ["running"]

    assert _queued_jobs(redis_client) == ["running", "waiting"]  # in front: it waited already
    assert redis_client.llen(f"{QUEUE_KEY}.DQ") == 1  # the retry keeps its own delay
    assert not redis_client.keys(f"{NAMESPACE}:__acks__.{dead.broker_id}*")
    assert redis_client.zscore(f"{NAMESPACE}:__heartbeats__", dead.broker_id) is None
    assert reclaim_unacked(redis_client, dead.broker_id) == []  # nothing twice


def test_a_stopping_worker_hands_its_own_message_back(
    brokers: tuple[RedisBroker, RedisBroker], redis_client: redis.Redis
) -> None:
    api, worker = brokers
    enqueue_job(api, "mine")
    enqueue_job(api, "next")
    consumer = worker.consume(QUEUE, prefetch=1, timeout=100)
    message = next(m for m in iter(lambda: next(consumer), "never") if m is not None)
    assert job_id_of(message.encode()) == "mine"

    assert requeue_message(redis_client, worker.broker_id, message)
    consumer.ack(message)  # what Dramatiq does when the actor returns: finds nothing to ack
    assert _queued_jobs(redis_client) == ["mine", "next"]
    assert not requeue_message(redis_client, worker.broker_id, message)  # not ours any more


def test_a_handed_back_delivery_is_not_counted(redis_client: redis.Redis) -> None:
    limit = AttemptLimit(redis_client, max_attempts=3, on_give_up=lambda m, n: None)
    message = job_message("reloaded")
    for _ in range(5):  # five `--reload`s in a row: never given up
        proxy = MessageProxy(message)
        limit.before_process_message(None, proxy)  # type: ignore[arg-type]
        proxy.options[HANDED_BACK_OPTION] = True
        limit.after_process_message(None, proxy)  # type: ignore[arg-type]
    assert redis_client.get(attempts_key(message.message_id)) == b"0"
