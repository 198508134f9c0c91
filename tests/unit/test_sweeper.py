"""Stranded jobs (accepted, but their queue message gone) are sent again, once, by one worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from pymongo.database import Database

from posepipe.config import Settings
from posepipe.jobs.broker import build_broker
from posepipe.jobs.keys import QUEUE, QUEUE_KEY, worker_key
from posepipe.jobs.queue import enqueue_job
from posepipe.jobs.reclaim import job_id_of
from posepipe.store.job_updates import JobStore
from posepipe.store.models import new_job_document
from posepipe.worker.sweeper import StrandedJobSweeper

CONFIRM_S = 0.3


@pytest.fixture
def broker(service_settings: Settings) -> Iterator[RedisBroker]:
    broker = build_broker(service_settings)
    yield broker
    broker.close()


def _sweeper(db: Database[Any], client: redis.Redis, broker: RedisBroker, worker: str
             ) -> StrandedJobSweeper:
    return StrandedJobSweeper(jobs=JobStore(db), client=client, broker=broker, worker_id=worker,
                              interval_s=60, confirm_s=CONFIRM_S)


def _job(db: Database[Any], job_id: str, status: str = "queued", worker: str | None = None
         ) -> None:
    doc = new_job_document(job_id=job_id, video={"frames": 10})
    db.jobs.insert_one({**doc, "status": status, "worker": worker})


def _queued(client: redis.Redis) -> list[str | None]:
    ids = client.lrange(QUEUE_KEY, 0, -1)
    return [job_id_of(b) for b in client.hmget(f"{QUEUE_KEY}.msgs", ids)] if ids else []


def test_only_jobs_without_a_message_or_a_live_worker_are_sent_again(
    sync_db: Database[Any], redis_client: redis.Redis, broker: RedisBroker
) -> None:
    _job(sync_db, "fetched-by-dead", "running", "w-dead2")
    enqueue_job(broker, "fetched-by-dead")
    next(broker.consume(QUEUE, prefetch=1, timeout=100))  # now in a dead worker's ack set
    _job(sync_db, "queued-ok")
    enqueue_job(broker, "queued-ok")
    _job(sync_db, "queued-lost")
    _job(sync_db, "running-live", "running", "w-live")
    redis_client.set(worker_key("w-live"), "{}", ex=60)
    _job(sync_db, "running-dead", "running", "w-dead")
    _job(sync_db, "finished", "succeeded")
    _job(sync_db, "late", "queued")  # the API is about to enqueue it

    sweeper = _sweeper(sync_db, redis_client, broker, "w1")
    assert sweeper.sweep() == []  # suspects, not yet confirmed
    enqueue_job(broker, "late")
    time.sleep(CONFIRM_S + 0.05)
    assert sorted(sweeper.sweep()) == ["queued-lost", "running-dead"]
    assert sorted(j for j in _queued(redis_client) if j) == [
        "late", "queued-lost", "queued-ok", "running-dead"]
    time.sleep(CONFIRM_S + 0.05)
    assert sweeper.sweep() == []  # they have a message now: sent once


def test_two_workers_sweeping_send_a_job_once(
    sync_db: Database[Any], redis_client: redis.Redis, broker: RedisBroker
) -> None:
    _job(sync_db, "lost")
    first = _sweeper(sync_db, redis_client, broker, "w1")
    second = _sweeper(sync_db, redis_client, broker, "w2")
    first.sweep()
    second.sweep()
    time.sleep(CONFIRM_S + 0.05)
    redis_client.delete(f"{QUEUE_KEY}.msgs", QUEUE_KEY)  # even if the message is lost again
    assert first.sweep() == ["lost"]
    redis_client.delete(f"{QUEUE_KEY}.msgs", QUEUE_KEY)
    assert second.sweep() == []  # the first sent it moments ago: not twice
