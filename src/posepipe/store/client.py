"""Connections to MongoDB, the indexes both services rely on, and its errors as ours."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, MongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, OperationFailure

from posepipe.config import Settings
from posepipe.errors import DependencyUnavailable

log = logging.getLogger(__name__)

JOBS = "jobs"
FRAMES = "frames"
# A result's header (backend, skeleton, video), one per job. Not on the job document: the
# status endpoint reads that document at hundreds of requests a second, and the header
# would more than double what MongoDB (FerretDB above all) decodes for each read.
RESULTS = "results"
# Where a redelivered job can go on from (posepipe.pose.resume), one per job. Not on the job
# document either: the tracker's state is about 13 KB per person in view.
RESUME_POINTS = "resume_points"

# (collection, keys, options). The unique (job_id, i) index is what makes a redelivered job
# overwrite its frames instead of adding a second copy.
_INDEXES: list[tuple[str, list[tuple[str, int]], dict[str, Any]]] = [
    (FRAMES, [("job_id", ASCENDING), ("i", ASCENDING)], {"unique": True, "name": "job_frame"}),
    (JOBS, [("created_at", DESCENDING)], {"name": "newest_first"}),
    (JOBS, [("status", ASCENDING)], {"name": "by_status"}),
    (JOBS, [("video.media_key", ASCENDING)], {"name": "by_media_file"}),
]


def _options(settings: Settings, app: str) -> dict[str, Any]:
    timeout_ms = int(settings.mongodb_timeout_s * 1000)
    return {
        "tz_aware": True,
        "appname": app,
        "serverSelectionTimeoutMS": timeout_ms,
        "connectTimeoutMS": timeout_ms,
    }


def async_client(settings: Settings, app: str = "backend-api") -> AsyncMongoClient[Any]:
    """The API's client (asyncio). Connects lazily: a MongoDB that is down does not stop it."""
    return AsyncMongoClient(settings.mongodb_url, **_options(settings, app))


def sync_client(settings: Settings, app: str = "pose-service") -> MongoClient[Any]:
    """The worker's client: jobs run synchronously in the actor thread."""
    return MongoClient(settings.mongodb_url, **_options(settings, app))


async def ensure_indexes_async(db: AsyncDatabase[Any]) -> None:
    """Create the indexes if they are missing (idempotent)."""
    with mongo_errors():
        for collection, keys, options in _INDEXES:
            await db[collection].create_index(keys, **options)


def ensure_indexes(db: Database[Any]) -> None:
    """Create the indexes if they are missing (idempotent)."""
    with mongo_errors():
        for collection, keys, options in _INDEXES:
            db[collection].create_index(keys, **options)


@contextlib.contextmanager
def mongo_errors() -> Iterator[None]:
    """Turn "MongoDB does not answer" into DependencyUnavailable; other errors pass."""
    try:
        yield
    except ConnectionFailure as exc:
        raise DependencyUnavailable(
            f"MongoDB does not answer ({type(exc).__name__}); try again shortly"
        ) from exc
    except OperationFailure as exc:
        # "not primary" and shutdown codes: the server is there but cannot serve right now.
        if exc.code in (11600, 11602, 10107, 13435, 189, 91):
            raise DependencyUnavailable(f"MongoDB cannot serve right now: {exc}") from exc
        raise
