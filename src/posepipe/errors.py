"""posepipe's exceptions. Only `api/errors.py` knows how they map to HTTP."""

from __future__ import annotations

# What a client sent is quoted in messages up to this many characters: a 60 KB id or path
# is not echoed back whole.
MAX_QUOTED = 200


def quoted(text: str, limit: int = MAX_QUOTED) -> str:
    """`text` for a message: whole when short, else its start and its length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


class PosepipeError(Exception):
    """Base of every error posepipe raises on purpose."""

    code = "posepipe_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(PosepipeError):
    """The user gave us something we cannot use (bad file, bad option)."""

    code = "invalid_input"


class NotAVideo(InvalidInput):
    """The file is not a video container with a video stream."""

    code = "not_a_video"


class UndecodableVideo(InvalidInput):
    """The file looks like a video but its frames do not decode."""

    code = "undecodable_video"


class UploadTooLarge(InvalidInput):
    """An upload went over MAX_UPLOAD_MB."""

    code = "upload_too_large"


class UnsafePickle(InvalidInput):
    """A results pickle names a class we refuse to load."""

    code = "unsafe_pickle"


class JobNotFound(PosepipeError):
    """No job has this id."""

    code = "job_not_found"


class JobNotReady(PosepipeError):
    """The job has not succeeded, so it has no results yet."""

    code = "job_not_ready"


class BackendUnavailable(PosepipeError):
    """The pose backend asked for cannot run here (missing package, GPU or model files)."""

    code = "backend_unavailable"


class DeviceError(PosepipeError):
    """The GPU failed in a way that leaves this process unusable; the worker must exit."""

    code = "device_error"


class BackendFailed(PosepipeError):
    """The pose backend failed on this video (a library error, not the GPU itself)."""

    code = "backend_failed"


class DownloadFailed(PosepipeError):
    """A model file could not be downloaded, or arrived with the wrong size or checksum."""

    code = "download_failed"


class DependencyUnavailable(PosepipeError):
    """A server we depend on (MongoDB, Redis) does not answer."""

    code = "dependency_unavailable"


class JobCanceled(PosepipeError):
    """The job was canceled while it ran."""

    code = "job_canceled"


class WorkerStopping(PosepipeError):
    """The worker was asked to stop; its job goes back to the queue at a saved resume point."""

    code = "worker_stopping"


class NoFileUploaded(InvalidInput):
    """An upload request carried no file (the multipart field `file`)."""

    code = "no_file"


class OverlayNotFound(PosepipeError):
    """The job succeeded but has no overlay video (rendering it failed)."""

    code = "overlay_not_found"


class SourceVideoNotFound(JobNotFound):
    """The job exists but its uploaded video is no longer stored."""

    code = "video_not_found"


class PoseProcessFailed(PosepipeError):
    """A pose process of the CPU pool died or failed; the run it served fails with it."""

    code = "pose_process_failed"
