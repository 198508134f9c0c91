"""Unhealthy blocks nothing: pose-service with POSE_BACKEND=hmr2 in the CPU variant (no CUDA,
no model files) never reports ready, while backend-api and the frontend stay healthy, an
upload is accepted and waits in the queue, and /api/ready and the System page say why.
With the backend set back, the queued job runs."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.compose.harness import ComposeStack
from tests.conftest import VIDEOS
from tests.e2e.conftest import artifact

pytestmark = pytest.mark.compose


def _pose_service_error(stack: ComposeStack, timeout_s: float = 90) -> str:
    """The reason pose-service's /health gives for not being ready."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            response = httpx.get(stack.pose_health_url, timeout=5)
            doc = response.json()
            if response.status_code == 503 and doc.get("error"):
                return str(doc["error"])
        except (httpx.TransportError, ValueError):
            pass
        time.sleep(1)
    raise AssertionError(
        f"pose-service never said why it is not ready\n{stack.last_logs('pose-service')}"
    )


def _ready_once_old_heartbeats_expire(client: httpx.Client) -> httpx.Response:
    """/api/ready, asked until it says not ready or the replaced worker's heartbeat has surely
    expired. A worker that stops in time withdraws its record, but one Docker had to kill at
    the end of stop_grace_period (a loaded 2-core machine) leaves it for up to its lifetime,
    3 x POSE_HEARTBEAT_INTERVAL_S (15 s), and until then the API rightly counts it."""
    deadline = time.monotonic() + 3 * 5.0 + 10
    while True:
        ready = client.get("/api/ready")
        if ready.status_code == 503 or time.monotonic() > deadline:
            return ready
        time.sleep(1)


def test_a_broken_backend_keeps_the_rest_of_the_stack_up(page: Page, stack: ComposeStack) -> None:
    stack.write_env(POSE_BACKEND="hmr2")
    try:
        stack.compose("up", "-d", "pose-service")  # no --wait: it will never be healthy
        reason = _pose_service_error(stack)
        assert "hmr2" in reason or "CUDA" in reason or "torch" in reason, reason

        job_id = stack.upload(VIDEOS / "single_person_squats_portrait.mp4")
        time.sleep(10)  # long enough for a worker that took jobs to have taken it
        with stack.client() as client:
            job = client.get(f"/api/jobs/{job_id}").json()
            ready = _ready_once_old_heartbeats_expire(client)
        assert job["status"] == "queued" and job["attempts"] == 0, job
        assert ready.status_code == 503, ready.text
        pose_check = ready.json()["checks"]["pose_service"]
        assert pose_check["status"] != "ok" and "cannot start" in pose_check["detail"], pose_check

        health = stack.health()
        assert health["backend-api"] == "healthy" and health["frontend"] == "healthy", health
        assert health["pose-service"] in ("starting", "unhealthy"), health

        page.goto(f"{stack.frontend_url}/system")
        expect(page.get_by_test_id("system-ready")).to_contain_text("Not ready")
        services = page.get_by_test_id("system-services")
        worker_row = services.locator("[data-service=pose_service]")
        expect(worker_row).to_have_attribute("data-ok", "false")
        expect(worker_row).to_contain_text("cannot start")
        page.screenshot(path=str(artifact("compose-system-broken-backend.png")), full_page=True)
    finally:
        stack.write_env(POSE_BACKEND=None)
        stack.up()

    stack.wait_for_job(job_id, "succeeded", timeout_s=120)
