"""What the API answers, as pydantic models: they make the OpenAPI document the frontend's
TypeScript client is generated from."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from posepipe.store.models import JobStatus


class ErrorDetail(BaseModel):
    """A code a program can test and a message a person can act on."""

    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer: `{"error": {"code", "message"}}`."""

    error: ErrorDetail


def error_responses(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """A route's `responses=`: each status answers an `ErrorBody`, described in a few words."""
    return {code: {"model": ErrorBody, "description": text} for code, text in descriptions.items()}


class VideoCreated(BaseModel):
    """The answer to an upload: the job that will process it."""

    job_id: str
    video_id: str
    status: JobStatus


class JobProgress(BaseModel):
    """Frames finished out of the frames expected."""

    frames_done: int
    frames_total: int


class VideoPublic(BaseModel):
    """The uploaded video, as the probe found it."""

    id: str
    filename: str
    size_bytes: int
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    codec: str
    rotation: int


class JobPublic(BaseModel):
    """One job."""

    id: str
    status: JobStatus
    progress: JobProgress
    error: ErrorDetail | None
    backend: str | None
    attempts: int
    video: VideoPublic
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> JobPublic:
        """The public view of a stored job document."""
        video = doc["video"]
        return cls(
            id=doc["_id"],
            status=doc["status"],
            progress=JobProgress(
                frames_done=doc["progress"]["frames_done"],
                frames_total=doc["progress"]["frames_total"],
            ),
            error=doc.get("error"),
            backend=doc.get("backend"),
            attempts=doc.get("attempts", 0),
            video=VideoPublic(**{k: video[k] for k in VideoPublic.model_fields}),
            created_at=doc["created_at"],
            started_at=doc.get("started_at"),
            finished_at=doc.get("finished_at"),
        )


class JobsPublic(BaseModel):
    """A page of jobs, newest first, and how many there are in all."""

    items: list[JobPublic]
    total: int


class HealthStatus(BaseModel):
    """Liveness."""

    status: Literal["ok"]


class DependencyStatus(BaseModel):
    """One dependency's state as seen by the API."""

    status: Literal["ok", "unavailable"]
    detail: str
    latency_ms: float | None = None


class ReadyStatus(BaseModel):
    """Readiness, per dependency; `error` is set when one is unavailable."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, DependencyStatus]
    error: ErrorDetail | None = None


class GpuReading(BaseModel):
    """NVML's reading of the GPU a worker computes on, as its last heartbeat carried it."""

    name: str
    memory_used_mb: float
    memory_total_mb: float
    utilization_pct: float | None  # some boards and MIG slices do not report it
    temperature_c: float | None


class WorkerPublic(BaseModel):
    """One live pose-service worker, from its heartbeat (at most a few intervals old)."""

    worker_id: str
    host: str | None
    pid: int | None
    backend: str | None
    device: str
    gpu: GpuReading | None
    model_loaded: bool
    error: str | None = None  # why its backend cannot start (it stays up, unready)
    current_job: str | None
    fps: float
    uptime_s: float | None
    started_at: datetime | None
    heartbeat_at: datetime | None


class WorkersPublic(BaseModel):
    """The live workers, the most recently started first."""

    items: list[WorkerPublic]
