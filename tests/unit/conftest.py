"""Fixtures for the tests of the services' parts: an API app on the session's real servers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from pymongo.database import Database

from posepipe.api.app import create_app
from posepipe.api.protocol import JsonErrorsHttpToolsProtocol
from posepipe.config import Settings
from posepipe.store.client import ensure_indexes, sync_client
from tests.servers import MongoServer, RedisServer, free_port

# Redis database of these tests (the session's redis-server is shared): flushed per test.
_REDIS_DB = 1


@pytest.fixture
def service_settings(
    tmp_path: Path, redis_server: RedisServer, mongo_server: MongoServer
) -> Settings:
    """Settings on a fresh MongoDB database and an empty Redis database; media in tmp_path."""
    redis_url = f"redis://127.0.0.1:{redis_server.port}/{_REDIS_DB}"
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()
    return Settings(
        mongodb_url=f"mongodb://127.0.0.1:{mongo_server.port}/t_{uuid.uuid4().hex[:10]}",
        redis_url=redis_url,
        media_dir=tmp_path / "media",
        max_upload_mb=2,
        mongodb_timeout_s=2.0,
        pose_backend="mediapipe",
    )


class ApiServer:
    """backend-api served by uvicorn from a thread of the test process, on a free port."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port,
            log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=2,
            http=JsonErrorsHttpToolsProtocol,  # as `posepipe api` serves it
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="api-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def api_server(service_settings: Settings) -> Iterator[ApiServer]:
    """backend-api over real HTTP, on the real servers."""
    server = ApiServer(service_settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api(api_server: ApiServer) -> Iterator[httpx.Client]:
    """An HTTP client on the API."""
    with httpx.Client(base_url=api_server.url, timeout=30) as client:
        yield client


@pytest.fixture
def sync_db(service_settings: Settings) -> Iterator[Database[Any]]:
    """The same MongoDB database through the worker's synchronous client, indexes made."""
    client = sync_client(service_settings)
    db = client.get_default_database()
    ensure_indexes(db)
    yield db
    client.close()


@pytest.fixture
def redis_client(service_settings: Settings) -> Iterator[redis.Redis]:
    """A synchronous client on the tests' Redis database."""
    client = redis.Redis.from_url(service_settings.redis_url)
    yield client
    client.close()
