"""`GET /metrics`: Prometheus text."""

from __future__ import annotations

from fastapi import APIRouter, Response

from posepipe.api.deps import JobsDep, MetricsDep, RedisDep
from posepipe.api.metrics import CONTENT_TYPE

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
async def metrics(metrics: MetricsDep, jobs: JobsDep, client: RedisDep) -> Response:
    """Requests, jobs by status, queue depth, frames processed, processing fps."""
    await metrics.refresh(jobs, client)
    return Response(metrics.render(), media_type=CONTENT_TYPE)
