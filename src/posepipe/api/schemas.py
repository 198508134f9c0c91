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


# Where a memory limit comes from: the tightest cgroup limit over the process (a container's
# mem_limit), the machine's total memory, or Redis's own `maxmemory` setting.
LimitSource = Literal["cgroup", "machine", "maxmemory"]


class JobMemory(BaseModel):
    """The worker's peak memory while the job ran (its latest attempt, overlay included).

    A succeeded job's figure is first recorded as its poses are stored, then raised once its
    overlay video is rendered: `final` is false until then.
    """

    final: bool
    peak_rss_bytes: int | None  # resident memory; null where the worker could not read it
    peak_gpu_bytes: int | None  # PyTorch's peak on the GPU (max_memory_allocated); null on CPU
    limit_bytes: int | None  # the worker's limit, for scale
    limit_source: LimitSource | None


class AttemptPublic(BaseModel):
    """One attempt at a job: the worker that ran it, when, and the frame it started from."""

    attempt: int
    worker: str | None
    started_at: datetime
    # 0 from the start; N when it went on after the N frames earlier attempts had stored.
    resumed_from: int
    frames_total: int


class JobPublic(BaseModel):
    """One job."""

    id: str
    status: JobStatus
    progress: JobProgress
    error: ErrorDetail | None
    backend: str | None
    attempts: int
    attempt_log: list[AttemptPublic] = []
    video: VideoPublic
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    memory: JobMemory | None = None  # set when an attempt ends; null before

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
            attempt_log=[AttemptPublic(**a) for a in doc.get("attempt_log") or []],
            video=VideoPublic(**{k: video[k] for k in VideoPublic.model_fields}),
            created_at=doc["created_at"],
            started_at=doc.get("started_at"),
            finished_at=doc.get("finished_at"),
            memory=doc.get("memory"),
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


class MemoryReading(BaseModel):
    """A process's resident memory and its limit, in bytes (null: it could not tell)."""

    rss_bytes: int | None
    limit_bytes: int | None
    limit_source: LimitSource | None


class WorkerPublic(BaseModel):
    """One live pose-service worker, from its heartbeat (at most a few intervals old)."""

    worker_id: str
    host: str | None
    pid: int | None
    backend: str | None
    device: str
    gpu: GpuReading | None
    memory: MemoryReading | None = None  # null from a worker of an older version
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


ServiceName = Literal["backend-api", "pose-service", "redis", "mongodb", "frontend"]


class ServiceMemory(BaseModel):
    """One service process's resident memory now, and its limit where one is known."""

    service: ServiceName
    instance: str | None  # which one: a worker's id, a server's address
    pid: int | None  # as the process reports it (in a container, the container's numbering)
    rss_bytes: int | None  # null: unknown, and `detail` says why
    limit_bytes: int | None
    limit_source: LimitSource | None
    detail: str  # where the figure comes from, or why there is none


class SystemMemory(BaseModel):
    """Every service's memory: backend-api, each pose-service worker, Redis, MongoDB, frontend."""

    services: list[ServiceMemory]
    checked_at: datetime
