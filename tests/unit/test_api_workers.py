"""GET /api/workers: the live workers' heartbeat records, relayed from the real Redis."""

from __future__ import annotations

import json
import time
from datetime import datetime

import httpx
import redis

from posepipe.config import Settings
from posepipe.jobs.keys import worker_key
from posepipe.jobs.workers import write_heartbeat
from posepipe.worker.heartbeat import Heartbeat
from posepipe.worker.state import WorkerState
from posepipe.worker.telemetry import gpu_reading
from tests.servers import free_port
from tests.unit.conftest import ApiServer

# The shape posepipe.gpu.gpu_status() reads from NVML on a GPU host.
H100 = {
    "name": "NVIDIA H100 80GB HBM3",
    "memory_used_mb": 20480,
    "memory_total_mb": 81559,
    "utilization_pct": 87,
    "temperature_c": 54,
}


def test_no_worker_is_an_empty_list(api: httpx.Client) -> None:
    response = api.get("/api/workers")
    assert response.status_code == 200, response.text
    assert response.json() == {"items": []}


def test_a_cpu_worker_from_its_own_heartbeat(
    api: httpx.Client, redis_client: redis.Redis, service_settings: Settings
) -> None:
    state = WorkerState(backend="mediapipe", model_loaded=True)
    state.begin_job("job-1")
    heartbeat = Heartbeat(
        redis_client, state, interval_s=1.0, read_gpu=lambda: gpu_reading(service_settings)
    )
    heartbeat.start()
    try:
        deadline = time.monotonic() + 5
        while not redis_client.exists(worker_key(state.worker_id)):
            assert time.monotonic() < deadline, "no heartbeat written"
            time.sleep(0.02)
        items = api.get("/api/workers").json()["items"]
    finally:
        heartbeat.stop()
    assert len(items) == 1
    worker = items[0]
    assert worker["worker_id"] == state.worker_id
    assert worker["backend"] == "mediapipe" and worker["model_loaded"] is True
    assert worker["device"] == "cpu"
    assert worker["gpu"] is None  # this host has no NVIDIA GPU: NVML reads nothing
    assert worker["current_job"] == "job-1"
    assert worker["pid"] > 0 and worker["host"]
    started = datetime.fromisoformat(worker["started_at"])
    beat = datetime.fromisoformat(worker["heartbeat_at"])
    assert started <= beat and abs(beat.timestamp() - time.time()) < 10
    # Stopped: the record is withdrawn, and the route says so at once.
    assert api.get("/api/workers").json() == {"items": []}


def test_gpu_readings_are_relayed_newest_worker_first(
    api: httpx.Client, redis_client: redis.Redis
) -> None:
    old = WorkerState(backend="hmr2", device="cuda:0", model_loaded=True)
    new = WorkerState(backend="mediapipe")
    new.started_at = old.started_at + 60
    write_heartbeat(redis_client, old.heartbeat_record(gpu=H100), interval_s=5)
    write_heartbeat(redis_client, new.heartbeat_record(gpu=None), interval_s=5)
    items = api.get("/api/workers").json()["items"]
    assert [w["worker_id"] for w in items] == [new.worker_id, old.worker_id]
    assert items[0]["gpu"] is None and items[0]["model_loaded"] is False
    assert items[1]["device"] == "cuda:0"
    assert items[1]["gpu"] == H100


def test_expired_and_unreadable_records_are_left_out(
    api: httpx.Client, redis_client: redis.Redis
) -> None:
    alive = WorkerState(backend="mediapipe", model_loaded=True)
    gone = WorkerState(backend="mediapipe", model_loaded=True)
    write_heartbeat(redis_client, alive.heartbeat_record(gpu=None), interval_s=5)
    write_heartbeat(redis_client, gone.heartbeat_record(gpu=None), interval_s=5)
    # A dead worker stops beating; Redis expires its record (here in 50 ms, not 15 s).
    redis_client.pexpire(worker_key(gone.worker_id), 50)
    # Records another version might write: without a device, or not JSON at all.
    redis_client.set(worker_key("odd"), json.dumps({"worker_id": "odd", "backend": "x"}), ex=30)
    redis_client.set(worker_key("garbled"), b"\x00not json", ex=30)
    time.sleep(0.2)
    response = api.get("/api/workers")
    assert response.status_code == 200, response.text
    assert [w["worker_id"] for w in response.json()["items"]] == [alive.worker_id]


def test_redis_down_is_503(service_settings: Settings) -> None:
    settings = service_settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    server = ApiServer(settings)
    server.start()
    try:
        response = httpx.get(f"{server.url}/api/workers", timeout=30)
    finally:
        server.stop()
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "dependency_unavailable"
    assert "Redis" in response.json()["error"]["message"]
