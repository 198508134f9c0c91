"""`POST /api/imports`: bring 4D-Humans/PHALP results in, as a job the viewer can open.

Multipart fields `results` (the `.pkl` track.py wrote) and `video` (the video it was
computed on), streamed to disk within MAX_UPLOAD_MB together. The API probes the video and
checks that the results file is a (compressed) pickle, but never unpickles it: it stores
both and queues an import job; a worker loads the results with the restricted unpickler
and converts them (`posepipe.phalp`), so the API imports no pose code.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path, PurePosixPath
from typing import Any

import anyio
from fastapi import APIRouter, Request, Response
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from posepipe.api.deps import BrokerDep, JobsDep, MediaDep, SettingsDep
from posepipe.api.schemas import ErrorBody, VideoCreated
from posepipe.api.uploads import StagedUpload, extension_of, probe_upload, safe_filename
from posepipe.errors import DependencyUnavailable, InvalidInput, NoFileUploaded, UploadTooLarge
from posepipe.jobs.queue import enqueue_job
from posepipe.logs import bind
from posepipe.phalp.jobs import IMPORT_FIELD, import_spec, results_key
from posepipe.phalp.safe_pickle import sniff_results_file
from posepipe.store.media import MediaStore, video_key
from posepipe.store.models import JobStatus, new_job_document, new_job_id, video_document

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["imports"])

FIELDS = ("results", "video")
_FRAMING_BYTES = 64 * 1024
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        400: "a field missing, or `results` is not a joblib/pickle file",
        413: "the two files together are over MAX_UPLOAD_MB",
        415: "`video` is not a video",
        422: "`video` does not decode",
        503: "MongoDB or Redis does not answer",
    }.items()
}


class _TwoFiles:
    """python-multipart callbacks: the `results` and `video` parts each to a staging file."""

    def __init__(self, media: MediaStore, limit_bytes: int) -> None:
        self.media = media
        self.limit_bytes = limit_bytes
        self.total = 0
        self.staged: dict[str, dict[str, Any]] = {}
        self._current: dict[str, Any] | None = None
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._other = 0

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._headers.clear,
            "on_header_field": lambda d, s, e: self._field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _header_end(self) -> None:
        self._headers[bytes(self._field).decode("latin-1").lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        kind, params = parse_options_header(self._headers.get("content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if kind != b"form-data" or name not in FIELDS or name in self.staged:
            return
        filename = safe_filename(params.get(b"filename", b"").decode("utf-8", "replace"))
        suffix = ".pkl" if name == "results" else "." + extension_of(filename)
        path = self.media.staging_path(suffix)
        self._current = {"path": path, "file": path.open("wb"), "filename": filename,
                         "size": 0, "hash": hashlib.sha256(), "done": False}
        self.staged[name] = self._current

    def _data(self, data: bytes, start: int, end: int) -> None:
        self.total += end - start
        if self.total > self.limit_bytes + _FRAMING_BYTES:
            raise UploadTooLarge(
                f"the upload is larger than the limit of {self.limit_bytes // 2**20} MB "
                "(MAX_UPLOAD_MB)"
            )
        if self._current is None:
            self._other += end - start
            if self._other > _FRAMING_BYTES:
                raise InvalidInput("the form fields besides `results` and `video` are too large")
            return
        chunk = data[start:end]
        self._current["size"] += len(chunk)
        self._current["hash"].update(chunk)
        self._current["file"].write(chunk)

    def _part_end(self) -> None:
        if self._current is not None:
            self._current["file"].close()
            self._current["done"] = True
            self._current = None

    def discard(self) -> None:
        for part in self.staged.values():
            part["file"].close()
            part["path"].unlink(missing_ok=True)

    def result(self) -> dict[str, StagedUpload]:
        return {
            name: StagedUpload(path=p["path"], filename=p["filename"],
                               extension=PurePosixPath(p["path"].name).suffix.lstrip("."),
                               size_bytes=p["size"], sha256=p["hash"].hexdigest())
            for name, p in self.staged.items()
        }


async def receive_import(
    request: Request, media: MediaStore, limit_mb: int
) -> dict[str, StagedUpload]:
    """Stream both files to staging files; nothing is left behind on failure."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise NoFileUploaded("send multipart/form-data with the fields `results` and `video`")
    receiver = _TwoFiles(media, limit_mb * 1024 * 1024)
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except ClientDisconnect as exc:
        receiver.discard()
        raise InvalidInput("the client went away before the upload was complete") from exc
    except MultipartParseError as exc:
        receiver.discard()
        raise InvalidInput(f"the multipart body is malformed ({exc})") from exc
    except BaseException:
        receiver.discard()
        raise
    missing = [f for f in FIELDS if f not in receiver.staged or not receiver.staged[f]["done"]]
    if missing:
        receiver.discard()
        raise NoFileUploaded(f"no file in the field(s) {', '.join(missing)}: send the PHALP "
                             "results as `results` and the video as `video`")
    return receiver.result()


@router.post("/imports", status_code=201, response_model=VideoCreated, responses=_ERRORS)
async def import_results(
    request: Request,
    response: Response,
    settings: SettingsDep,
    jobs: JobsDep,
    media: MediaDep,
    broker: BrokerDep,
) -> VideoCreated:
    """Import 4D-Humans/PHALP results (`results`) computed on a video (`video`)."""
    staged = await receive_import(request, media, settings.max_upload_mb)
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
        created_video = await anyio.to_thread.run_sync(_keep, media, video.path, key)
        media.commit(results.path, results_key(job_id))
        doc = new_job_document(job_id=job_id, video=video_document(
            video_id=video.sha256, media_key=key, filename=video.filename,
            size_bytes=video.size_bytes, width=info.width, height=info.height, fps=info.fps,
            frames=info.frames, duration_s=info.duration_s, codec=info.codec,
            rotation=info.rotation, container=info.container,
        ))
        doc[IMPORT_FIELD] = import_spec(job_id, results.filename, results.size_bytes)
        try:
            await jobs.create(doc)
            await anyio.to_thread.run_sync(enqueue_job, broker, job_id)
        except BaseException:
            await _undo(jobs, media, job_id, video.sha256, key, created_video)
            raise
        log.info("import queued: %s for %s", results.filename, video.filename)
    response.headers["Location"] = f"/api/jobs/{job_id}"
    return VideoCreated(job_id=job_id, video_id=video.sha256, status=JobStatus.QUEUED)


def _keep(media: MediaStore, path: Path, key: str) -> bool:
    """Keep the video under its content hash; True when it was not there before."""
    if media.exists(key):
        path.unlink(missing_ok=True)
        return False
    media.commit(path, key)
    return True


async def _undo(jobs: JobsDep, media: MediaStore, job_id: str, video_id: str, key: str,
                created: bool) -> None:
    try:
        await jobs.delete_any(job_id)
        media.delete(results_key(job_id))
        if created and await jobs.count_using_video(video_id) == 0:
            media.delete(key)
    except DependencyUnavailable as exc:
        log.warning("could not undo the half-made import %s: %s", job_id, exc.message)
