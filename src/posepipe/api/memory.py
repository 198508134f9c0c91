"""Every service's resident memory, each read from the one who knows it.

- backend-api: this process (/proc/self, its cgroup or the machine's total);
- pose-service: each worker's heartbeat (the worker reads its own /proc every few seconds);
- Redis: `INFO` (used_memory_rss; its limit is `maxmemory` when set, else the total memory
  of the machine it runs on: Redis cannot see a container's limit);
- MongoDB: `serverStatus` mem.resident (MiB) and `hostInfo` memLimitMB, which mongod reads
  from its cgroup. FerretDB reports neither: unknown, never a guess;
- frontend: the Vite dev server answers `/__posepipe/memory` (vite.config.ts) with its own
  figures; unreachable means unknown.

In Compose each service is a container the API cannot look into, so every figure comes from
the service itself, never from this process reading another's /proc.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.request
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import anyio
import redis.asyncio as aioredis
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from posepipe.api.schemas import MemoryReading, ServiceMemory, ServiceName, SystemMemory
from posepipe.jobs.workers import live_workers
from posepipe.memory import memory_limit, rss_bytes

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 2.0
FRONTEND_PATH = "/__posepipe/memory"
_MIB = 1024 * 1024
# Straight to the dev server: an HTTP(S)_PROXY in the environment must not relay the request.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


async def system_memory(
    db: AsyncDatabase[Any], client: aioredis.Redis, frontend_url: str
) -> SystemMemory:
    """Read every service at once; a service that does not answer is unknown, not an error."""
    readers: list[tuple[ServiceName, str | None, Callable[[], Awaitable[Any]]]] = [
        ("backend-api", socket.gethostname(), _own),
        ("pose-service", None, lambda: _workers(client)),
        ("redis", None, lambda: _redis(client)),
        ("mongodb", None, lambda: _mongodb(db)),
        ("frontend", frontend_url, lambda: _frontend(frontend_url)),
    ]
    results: dict[int, list[ServiceMemory]] = {}

    async def run(index: int, service: ServiceName, instance: str | None, read: Any) -> None:
        try:
            with anyio.fail_after(READ_TIMEOUT_S):
                found = await read()
        except TimeoutError:
            found = _unknown(service, instance, f"no answer in {READ_TIMEOUT_S:g} s")
        except Exception as exc:  # a service that fails to answer is unknown, said plainly
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            found = _unknown(service, instance, message)
        results[index] = found if isinstance(found, list) else [found]

    async with anyio.create_task_group() as group:
        for index, (service, instance, read) in enumerate(readers):
            group.start_soon(run, index, service, instance, read)
    rows = [row for index in range(len(readers)) for row in results[index]]
    return SystemMemory(services=rows, checked_at=datetime.now(timezone.utc))


def _unknown(service: ServiceName, instance: str | None, detail: str) -> ServiceMemory:
    return ServiceMemory(
        service=service, instance=instance, pid=None, rss_bytes=None, limit_bytes=None,
        limit_source=None, detail=detail,
    )


async def _own() -> ServiceMemory:
    limit = memory_limit()
    rss = rss_bytes()
    return ServiceMemory(
        service="backend-api", instance=socket.gethostname(), pid=os.getpid(), rss_bytes=rss,
        limit_bytes=limit.bytes, limit_source=limit.source,
        detail="this process (/proc/self)" if rss is not None else "/proc/self cannot be read",
    )


async def _workers(client: aioredis.Redis) -> list[ServiceMemory]:
    records = await live_workers(client)
    if not records:
        return [_unknown("pose-service", None, "no worker is running")]
    rows = []
    for record in sorted(records, key=lambda r: str(r.get("worker_id"))):
        worker_id = str(record.get("worker_id"))
        try:
            reading = MemoryReading.model_validate(record.get("memory"))
        except ValidationError:  # an older worker sends none
            reading = None
        if reading is None:
            rows.append(_unknown("pose-service", worker_id, "its heartbeat carries no memory"))
            continue
        rows.append(
            ServiceMemory(
                service="pose-service", instance=worker_id, pid=record.get("pid"),
                rss_bytes=reading.rss_bytes, limit_bytes=reading.limit_bytes,
                limit_source=reading.limit_source,
                detail="the worker's heartbeat (its own /proc/self, every few seconds)",
            )
        )
    return rows


async def _redis(client: aioredis.Redis) -> ServiceMemory:
    info = await client.info("server", "memory")
    maxmemory = int(info.get("maxmemory") or 0)
    total = int(info.get("total_system_memory") or 0)
    limit, source = (maxmemory, "maxmemory") if maxmemory else (total or None, "machine")
    return ServiceMemory(
        service="redis", instance=_redis_address(client), pid=info.get("process_id"),
        rss_bytes=int(info["used_memory_rss"]), limit_bytes=limit,
        limit_source=source if limit else None,
        detail="INFO memory: used_memory_rss",
    )


def _redis_address(client: aioredis.Redis) -> str | None:
    kwargs = client.connection_pool.connection_kwargs
    host, port = kwargs.get("host"), kwargs.get("port")
    return f"{host}:{port}" if host else None


async def _mongodb(db: AsyncDatabase[Any]) -> ServiceMemory:
    admin = db.client.admin
    status = await admin.command("serverStatus")
    host = await admin.command("hostInfo")
    system = host.get("system") or {}
    limit_mb, total_mb = int(system.get("memLimitMB") or 0), int(system.get("memSizeMB") or 0)
    limit = limit_mb * _MIB if limit_mb else None
    source = None
    if limit is not None:
        source = "cgroup" if total_mb and limit_mb < total_mb else "machine"
    resident = (status.get("mem") or {}).get("resident")
    server = f"FerretDB {status['ferretdbVersion']}" if "ferretdbVersion" in status else "mongod"
    detail = (
        "serverStatus: mem.resident (MiB)"
        if resident is not None
        else f"{server} does not report its resident memory (serverStatus has no mem.resident)"
    )
    pid = status.get("pid")
    return ServiceMemory(
        service="mongodb", instance=str(status.get("host") or "") or None,
        pid=int(pid) if pid is not None else None,
        rss_bytes=int(resident) * _MIB if resident is not None else None,
        limit_bytes=limit, limit_source=source, detail=detail,
    )


async def _frontend(base_url: str) -> ServiceMemory:
    url = base_url + FRONTEND_PATH
    try:
        body = await anyio.to_thread.run_sync(_get_json, url)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return _unknown("frontend", base_url, f"the dev server does not answer at {url} ({reason})")
    rss, limit = body.get("rss_bytes"), body.get("limit_bytes")
    source = body.get("limit_source")
    return ServiceMemory(
        service="frontend", instance=base_url, pid=body.get("pid"),
        rss_bytes=int(rss) if isinstance(rss, (int, float)) else None,
        limit_bytes=int(limit) if isinstance(limit, (int, float)) else None,
        limit_source=source if source in ("cgroup", "machine") else None,
        detail=f"the Vite dev server's own figures ({FRONTEND_PATH})",
    )


def _get_json(url: str) -> dict[str, Any]:
    with _DIRECT.open(url, timeout=READ_TIMEOUT_S / 2) as response:
        body = json.loads(response.read(64 * 1024))
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    return body
