"""What routes depend on, as `Annotated` aliases over the clients the lifespan opened.

The providers are `async def` although none awaits: FastAPI runs a plain `def` dependency in
its thread pool, a thread hop per dependency per request.
"""

from __future__ import annotations

from typing import Annotated, Any

import redis.asyncio as aioredis
from dramatiq import Broker
from fastapi import Depends, Request
from pymongo.asynchronous.database import AsyncDatabase

from posepipe.api.metrics import ApiMetrics
from posepipe.config import Settings
from posepipe.store.frames import FrameRepository
from posepipe.store.jobs import JobRepository
from posepipe.store.media import MediaStore


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> AsyncDatabase[Any]:
    """The MongoDB database."""
    db: AsyncDatabase[Any] = request.app.state.db
    return db


async def get_jobs(db: Annotated[AsyncDatabase[Any], Depends(get_database)]) -> JobRepository:
    """The jobs repository."""
    return JobRepository(db)


async def get_frames(db: Annotated[AsyncDatabase[Any], Depends(get_database)]) -> FrameRepository:
    """The frames repository."""
    return FrameRepository(db)


async def get_redis(request: Request) -> aioredis.Redis:
    """The asyncio Redis client (pub/sub, heartbeats, queue depth)."""
    client: aioredis.Redis = request.app.state.redis
    return client


async def get_broker(request: Request) -> Broker:
    """The Dramatiq broker, to enqueue jobs."""
    broker: Broker = request.app.state.broker
    return broker


async def get_media(request: Request) -> MediaStore:
    """Where videos and overlays are kept."""
    media: MediaStore = request.app.state.media
    return media


async def get_metrics(request: Request) -> ApiMetrics:
    """This app's metrics."""
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[AsyncDatabase[Any], Depends(get_database)]
JobsDep = Annotated[JobRepository, Depends(get_jobs)]
FramesDep = Annotated[FrameRepository, Depends(get_frames)]
RedisDep = Annotated[aioredis.Redis, Depends(get_redis)]
BrokerDep = Annotated[Broker, Depends(get_broker)]
MediaDep = Annotated[MediaStore, Depends(get_media)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]
