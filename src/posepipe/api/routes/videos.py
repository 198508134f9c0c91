"""`POST /api/videos`: upload a video and queue a job for it."""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter, Request, Response

from posepipe.api.deps import BrokerDep, JobsDep, MediaDep, SettingsDep
from posepipe.api.schemas import VideoCreated, error_responses
from posepipe.api.uploads import StagedUpload, probe_upload, receive_files
from posepipe.errors import DependencyUnavailable
from posepipe.jobs.queue import enqueue_job
from posepipe.logs import bind
from posepipe.store.jobs import JobRepository
from posepipe.store.media import MediaStore, video_key
from posepipe.store.models import JobStatus, new_job_document, new_job_id, video_document
from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["videos"])

_ERRORS = error_responses({
    400: "no file in the multipart field `file`",
    413: "over MAX_UPLOAD_MB",
    415: "not a video",
    422: "a video that does not decode",
    503: "MongoDB or Redis does not answer",
})


@router.post("/videos", status_code=201, response_model=VideoCreated, responses=_ERRORS)
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
        created_video = await anyio.to_thread.run_sync(_store_video, media, staged, key)
        try:
            await jobs.create(new_job_document(job_id=job_id, video=_video(staged, key, info)))
            await anyio.to_thread.run_sync(enqueue_job, broker, job_id)
        except BaseException:
            await _undo(jobs, media, job_id, key, created_video)
            raise
        log.info(
            "queued %s (%s, %d bytes, %d frames)",
            staged.filename, staged.sha256[:12], staged.size_bytes, info.frames,
        )
    response.headers["Location"] = f"/api/jobs/{job_id}"
    return VideoCreated(job_id=job_id, video_id=staged.sha256, status=JobStatus.QUEUED)


def _store_video(media: MediaStore, staged: StagedUpload, key: str) -> bool:
    """Keep the file under its content hash; True when it was not there before."""
    if media.exists(key):
        staged.path.unlink(missing_ok=True)
        return False
    media.commit(staged.path, key)
    return True


def _video(staged: StagedUpload, key: str, info: VideoInfo) -> dict[str, object]:
    return video_document(
        video_id=staged.sha256,
        media_key=key,
        filename=staged.filename,
        size_bytes=staged.size_bytes,
        width=info.width,
        height=info.height,
        fps=info.fps,
        frames=info.frames,
        duration_s=info.duration_s,
        codec=info.codec,
        rotation=info.rotation,
        container=info.container,
    )


async def _undo(
    jobs: JobRepository, media: MediaStore, job_id: str, key: str, created: bool
) -> None:
    """A job that could not be queued must not stay behind, nor the file it brought."""
    try:
        await jobs.delete_any(job_id)
        if created and await jobs.count_using_media(key) == 0:
            media.delete(key)
    except DependencyUnavailable as exc:
        log.warning("could not undo the half-made job %s: %s", job_id, exc.message)
