"""What the two routes that create jobs share: keeping the uploaded video, its job-document
description, and undoing a job that could not be queued."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from posepipe.api.uploads import StagedUpload
from posepipe.errors import DependencyUnavailable
from posepipe.store.jobs import JobRepository
from posepipe.store.media import MediaStore
from posepipe.store.models import video_document
from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)


def keep_video(media: MediaStore, staged: StagedUpload, key: str) -> bool:
    """Keep the file under its content hash; True when it was not there before."""
    if media.exists(key):
        staged.path.unlink(missing_ok=True)
        return False
    media.commit(staged.path, key)
    return True


def describe_video(staged: StagedUpload, key: str, info: VideoInfo) -> dict[str, object]:
    """The job document's `video`: what the client sent and what the probe found."""
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


async def undo_job(
    jobs: JobRepository,
    media: MediaStore,
    job_id: str,
    video_key: str,
    video_created: bool,
    extra_keys: Sequence[str] = (),
) -> None:
    """A job that could not be queued must not stay behind, nor the files it brought."""
    try:
        await jobs.delete_any(job_id)
        for key in extra_keys:
            media.delete(key)
        if video_created and await jobs.count_using_media(video_key) == 0:
            media.delete(video_key)
    except DependencyUnavailable as exc:
        log.warning("could not undo the half-made job %s: %s", job_id, exc.message)
