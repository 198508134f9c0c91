"""GET /api/system/memory against the real Redis and MongoDB (or FerretDB) of the session,
checked against what the kernel says of each process (/proc/PID/status)."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from posepipe.config import Settings
from posepipe.jobs.keys import worker_key
from posepipe.jobs.workers import write_heartbeat
from posepipe.worker.heartbeat import Heartbeat
from posepipe.worker.memory_guard import MemoryGuard
from posepipe.worker.state import WorkerState
from tests.servers import MongoServer, RedisServer, free_port
from tests.unit.conftest import ApiServer

SERVICES = ["backend-api", "pose-service", "redis", "mongodb", "frontend"]


def _vm_rss(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    assert match
    return int(match.group(1)) * 1024


class DevServerMemory:
    """An HTTP server answering `/__posepipe/memory` as the Vite dev server's plugin does."""

    def __init__(self, body: bytes) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.paths: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> DevServerMemory:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served_api(service_settings: Settings) -> Iterator[Any]:
    """Start backend-api with FRONTEND_URL set to `url`; yields a function that does so."""
    started: list[ApiServer] = []

    def start(frontend_url: str) -> httpx.Client:
        server = ApiServer(service_settings.model_copy(update={"frontend_url": frontend_url}))
        server.start()
        started.append(server)
        return httpx.Client(base_url=server.url, timeout=30)

    yield start
    for server in started:
        server.stop()


def _rows(client: httpx.Client) -> list[dict[str, Any]]:
    response = client.get("/api/system/memory")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["services"]
    return rows


def test_every_service_as_the_kernel_sees_it(
    served_api: Any, redis_server: RedisServer, mongo_server: MongoServer
) -> None:
    vite = {"pid": 4242, "rss_bytes": 91_000_000, "limit_bytes": 2_147_483_648,
            "limit_source": "cgroup"}
    with DevServerMemory(json.dumps(vite).encode()) as dev, served_api(dev.url) as client:
        rows = _rows(client)
        assert [r["service"] for r in rows] == SERVICES
        by = {r["service"]: r for r in rows}

        api = by["backend-api"]  # served from a thread of this very process
        assert api["pid"] == os.getpid()
        assert api["rss_bytes"] == pytest.approx(_vm_rss(os.getpid()), rel=0.10)
        assert api["limit_source"] in ("cgroup", "machine") and api["limit_bytes"] > 0

        assert by["pose-service"]["rss_bytes"] is None
        assert by["pose-service"]["detail"] == "no worker is running"

        assert redis_server.process is not None
        assert by["redis"]["pid"] == redis_server.process.pid
        assert by["redis"]["rss_bytes"] == pytest.approx(
            _vm_rss(redis_server.process.pid), rel=0.10
        )
        assert by["redis"]["limit_source"] == "machine"  # no maxmemory in the tests' Redis

        mongo = by["mongodb"]
        assert mongo_server.process is not None
        assert mongo["pid"] == mongo_server.process.pid
        if mongo_server.flavour == "ferretdb":
            # FerretDB's serverStatus has no mem section: unknown, never a made-up figure.
            assert mongo["rss_bytes"] is None and mongo["limit_bytes"] is None
            assert "does not report its resident memory" in mongo["detail"]
        else:
            assert mongo["rss_bytes"] == pytest.approx(
                _vm_rss(mongo_server.process.pid), rel=0.10
            )

        assert by["frontend"] == {
            "service": "frontend", "instance": dev.url, "pid": 4242, "rss_bytes": 91_000_000,
            "limit_bytes": 2_147_483_648, "limit_source": "cgroup",
            "detail": "the Vite dev server's own figures (/__posepipe/memory)",
        }
        assert dev.paths == ["/__posepipe/memory"]


def test_each_worker_from_its_heartbeat(
    served_api: Any, redis_client: redis.Redis, service_settings: Settings
) -> None:
    state = WorkerState(backend="mediapipe", model_loaded=True)
    guard = MemoryGuard(state, service_settings.pose_memory_warn_pct)
    heartbeat = Heartbeat(redis_client, state, 1.0, read_gpu=lambda: None,
                          read_memory=guard.reading)
    # A worker of an older version: its heartbeat has no memory field.
    write_heartbeat(redis_client, {"worker_id": "aaa-old", "pid": 7, "device": "cpu",
                                   "model_loaded": True, "time": time.time()}, 5.0)
    heartbeat.start()
    try:
        deadline = time.monotonic() + 5
        while not redis_client.exists(worker_key(state.worker_id)):
            assert time.monotonic() < deadline, "no heartbeat written"
            time.sleep(0.02)
        with served_api(f"http://127.0.0.1:{free_port()}") as client:
            rows = [r for r in _rows(client) if r["service"] == "pose-service"]
    finally:
        heartbeat.stop()
    assert [r["instance"] for r in rows] == ["aaa-old", state.worker_id]
    old, live = rows
    assert old["rss_bytes"] is None and old["detail"] == "its heartbeat carries no memory"
    assert live["pid"] == os.getpid()
    assert live["rss_bytes"] == pytest.approx(_vm_rss(os.getpid()), rel=0.10)
    assert live["limit_source"] in ("cgroup", "machine")


def test_a_frontend_that_does_not_answer_is_unknown(served_api: Any) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    with served_api(nobody) as client:
        frontend = _rows(client)[-1]
    assert frontend["service"] == "frontend" and frontend["rss_bytes"] is None
    assert frontend["detail"].startswith(
        f"the dev server does not answer at {nobody}/__posepipe/memory"
    )


def test_a_frontend_that_answers_nonsense_is_unknown(served_api: Any) -> None:
    with DevServerMemory(b"<html>not this</html>") as dev, served_api(dev.url) as client:
        frontend = _rows(client)[-1]
    assert frontend["rss_bytes"] is None and "does not answer" in frontend["detail"]


def test_redis_away_leaves_the_other_rows(
    service_settings: Settings, redis_server: RedisServer
) -> None:
    settings = service_settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0",
                "frontend_url": f"http://127.0.0.1:{free_port()}"}
    )
    server = ApiServer(settings)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            by = {r["service"]: r for r in _rows(client)}
    finally:
        server.stop()
    assert by["redis"]["rss_bytes"] is None and by["redis"]["detail"]
    assert by["pose-service"]["rss_bytes"] is None and "Redis" in by["pose-service"]["detail"]
    assert by["backend-api"]["rss_bytes"] is not None
