"""Every setting posepipe reads, from the environment, in one place."""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _none_if_blank(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


# `POSE_WORKER_NAME=` in .env means "unset", as it does for Compose.
BlankIsUnset = BeforeValidator(_none_if_blank)

# `LOG_LEVEL=info` is as clear as INFO: accept either case.
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)]


def _process_count(value: object) -> object:
    """`auto` (any case) or a whole number from 1 to 256, with one message for anything else."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "auto":
            return text
        value = int(text) if text.isdigit() else None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 256:
        return value
    raise ValueError("should be a number of processes from 1 to 256, or auto")


ProcessCount = Annotated[int | Literal["auto"], BeforeValidator(_process_count)]


class BackendChoice(str, Enum):
    """Which pose backend to run; `auto` picks hmr2 on a CUDA host with its model files."""

    AUTO = "auto"
    MEDIAPIPE = "mediapipe"
    HMR2 = "hmr2"


class Settings(BaseSettings):
    """posepipe's settings. Each field is the upper-cased environment variable of its name."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    # Pose backend and GPU.
    pose_backend: BackendChoice = BackendChoice.AUTO
    pose_gpu_device: str = "0"
    pose_gpu_memory_fraction: float = Field(0.9, gt=0.0, le=1.0)
    pose_hmr2_detector: Literal["vitdet", "regnety"] = "vitdet"
    pose_batch_size: int = Field(8, ge=1, le=256)
    # The mediapipe backend looks for up to this many people per frame; 1 runs the faster
    # single-person solution (README, "How many people").
    pose_max_people: int = Field(4, ge=1, le=32)
    # CPU backend: how many pose processes share one video. `auto`: one per CPU this process
    # may use, less a share for decoding (posepipe.pose.cpus); 1: all in one process.
    pose_cpu_workers: ProcessCount = "auto"
    model_cache_dir: Path = Path("/models")
    # Read (never set) by posepipe.gpu to explain a CUDA_VISIBLE_DEVICES that hides the GPU.
    cuda_visible_devices: str | None = None
    # A 4D-Humans checkout: its track.py (HMR2_4dhuman) is not part of the installed package.
    pose_hmr2_repo_dir: Path = Path("/opt/4D-Humans")

    # Tracking: a person unseen for more than this many frames gets a new track id; a person
    # matches a track when their joints lie within this share of their size of its joints.
    track_max_lost_frames: int = Field(15, ge=1)
    track_max_distance: float = Field(0.4, gt=0.0, le=2.0)

    # Storage and services.
    media_dir: Path = Path("./media")
    mongodb_url: str = "mongodb://127.0.0.1:27017/posepipe"
    redis_url: str = "redis://127.0.0.1:6379/0"
    max_upload_mb: int = Field(2048, ge=1)

    # Worker policy.
    pose_max_attempts: int = Field(3, ge=1)
    pose_stall_timeout_s: float = Field(180.0, gt=0)
    pose_job_time_limit_s: float = Field(4 * 3600.0, gt=0)
    pose_heartbeat_interval_s: float = Field(5.0, gt=0)
    pose_progress_interval_s: float = Field(0.5, gt=0)
    # A worker silent this long is dead and its job goes back on the queue (Dramatiq's
    # heartbeat_timeout); tests lower it, 60 s is the measured safe value (queue_choice.md).
    queue_heartbeat_timeout_s: float = Field(60.0, gt=0)
    # How long `posepipe worker` waits for a running job on SIGTERM before it leaves it
    # for redelivery (below Docker's default 10 s stop timeout).
    pose_shutdown_timeout_s: float = Field(8.0, ge=0)
    # A redelivered job goes on after its last stored frame, with the tracker's saved state;
    # false: it starts again from frame 0.
    pose_resume: bool = True
    # Who this worker is across restarts (its previous incarnation's job is taken back at
    # once); the hostname when unset, which a Compose container keeps across restarts.
    pose_worker_name: Annotated[str | None, BlankIsUnset] = None
    # A folder local to this host or container for the workers' slot files (file locks):
    # <temp dir>/posepipe-worker when unset.
    pose_state_dir: Annotated[Path | None, BlankIsUnset] = None
    # How often each worker looks for accepted jobs whose queue message was lost (a Redis
    # restart without persistence) and sends them again.
    pose_sweep_interval_s: float = Field(30.0, gt=0)
    # How long a request waits for MongoDB before answering 503.
    mongodb_timeout_s: float = Field(3.0, gt=0)
    # A worker whose resident memory reaches this share of its limit logs a warning naming
    # the job, before the kernel's OOM killer stops it.
    pose_memory_warn_pct: float = Field(90.0, gt=0, le=100)

    # Logging.
    log_level: LogLevel = "INFO"
    api_log_level: LogLevel | None = None
    pose_log_level: LogLevel | None = None
    log_format: Literal["json", "console"] = "console"
    log_dir: Path | None = None

    # Ports and binding (the native stack and Compose both honour these).
    api_port: int = 8000
    frontend_port: int = 5173
    pose_health_port: int = 8001
    bind_address: str = "127.0.0.1"
    # Where backend-api asks the frontend dev server for its memory (the System page);
    # unset: http://127.0.0.1:FRONTEND_PORT. Compose: http://frontend:FRONTEND_PORT.
    frontend_url: str | None = None
    watch_polling: bool = False

    def frontend_base_url(self) -> str:
        """The frontend dev server's address as backend-api reaches it."""
        return (self.frontend_url or f"http://127.0.0.1:{self.frontend_port}").rstrip("/")

    def level_for(self, service: str) -> LogLevel:
        """The log level of one service: its own setting over the global one."""
        specific = {"backend-api": self.api_log_level, "pose-service": self.pose_log_level}
        return specific.get(service) or self.log_level


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
