"""Health, readiness, metrics, OpenAPI, request ids, and answers when a dependency is down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from pymongo.database import Database

from posepipe.config import Settings
from posepipe.jobs.workers import write_heartbeat
from tests.servers import free_port
from tests.unit.conftest import ApiServer


def test_health(api: httpx.Client) -> None:
    response = api.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_needs_a_worker_heartbeat(api: httpx.Client, redis_client: redis.Redis) -> None:
    response = api.get("/api/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["mongodb"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"
    assert body["checks"]["pose_service"]["status"] == "unavailable"
    assert body["error"]["code"] == "not_ready"
    assert "pose_service" in body["error"]["message"]

    record = {"worker_id": "w1", "backend": "mediapipe", "model_loaded": True}
    write_heartbeat(redis_client, record, interval_s=5)
    response = api.get("/api/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    assert "1 worker(s)" in response.json()["checks"]["pose_service"]["detail"]


def test_metrics_are_prometheus_text(
    api: httpx.Client, videos_dir: Path, redis_client: redis.Redis
) -> None:
    with (videos_dir / "single_person_squats_portrait.mp4").open("rb") as f:
        assert api.post("/api/videos", files={"file": ("a.mp4", f)}).status_code == 201
    api.get("/api/jobs")
    text = api.get("/metrics").text
    assert 'posepipe_jobs{status="queued"} 1.0' in text
    assert "posepipe_queue_depth 1.0" in text
    assert "posepipe_frames_processed_total 0.0" in text
    assert "posepipe_processing_fps" in text
    assert 'posepipe_api_requests_total{method="GET",route="/api/jobs",status="200"} 1.0' in text
    assert 'route="/api/videos"' in text


def test_openapi_and_request_ids(api: httpx.Client) -> None:
    document = api.get("/api/openapi.json").json()
    assert "/api/jobs/{job_id}/events" in document["paths"]
    response = api.get("/api/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = api.get("/api/health").headers["x-request-id"]
    assert len(generated) == 16


def test_unknown_routes_use_the_error_body(api: httpx.Client) -> None:
    response = api.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = api.put("/api/jobs")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.fixture
def dead_mongo_api(service_settings: Settings) -> Iterator[httpx.Client]:
    """The API with MONGODB_URL pointing where nothing listens."""
    settings = service_settings.model_copy(
        update={"mongodb_url": f"mongodb://127.0.0.1:{free_port()}/x", "mongodb_timeout_s": 0.5}
    )
    server = ApiServer(settings)
    server.start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    server.stop()


def test_mongodb_down_is_503_never_500(dead_mongo_api: httpx.Client, videos_dir: Path) -> None:
    assert dead_mongo_api.get("/api/health").status_code == 200
    for path in ("/api/jobs", "/api/jobs/abc", "/api/jobs/abc/poses", "/api/jobs/abc/events"):
        response = dead_mongo_api.get(path)
        assert response.status_code == 503, path
        assert response.json()["error"]["code"] == "dependency_unavailable"
        assert "MongoDB" in response.json()["error"]["message"]
        assert response.headers["retry-after"]
    with (videos_dir / "single_person_squats_portrait.mp4").open("rb") as f:
        response = dead_mongo_api.post("/api/videos", files={"file": ("a.mp4", f)})
    assert response.status_code == 503
    ready = dead_mongo_api.get("/api/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["mongodb"]["status"] == "unavailable"
    assert dead_mongo_api.get("/metrics").status_code == 200


def test_redis_down_upload_is_503_and_leaves_nothing(
    service_settings: Settings, videos_dir: Path, sync_db: Database[Any]
) -> None:
    settings = service_settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    server = ApiServer(settings)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            with (videos_dir / "single_person_squats_portrait.mp4").open("rb") as f:
                response = client.post("/api/videos", files={"file": ("a.mp4", f)})
            assert response.status_code == 503, response.text
            assert "Redis" in response.json()["error"]["message"]
            ready = client.get("/api/ready").json()
            assert ready["checks"]["redis"]["status"] == "unavailable"
    finally:
        server.stop()
    assert sync_db.jobs.count_documents({}) == 0
    media = settings.media_dir
    assert [p for p in media.rglob("*") if p.is_file()] == []

