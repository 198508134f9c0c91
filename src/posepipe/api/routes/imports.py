"""`POST /api/imports`: bring 4D-Humans/PHALP results in, as a job the viewer can open.

Multipart fields `results` (the `.pkl` track.py wrote) and `video` (the video it was
computed on), streamed to disk within MAX_UPLOAD_MB together. The API probes the video and
checks that the results file is a (compressed) pickle, but never unpickles it: it stores
both and queues an import job; a worker loads the results with the restricted unpickler
and converts them (`posepipe.phalp`), so the API imports no pose code.
"""

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
from posepipe.phalp.jobs import IMPORT_FIELD, import_spec, results_key
from posepipe.phalp.safe_pickle import sniff_results_file
from posepipe.store.media import video_key
from posepipe.store.models import JobStatus, new_job_document, new_job_id

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["imports"])

FIELDS = ("results", "video")
# The results file is a pickle whatever the client called it.
_SUFFIXES = {"results": ".pkl"}
_ERRORS = error_responses({
    400: "a field missing, or `results` is not a joblib/pickle file",
    413: "the two files together are over MAX_UPLOAD_MB",
    415: "`video` is not a video",
    422: "`video` does not decode",
    503: "MongoDB or Redis does not answer",
})


@router.post(
    "/imports", status_code=201, response_model=VideoCreated, responses=_ERRORS,
    openapi_extra=multipart_files({
        "results": "the .pkl file 4D-Humans' track.py wrote",
        "video": "the video it was computed on",
    }),
)
async def import_results(
    request: Request,
    response: Response,
    settings: SettingsDep,
    jobs: JobsDep,
    media: MediaDep,
    broker: BrokerDep,
) -> VideoCreated:
    """Import 4D-Humans/PHALP results (`results`) computed on a video (`video`)."""
    staged = await receive_files(request, media, settings.max_upload_mb, FIELDS, _SUFFIXES)
    results, video = staged["results"], staged["video"]
    try:
        info = await anyio.to_thread.run_sync(probe_upload, video)
        await anyio.to_thread.run_sync(sniff_results_file, results.path)
    except BaseException:
        for part in (results, video):
            part.path.unlink(missing_ok=True)
        raise
    key = video_key(video.sha256, video.extension)
    job_id = new_job_id()
    with bind(job_id=job_id):
        created_video = await anyio.to_thread.run_sync(keep_video, media, video, key)
        media.commit(results.path, results_key(job_id))
        doc = new_job_document(job_id=job_id, video=describe_video(video, key, info))
        doc[IMPORT_FIELD] = import_spec(job_id, results.filename, results.size_bytes)
        try:
            await jobs.create(doc)
            await anyio.to_thread.run_sync(enqueue_job, broker, job_id)
        except BaseException:
            await undo_job(jobs, media, job_id, key, created_video, [results_key(job_id)])
            raise
        log.info("import queued: %s for %s", results.filename, video.filename)
    response.headers["Location"] = f"/api/jobs/{job_id}"
    return VideoCreated(job_id=job_id, video_id=video.sha256, status=JobStatus.QUEUED)

