"""pose-service's parts: watchdog, health server, heartbeat, throttled progress."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import redis
from pymongo.database import Database

from posepipe.config import Settings
from posepipe.jobs.keys import FRAMES_PROCESSED_KEY, events_channel, worker_key
from posepipe.jobs.progress import JobProgress
from posepipe.store.job_updates import JobStore
from posepipe.store.models import new_job_document
from posepipe.worker.health import HealthServer
from posepipe.worker.heartbeat import Heartbeat
from posepipe.worker.state import WorkerState
from posepipe.worker.telemetry import WorkerMetrics, gpu_reading
from posepipe.worker.watchdog import EXIT_STALLED, Watchdog


def test_watchdog_exits_when_a_job_stalls() -> None:
    state = WorkerState()
    exits: list[int] = []
    done = threading.Event()

    def record(code: int) -> None:
        exits.append(code)
        done.set()

    watchdog = Watchdog(state, stall_timeout_s=0.3, exit_process=record, check_s=0.05)
    watchdog.start()
    state.begin_job("j1")
    for _ in range(8):  # progress keeps it alive
        time.sleep(0.1)
        state.touch(1)
    assert exits == []
    assert done.wait(2.0)  # then silence for longer than the timeout
    assert exits == [EXIT_STALLED]
    watchdog.stop()


def test_watchdog_ignores_an_idle_worker() -> None:
    state = WorkerState()
    exits: list[int] = []
    watchdog = Watchdog(state, stall_timeout_s=0.1, exit_process=exits.append, check_s=0.02)
    watchdog.start()
    time.sleep(0.3)
    watchdog.stop()
    assert exits == []


def test_health_server(service_settings: Settings) -> None:
    state = WorkerState(backend="mediapipe")
    server = HealthServer("127.0.0.1", 0, state, WorkerMetrics(state, service_settings),
                          service_settings)
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        starting = httpx.get(f"{base}/health")
        assert starting.status_code == 503 and starting.json()["status"] == "starting"
        state.model_loaded = True
        state.begin_job("j9")
        body = httpx.get(f"{base}/health").json()
        assert set(body) >= {"status", "backend", "model_loaded", "device", "gpu",
                             "current_job", "uptime_s"}
        assert body["status"] == "ok" and body["current_job"] == "j9"
        assert body["gpu"] is None and body["device"] == "cpu"  # no NVIDIA GPU here
        metrics = httpx.get(f"{base}/metrics").text
        assert "posepipe_worker_busy 1.0" in metrics
        assert "posepipe_worker_model_loaded 1.0" in metrics
        assert httpx.get(f"{base}/nope").status_code == 404
    finally:
        server.stop()


def test_heartbeat_record_and_withdrawal(
    redis_client: redis.Redis, service_settings: Settings
) -> None:
    state = WorkerState(backend="mediapipe", model_loaded=True)
    heartbeat = Heartbeat(
        redis_client, state, interval_s=1.0, read_gpu=lambda: gpu_reading(service_settings)
    )
    heartbeat.start()
    time.sleep(0.2)
    raw = redis_client.get(worker_key(state.worker_id))
    assert raw is not None
    record = json.loads(raw)
    assert record["backend"] == "mediapipe" and record["model_loaded"] is True
    assert record["device"] == "cpu" and record["gpu"] is None  # no NVIDIA GPU here
    assert record["started_at"] <= record["time"]
    assert 0 < redis_client.ttl(worker_key(state.worker_id)) <= 3
    heartbeat.stop()
    assert redis_client.exists(worker_key(state.worker_id)) == 0


def test_heartbeat_record_carries_the_gpu_reading() -> None:
    state = WorkerState(backend="hmr2", device="cuda:0", model_loaded=True)
    reading = {"name": "NVIDIA RTX 4090", "memory_used_mb": 5120, "memory_total_mb": 24564,
               "utilization_pct": 91, "temperature_c": 66}
    record = state.heartbeat_record(gpu=reading)
    assert record["gpu"] == reading and record["device"] == "cuda:0"
    assert json.loads(json.dumps(record)) == record  # what Redis stores is plain JSON


def test_progress_is_published_at_most_twice_a_second(
    sync_db: Database[Any], redis_client: redis.Redis
) -> None:
    jobs = JobStore(sync_db)
    sync_db.jobs.insert_one(new_job_document(job_id="p1", video={"frames": 1000}))
    jobs.start_attempt("p1", "w")
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(events_channel("p1"))
    touched: list[int] = []
    progress = JobProgress(jobs=jobs, client=redis_client, job_id="p1", attempt=1,
                           interval_s=0.5, on_update=touched.append)
    progress.start(1000)
    started = time.monotonic()
    done = 0
    while time.monotonic() - started < 1.2:  # ~120 updates in 1.2 s
        done += 1
        progress.update(done)
        time.sleep(0.01)
    progress.finish()
    published = []
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if message is not None:
            published.append(json.loads(message["data"]))
    pubsub.close()
    assert len(touched) == done  # the watchdog hears of every update
    assert 3 <= len(published) <= 5  # start, about two per second, the final count
    assert published[-1]["frames_done"] == done
    doc = jobs.get("p1")
    assert doc is not None and doc["progress"] == {"frames_done": done, "frames_total": 1000}
    assert int(redis_client.get(FRAMES_PROCESSED_KEY) or 0) == done
