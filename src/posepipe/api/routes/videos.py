"""`POST /api/videos`: upload a video and queue a job for it."""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter, Request, Response

from posepipe.api.deps import BrokerDep, JobsDep, MediaDep, SettingsDep
from posepipe.api.job_intake import describe_video, keep_video, undo_job
from posepipe.api.openapi import multipart_files
from posepipe.api.schemas import VideoCreated, error_responses
from posepipe.api.uploads import probe_upload, receive_files
from posepipe.jobs.queue import enqueue_job
from posepipe.logs import bind
from posepipe.store.media import video_key
from posepipe.store.models import JobStatus, new_job_document, new_job_id

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["videos"])

_ERRORS = error_responses({
    400: "no file in the multipart field `file`",
    413: "over MAX_UPLOAD_MB",
    415: "not a video",
    422: "a video that does not decode",
    503: "MongoDB or Redis does not answer",
})


@router.post(
    "/videos", status_code=201, response_model=VideoCreated, responses=_ERRORS,
    openapi_extra=multipart_files({"file": "the video (any container FFmpeg reads)"}),
)
async def upload_video(
    request: Request,
    response: Response,
    settings: SettingsDep,
    jobs: JobsDep,
    media: MediaDep,
    broker: BrokerDep,
) -> VideoCreated:
    """Upload a video (multipart field `file`); it is probed, stored and queued."""
    staged = (await receive_files(request, media, settings.max_upload_mb))["file"]
    try:
        info = await anyio.to_thread.run_sync(probe_upload, staged)
    except BaseException:
        staged.path.unlink(missing_ok=True)
        raise
    key = video_key(staged.sha256, staged.extension)
    job_id = new_job_id()
    with bind(job_id=job_id):
        created_video = await anyio.to_thread.run_sync(keep_video, media, staged, key)
        try:
            await jobs.create(
                new_job_document(job_id=job_id, video=describe_video(staged, key, info))
            )
            await anyio.to_thread.run_sync(enqueue_job, broker, job_id)
        except BaseException:
            await undo_job(jobs, media, job_id, key, created_video)
            raise
        log.info(
            "queued %s (%s, %d bytes, %d frames)",
            staged.filename, staged.sha256[:12], staged.size_bytes, info.frames,
        )
    response.headers["Location"] = f"/api/jobs/{job_id}"
    return VideoCreated(job_id=job_id, video_id=staged.sha256, status=JobStatus.QUEUED)

