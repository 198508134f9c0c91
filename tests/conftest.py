"""Fixtures every test folder shares: test data paths and the real servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import MongoServer, RedisServer

REPO = Path(__file__).resolve().parents[1]
# Real clips and reference landmarks, committed with their licences (data/*/SOURCES.md).
DATA = REPO / "data"
VIDEOS = DATA / "videos"
REFERENCE = DATA / "reference"


@pytest.fixture(scope="session")
def videos_dir() -> Path:
    """`data/videos` of the repository, read in place."""
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
