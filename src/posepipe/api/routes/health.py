"""Liveness and readiness."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from posepipe.api.deps import DatabaseDep, RedisDep
from posepipe.api.schemas import DependencyStatus, ErrorDetail, HealthStatus, ReadyStatus
from posepipe.jobs.workers import live_workers

router = APIRouter(prefix="/api", tags=["health"])

CHECK_TIMEOUT_S = 2.0


@router.get("/health", response_model=HealthStatus)
async def health() -> HealthStatus:
    """Liveness: 200 while the process serves."""
    return HealthStatus(status="ok")


@router.get(
    "/ready",
    response_model=ReadyStatus,
    responses={503: {"model": ReadyStatus, "description": "a dependency is unavailable"}},
)
async def ready(db: DatabaseDep, client: RedisDep) -> JSONResponse:
    """Readiness: MongoDB, Redis and a pose-service heartbeat, each with its own status."""

    async def mongodb() -> str:
        await db.command("ping")
        return "answers ping"

    async def redis_ping() -> str:
        await client.ping()  # type: ignore[misc]
        return "answers ping"

    async def pose_service() -> str:
        workers = await live_workers(client)
        loaded = [w for w in workers if w.get("model_loaded")]
        broken = [str(w["error"]) for w in workers if w.get("error")]
        if not loaded and broken:
            raise RuntimeError(f"the pose-service worker cannot start: {broken[0]}")
        if not loaded:
            starting = f" ({len(workers)} still loading its model)" if workers else ""
            raise RuntimeError(f"no pose-service worker has sent a heartbeat{starting}")
        backends = sorted({str(w.get("backend")) for w in loaded})
        return f"{len(loaded)} worker(s) alive ({', '.join(backends)})"

    checks = {"mongodb": mongodb, "redis": redis_ping, "pose_service": pose_service}
    results: dict[str, DependencyStatus] = {}

    async def run(name: str, check: Callable[[], Awaitable[str]]) -> None:
        results[name] = await _check(check)

    async with anyio.create_task_group() as group:
        for name, check in checks.items():
            group.start_soon(run, name, check)
    ordered = {name: results[name] for name in checks}
    down = [f"{name}: {s.detail}" for name, s in ordered.items() if s.status != "ok"]
    body = ReadyStatus(
        status="not_ready" if down else "ready",
        checks=ordered,
        error=ErrorDetail(code="not_ready", message="; ".join(down)) if down else None,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if down else 200)


async def _check(check: Callable[[], Awaitable[str]]) -> DependencyStatus:
    started = time.perf_counter()
    try:
        with anyio.fail_after(CHECK_TIMEOUT_S):
            detail = await check()
    except TimeoutError:
        return DependencyStatus(status="unavailable", detail=f"no answer in {CHECK_TIMEOUT_S:g} s")
    except Exception as exc:  # any failure of a dependency is "unavailable", said plainly
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return DependencyStatus(status="unavailable", detail=message)
    return DependencyStatus(
        status="ok", detail=detail, latency_ms=round((time.perf_counter() - started) * 1000, 2)
    )
