"""A worker whose backend cannot start stays up, unready, and says why: no crash loop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import RedisServer, free_port

pytestmark = pytest.mark.integration


def test_missing_backend_keeps_health_unready_with_the_reason(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "POSE_BACKEND": "hmr2",  # no CUDA or torch here: it cannot start
        "REDIS_URL": redis_server.url,
        "MONGODB_URL": "mongodb://127.0.0.1:1/never-reached",
        "MODEL_CACHE_DIR": str(tmp_path / "models"),
        "LOG_FORMAT": "json",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "posepipe", "worker", "--health-port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        body: dict = {}
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                body = response.json()
                if body.get("status") == "error":
                    break
            except httpx.HTTPError:
                pass
            assert worker.poll() is None, "the worker exited instead of staying up"
            time.sleep(0.2)
        assert response.status_code == 503
        assert body["status"] == "error" and body["model_loaded"] is False
        assert "hmr2 backend cannot run" in body["error"]
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 1
    assert "Traceback" not in out + err
    assert "the pose backend cannot start" in out + err
