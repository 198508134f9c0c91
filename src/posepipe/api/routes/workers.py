"""`GET /api/workers`: the live pose-service workers, relayed from their Redis heartbeats.

Each worker writes its record (backend, device, current job, NVML reading of its GPU) every
POSE_HEARTBEAT_INTERVAL_S; a record expires a few intervals after its worker stops. The API
only reads those records: it never asks a worker, nor NVML, itself.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError

from posepipe.api.deps import RedisDep
from posepipe.api.schemas import ErrorBody, WorkerPublic, WorkersPublic
from posepipe.jobs.workers import live_workers

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["workers"])

_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


@router.get(
    "/workers",
    response_model=WorkersPublic,
    responses={503: {"model": ErrorBody, "description": "Redis does not answer"}},
)
async def list_workers(client: RedisDep) -> WorkersPublic:
    """Live workers (heartbeat not expired), the most recently started first."""
    workers = [w for w in map(_public, await live_workers(client)) if w is not None]
    workers.sort(key=lambda w: w.worker_id)
    workers.sort(key=lambda w: w.started_at or _OLDEST, reverse=True)
    return WorkersPublic(items=workers)


def _public(record: dict[str, Any]) -> WorkerPublic | None:
    """The public view of a heartbeat record; None for one this API cannot read."""
    fields = {name: record.get(name) for name in WorkerPublic.model_fields}
    fields.update(heartbeat_at=record.get("time"), fps=record.get("fps") or 0.0)
    try:
        return WorkerPublic.model_validate(fields)
    except ValidationError as exc:
        # A worker of another version must not take the System page down with it.
        log.warning("skipping an unreadable heartbeat of %r: %s", record.get("worker_id"), exc)
        return None
