"""What a job document holds, and the statuses it moves through."""

from __future__ import annotations

import sys
import uuid
from datetime import datetime, timezone
from enum import Enum
from typing import Any

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10

    class StrEnum(str, Enum):
        """`enum.StrEnum` before Python 3.11."""


class JobStatus(StrEnum):
    """A job's state: queued -> running -> succeeded | failed | canceled."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def finished(self) -> bool:
        """True for the states a job never leaves."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


class OverlayState(StrEnum):
    """Where a succeeded job's overlay video is: rendered after the poses are stored."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


ACTIVE_STATUSES = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
FINISHED_STATUSES = (JobStatus.SUCCEEDED.value, JobStatus.FAILED.value, JobStatus.CANCELED.value)


def utc_now() -> datetime:
    """Now, in UTC, to the millisecond MongoDB keeps."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def new_job_id() -> str:
    """A fresh job id: 32 hex digits."""
    return uuid.uuid4().hex


def new_job_document(*, job_id: str, video: dict[str, Any]) -> dict[str, Any]:
    """The document of a job that was just queued for `video` (see `video_document`)."""
    return {
        "_id": job_id,
        "status": JobStatus.QUEUED.value,
        "progress": {"frames_done": 0, "frames_total": int(video.get("frames") or 0)},
        "error": None,
        "backend": None,
        "attempts": 0,
        # One entry per attempt: who ran it, when, and from which frame (0, or where an
        # earlier attempt's stored frames end).
        "attempt_log": [],
        "video": video,
        "created_at": utc_now(),
        "started_at": None,
        "finished_at": None,
        "worker": None,
        "overlay_state": None,
        "overlay_key": None,
    }


def video_document(
    *,
    video_id: str,
    media_key: str,
    filename: str,
    size_bytes: int,
    width: int,
    height: int,
    fps: float,
    frames: int,
    duration_s: float,
    codec: str,
    rotation: int,
    container: str,
) -> dict[str, Any]:
    """The `video` part of a job document: the probe's findings and where the file is."""
    return {
        "id": video_id,
        "media_key": media_key,
        "filename": filename,
        "size_bytes": size_bytes,
        "width": width,
        "height": height,
        "fps": round(fps, 6),
        "frames": frames,
        "duration_s": round(duration_s, 6),
        "codec": codec,
        "rotation": rotation,
        "container": container,
    }


def error_document(code: str, message: str) -> dict[str, str]:
    """The `error` part of a failed job: a code a program can test, a message a person reads."""
    return {"code": code, "message": message}
