"""Fixtures every test folder shares: test data paths and the real servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import MongoServer, RedisServer

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSEPIPE_SHARED_DIR", REPO.parent / "shared"))
VIDEOS = SHARED / "data" / "videos"
REFERENCE = SHARED / "data" / "reference"


@pytest.fixture(scope="session")
def videos_dir() -> Path:
    """`../shared/data/videos`, read in place."""
    if not VIDEOS.is_dir():
        pytest.fail(f"test videos not found at {VIDEOS}; set POSEPIPE_SHARED_DIR")
    return VIDEOS


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the whole session."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoServer]:
    """A real MongoDB wire server (mongod, else FerretDB) for the whole session."""
    url = os.environ.get("MONGODB_URL")
    if url:
        pytest.skip("MONGODB_URL given: tests use that server")  # pragma: no cover
    server = MongoServer(tmp_path_factory.mktemp("mongo"))
    server.start()
    yield server
    server.stop()
