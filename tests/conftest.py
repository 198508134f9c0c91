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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots-dir",
        type=Path,
        default=None,
        help="also save the documentation's screenshots (tests marked `screenshots`) here; "
        "`make screenshots` refreshes docs/screenshots this way",
    )


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


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave tests/compose out unless named: it builds images and starts the Compose stack
    (minutes), so it runs as `make test-compose` (part of `make test`), not in every pytest."""
    compose = REPO / "tests" / "compose"
    if collection_path != compose:
        return None
    named = (Path(arg.split("::")[0]).resolve() for arg in config.args)
    return None if any(path == compose or compose in path.parents for path in named) else True
