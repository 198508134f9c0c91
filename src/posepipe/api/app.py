"""The FastAPI app factory. The lifespan opens MongoDB, Redis and the broker once per
process and puts them on `app.state`; `deps.py` hands them to routes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from posepipe.api.errors import install_error_handlers
from posepipe.api.metrics import ApiMetrics
from posepipe.api.middleware import RequestContextMiddleware
from posepipe.api.openapi import install_openapi
from posepipe.api.routes import health, imports, jobs, metrics, system, videos, workers
from posepipe.config import Settings, get_settings
from posepipe.errors import DependencyUnavailable
from posepipe.jobs.broker import build_broker
from posepipe.store.client import async_client, ensure_indexes_async
from posepipe.store.media import LocalMediaStore

log = logging.getLogger(__name__)

INDEX_RETRY_S = 5.0


def create_app(settings: Settings | None = None) -> FastAPI:
    """backend-api, configured by `settings` (the environment's when None)."""
    settings = settings or get_settings()
    metrics_ = ApiMetrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mongo = async_client(settings)
        db = mongo.get_default_database("posepipe")
        app.state.settings = settings
        app.state.db = db
        app.state.redis = aioredis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=3, socket_timeout=10,
            health_check_interval=30,
        )
        app.state.broker = build_broker(settings)
        app.state.media = LocalMediaStore(settings.media_dir)
        app.state.metrics = metrics_
        indexes = asyncio.create_task(_ensure_indexes(db))
        # Everything alive now (modules, the app, its routes) lives as long as the process:
        # keep it out of the collector's sight, so a full collection is milliseconds, not
        # the tens of milliseconds that showed in the status endpoint's p99.
        gc.collect()
        gc.freeze()
        log.info("backend-api ready (media in %s)", app.state.media.root)
        try:
            yield
        finally:
            indexes.cancel()
            app.state.broker.close()
            await app.state.redis.aclose()
            await mongo.close()

    app = FastAPI(
        title="posepipe backend-api",
        version="1",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        # No redirect from `/api/jobs/` (or `/api/jobs/%2F`) to `/api/jobs`: a path that is
        # not served answers the JSON 404 like any other.
        redirect_slashes=False,
    )
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(RequestContextMiddleware, metrics=metrics_)
    app.include_router(health.router)
    app.include_router(videos.router)
    app.include_router(imports.router)
    app.include_router(jobs.router)
    app.include_router(workers.router)
    app.include_router(system.router)
    app.include_router(metrics.router)
    return app


async def _ensure_indexes(db: AsyncDatabase[Any]) -> None:
    """Create the indexes, retrying while MongoDB is away: the API starts without it."""
    while True:
        try:
            await ensure_indexes_async(db)
            return
        except DependencyUnavailable as exc:
            log.warning("indexes not created yet: %s", exc.message)
            await asyncio.sleep(INDEX_RETRY_S)
