"""`docker compose up -d --wait`: every service healthy, each with its time, pose-service
ready in under a minute, and the API ready with every dependency."""

from __future__ import annotations

import httpx
import pytest

from tests.compose.conftest import REPORT
from tests.compose.harness import SERVICES, ComposeStack

pytestmark = pytest.mark.compose

# The seed's target for the pose service, from `up` to healthy (the CPU backend here).
POSE_READY_S = 60.0


def test_all_five_services_are_healthy(stack: ComposeStack) -> None:
    assert stack.health() == dict.fromkeys(SERVICES, "healthy")


def test_pose_service_is_ready_within_a_minute(stack: ComposeStack) -> None:
    # From its own container's start (printed beside the time from `up`, which adds the wait
    # for Redis and MongoDB to become healthy first).
    seconds = REPORT["own_start_s"]["pose-service"]
    assert seconds < POSE_READY_S, f"pose-service took {seconds:.1f} s to become healthy"
    health = httpx.get(stack.pose_health_url, timeout=10).json()
    assert health["status"] == "ok" and health["model_loaded"] is True
    assert health["backend"] == "mediapipe" and health["device"] == "cpu"


def test_the_api_is_ready_with_every_dependency(stack: ComposeStack) -> None:
    with stack.client() as client:
        response = client.get("/api/ready")
    assert response.status_code == 200, response.text
    ready = response.json()
    assert ready["status"] == "ready", ready
    assert {name: check["status"] for name, check in ready["checks"].items()} == {
        "mongodb": "ok",
        "redis": "ok",
        "pose_service": "ok",
    }


def test_the_frontend_serves_the_app_and_proxies_the_api(stack: ComposeStack) -> None:
    page = httpx.get(stack.frontend_url + "/", timeout=30)
    assert page.status_code == 200 and '<div id="root">' in page.text
    proxied = httpx.get(stack.frontend_url + "/api/health", timeout=30)
    assert proxied.status_code == 200 and proxied.json() == {"status": "ok"}
