"""`GET /api/system/memory`: every service's resident memory and limit, for the System page."""

from __future__ import annotations

from fastapi import APIRouter

from posepipe.api.deps import DatabaseDep, RedisDep, SettingsDep
from posepipe.api.memory import system_memory
from posepipe.api.schemas import SystemMemory

router = APIRouter(prefix="/api/system", tags=["system"])


@router.get("/memory", response_model=SystemMemory)
async def memory(db: DatabaseDep, client: RedisDep, settings: SettingsDep) -> SystemMemory:
    """backend-api, each pose-service worker, Redis, MongoDB and the frontend dev server:
    resident memory now and the limit where one is known; a service that cannot tell is
    listed with `rss_bytes: null` and the reason in `detail`."""
    return await system_memory(db, client, settings.frontend_base_url())
