"""Data persists: after `docker compose down` and `up`, jobs, results, uploaded media and the
JSON-lines log history are still there; `down -v` removes them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compose.harness import ComposeStack

pytestmark = pytest.mark.compose

API_LOG = "/data/logs/backend-api.jsonl"


@pytest.fixture(scope="module")
def request_before_down(stack: ComposeStack) -> str:
    """The request id of a request made before any `down`: its log line must outlive `down`,
    and `down -v` must take it away."""
    with stack.client() as client:
        return client.get("/api/jobs/not-a-job-before-down").headers["x-request-id"]


def _log_history(stack: ComposeStack) -> str:
    return stack.compose(
        "run",
        "--rm",
        "--no-deps",
        "-T",
        "backend-api",
        "sh",
        "-c",
        f"cat {API_LOG} 2>/dev/null || true",
        timeout=120,
    )


def test_down_and_up_keep_everything(
    stack: ComposeStack, main_job: dict[str, Any], request_before_down: str
) -> None:
    job_id = main_job["id"]
    marker = request_before_down
    with stack.client() as client:
        jobs_before = client.get("/api/jobs", params={"limit": 200}).json()
        poses_before = client.get(f"/api/jobs/{job_id}/poses").json()
    assert marker in stack.compose("exec", "-T", "backend-api", "cat", API_LOG)

    stack.down()
    assert stack.containers() == []
    stack.up()

    with stack.client() as client:
        assert client.get("/api/jobs", params={"limit": 200}).json() == jobs_before
        assert client.get(f"/api/jobs/{job_id}/poses").json() == poses_before
        video = client.get(f"/api/jobs/{job_id}/video", headers={"Range": "bytes=0-99"})
        overlay = client.get(f"/api/jobs/{job_id}/overlay.mp4", headers={"Range": "bytes=0-99"})
    assert video.status_code == 206 and len(video.content) == 100
    assert overlay.status_code == 206 and len(overlay.content) == 100
    assert marker in _log_history(stack), "the JSON-lines history lost the lines before down"


def test_down_v_removes_the_data(
    stack: ComposeStack, main_job: dict[str, Any], request_before_down: str
) -> None:
    marker = request_before_down
    assert marker in _log_history(stack), "the marker must be in the history before down -v"
    stack.down(volumes=True)
    stack.up()
    with stack.client() as client:
        jobs = client.get("/api/jobs").json()
        gone = client.get(f"/api/jobs/{main_job['id']}")
    assert jobs == {"items": [], "total": 0}
    assert gone.status_code == 404
    assert marker not in _log_history(stack)
