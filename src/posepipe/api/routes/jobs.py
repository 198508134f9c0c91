"""Jobs: list, status, live events, results (JSON, CSV), source and overlay video, cancel/delete."""

from __future__ import annotations

import logging
import mimetypes
from typing import Literal

import anyio
import redis
from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, StreamingResponse

from posepipe.api.deps import FramesDep, JobsDep, MediaDep, RedisDep
from posepipe.api.exports import poses_csv, poses_json
from posepipe.api.schemas import ErrorBody, JobPublic, JobsPublic, error_responses
from posepipe.api.sse import job_events
from posepipe.errors import JobNotReady, OverlayNotFound, SourceVideoNotFound
from posepipe.jobs.keys import events_channel
from posepipe.jobs.progress import status_event
from posepipe.logs import bind
from posepipe.store.codec import header_from_document
from posepipe.store.models import JobStatus, OverlayState

log = logging.getLogger(__name__)

# Every jobs route reads MongoDB (and some Redis): when one is away the answer is a 503.
router = APIRouter(
    prefix="/api/jobs", tags=["jobs"],
    responses=error_responses({503: "MongoDB or Redis does not answer"}),
)

OVERLAY_WAIT_S = 60.0
OVERLAY_POLL_S = 0.25
# pymongo cannot send a skip over 2^63 - 1 (OverflowError: a 500 before this bound); the
# int32 range is far beyond any job history, and every MongoDB-compatible server takes it.
MAX_LIST_OFFSET = 2**31 - 1

_NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody, "description": "no job has this id"}
}
_NOT_READY: dict[int | str, dict[str, object]] = {
    **_NOT_FOUND,
    409: {"model": ErrorBody, "description": "the job has not succeeded"},
}


@router.get("", response_model=JobsPublic)
async def list_jobs(
    jobs: JobsDep,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_LIST_OFFSET),
) -> JobsPublic:
    """Jobs, newest first."""
    items, total = await jobs.list(limit=limit, offset=offset)
    return JobsPublic(items=[JobPublic.from_document(d) for d in items], total=total)


@router.get("/{job_id}", response_model=JobPublic, responses=_NOT_FOUND)
async def get_job(job_id: str, jobs: JobsDep) -> JobPublic:
    """One job: status, progress, error, attempts, video."""
    return JobPublic.from_document(await jobs.get(job_id))


@router.get(
    "/{job_id}/events",
    responses={**_NOT_FOUND, 200: {"content": {"text/event-stream": {}}}},
    response_class=StreamingResponse,
)
async def job_event_stream(job_id: str, jobs: JobsDep, client: RedisDep) -> StreamingResponse:
    """Server-Sent Events: `status` and `progress` until the job ends."""
    await jobs.get(job_id)  # 404 before the stream starts
    return StreamingResponse(
        job_events(job_id, jobs, client),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/{job_id}/poses",
    responses={
        **_NOT_READY,
        200: {"content": {"application/json": {}, "text/csv": {}}, "description": "the result"},
    },
    response_class=StreamingResponse,
)
async def job_poses(
    job_id: str,
    jobs: JobsDep,
    frames: FramesDep,
    format: Literal["json", "csv"] = Query("json"),
) -> StreamingResponse:
    """The result (`posepipe.poses/1`); `?format=csv`: one row per (frame, track, joint)."""
    doc = await jobs.get(job_id)
    stored = await frames.header(job_id) if doc["status"] == JobStatus.SUCCEEDED else None
    if stored is None:
        raise JobNotReady(f"job {job_id} is {doc['status']}: results exist once it has succeeded")
    header = header_from_document(stored)
    if format == "csv":
        return StreamingResponse(
            poses_csv(header, frames.iter_frames(job_id)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{job_id}-poses.csv"'},
        )
    return StreamingResponse(
        poses_json(header, frames.iter_frames(job_id)), media_type="application/json"
    )


@router.get(
    "/{job_id}/overlay.mp4",
    responses={
        **_NOT_READY,
        404: {"model": ErrorBody, "description": "no job has this id, or it has no overlay"},
        200: {"content": {"video/mp4": {}}},
        206: {"content": {"video/mp4": {}}, "description": "the range asked for"},
    },
    response_class=FileResponse,
)
async def job_overlay(job_id: str, jobs: JobsDep, media: MediaDep) -> FileResponse:
    """The video with skeletons and track ids drawn (H.264); HTTP range requests work.

    The overlay is rendered just after the job succeeds; while it is, this waits for it
    (up to a minute) rather than answer an error.
    """
    doc = await jobs.get(job_id)
    if doc["status"] != JobStatus.SUCCEEDED:
        raise JobNotReady(f"job {job_id} is {doc['status']}: no overlay before it has succeeded")
    with anyio.move_on_after(OVERLAY_WAIT_S):
        while doc.get("overlay_state") == OverlayState.PENDING:
            await anyio.sleep(OVERLAY_POLL_S)
            doc = await jobs.get(job_id)
    state, key = doc.get("overlay_state"), str(doc.get("overlay_key") or "")
    if state == OverlayState.PENDING:
        raise JobNotReady(f"the overlay of job {job_id} is still being rendered; try again shortly")
    exists = bool(key) and await anyio.to_thread.run_sync(media.exists, key)
    if state != OverlayState.READY or not exists:
        raise OverlayNotFound(f"job {job_id} has no overlay video (rendering it failed)")
    return FileResponse(media.local_path(key), media_type="video/mp4")


@router.get(
    "/{job_id}/video",
    responses={
        404: {"model": ErrorBody, "description": "no job has this id, or its video is gone"},
        # The type of the file uploaded: MP4, QuickTime, WebM, Matroska...
        200: {"content": {"video/*": {}}},
        206: {"content": {"video/*": {}}, "description": "the range asked for"},
    },
    response_class=FileResponse,
)
async def job_video(job_id: str, jobs: JobsDep, media: MediaDep) -> FileResponse:
    """The uploaded source video, which the web viewer draws poses over; ranges work."""
    doc = await jobs.get(job_id)
    key = str(doc["video"]["media_key"])
    if not await anyio.to_thread.run_sync(media.exists, key):
        raise SourceVideoNotFound(f"the video of job {job_id} is no longer stored")
    kind = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return FileResponse(media.local_path(key), media_type=kind)


@router.delete(
    "/{job_id}",
    responses={**_NOT_FOUND, 200: {"model": JobPublic}, 204: {"description": "deleted"}},
    response_model=None,
)
async def delete_job(
    job_id: str, jobs: JobsDep, frames: FramesDep, media: MediaDep, client: RedisDep
) -> JobPublic | Response:
    """Cancel a queued or running job (200, the job); delete a finished one and its files (204)."""
    with bind(job_id=job_id):
        canceled = await jobs.cancel(job_id)
        if canceled is not None:
            log.info("job canceled")
            try:
                await client.publish(
                    events_channel(job_id), status_event(job_id, JobStatus.CANCELED)
                )
            except redis.RedisError as exc:
                log.warning("could not announce the cancel: %s", exc)
            return JobPublic.from_document(canceled)
        doc = await jobs.get(job_id)
        if not await jobs.delete_finished(job_id):
            # It became active again in between (cannot happen today); answer its state.
            return JobPublic.from_document(await jobs.get(job_id))
        await frames.delete_for_job(job_id)
        keys = [doc["overlay_key"]] if doc.get("overlay_key") else []
        if doc.get("import"):  # an import job's PHALP results file (POST /api/imports)
            keys.append(doc["import"]["results_key"])
        if await jobs.count_using_media(doc["video"]["media_key"]) == 0:
            keys.append(doc["video"]["media_key"])
        for key in keys:
            await anyio.to_thread.run_sync(media.delete, key)
        log.info("job deleted with %d file(s)", len(keys))
        return Response(status_code=204)
