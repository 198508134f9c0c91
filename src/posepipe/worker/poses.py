"""One attempt's pose pass: where it starts, what it saves per batch, what it counts.

An attempt starts after the last frame an earlier attempt stored, when that attempt saved
a resume point with the same backend (and POSE_RESUME is on); else from frame 0, with the
earlier frames cleared. After each stored batch it saves the next resume point; before each
batch it counts the frames it hands to the backend (in this process's /metrics and in Redis,
where the count outlives a killed worker). Between batches it checks that the job is still
its own and that the worker is not stopping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from posepipe.config import Settings
from posepipe.errors import JobCanceled, WorkerStopping
from posepipe.jobs.keys import FRAMES_INFERRED_KEY
from posepipe.jobs.progress import JobProgress
from posepipe.pose.backend import PoseBackend
from posepipe.pose.pipeline import RunSummary, run_pipeline
from posepipe.pose.pool import PosePool
from posepipe.pose.resume import ResumePoint
from posepipe.pose.tracking import tracker_from_settings
from posepipe.store.frames import FrameStore
from posepipe.store.job_updates import JobStore
from posepipe.video.probe import VideoInfo
from posepipe.worker.sink import MongoFrameSink
from posepipe.worker.state import WorkerState
from posepipe.worker.telemetry import WorkerMetrics

log = logging.getLogger(__name__)

_CANCEL_CHECK_S = 0.5


@dataclass
class PosePass:
    """Runs the pipeline for one attempt of a job, resuming where it can."""

    settings: Settings
    backend: PoseBackend
    jobs: JobStore
    frames: FrameStore
    client: redis.Redis
    state: WorkerState
    metrics: WorkerMetrics
    stopping: threading.Event
    pool: PosePool | None = None  # the CPU backend's pose processes, when it runs several

    @property
    def backend_id(self) -> str:
        """What must match for stored frames to be continued: the backend and its models."""
        return f"{self.backend.name} {self.backend.version}"

    def run(self, doc: dict[str, Any], info: VideoInfo, attempt: int) -> RunSummary:
        """The attempt's poses, from its resume point or from frame 0."""
        job_id = doc["_id"]
        resume = self.resume_point(job_id)
        start = resume.next_frame if resume is not None else 0
        if not self.jobs.note_attempt(
            job_id, attempt, worker=self.state.worker_id, resumed_from=start,
            frames_total=info.frames,
        ):
            raise JobCanceled("the job was canceled or taken over as it started")
        if resume is not None:
            log.info("resumed job %s at frame %d of %d", job_id, start, info.frames)
        self.state.touch(start)

        sink = MongoFrameSink(
            jobs=self.jobs, frames=self.frames, job_id=job_id, attempt=attempt,
            keep_stored=resume is not None,
        )
        progress = JobProgress(
            jobs=self.jobs, client=self.client, job_id=job_id, attempt=attempt,
            interval_s=self.settings.pose_progress_interval_s, on_update=self.state.touch,
            done=start,
        )
        before = sink.written
        try:
            return run_pipeline(
                info, self.backend, sink, progress,
                tracker=tracker_from_settings(self.settings),
                batch_size=self.settings.pose_batch_size,
                should_stop=self._stop_check(job_id, attempt),
                resume=resume,
                on_checkpoint=lambda point: self._checkpoint(job_id, attempt, point),
                on_inference=self._count_inferences,
                on_fast_forward=lambda _decoded: self.state.touch(),
                pool=self.pool,
            )
        finally:
            self.metrics.frames.inc(sink.written - before)

    def resume_point(self, job_id: str) -> ResumePoint | None:
        """Where this attempt can go on from, or None to start from frame 0 (and why, logged)."""
        saved = self.frames.resume_point(job_id)
        if not saved:
            return None
        if not self.settings.pose_resume:
            log.info("POSE_RESUME is off: starting again from frame 0 (frame %d was stored)",
                     saved.get("next_frame", 0))
            return None
        if saved.get("backend") != self.backend_id:
            log.warning(
                "the stored frames came from %s and this worker runs %s: starting again from "
                "frame 0", saved.get("backend"), self.backend_id,
            )
            return None
        return ResumePoint.from_document(saved)

    def _checkpoint(self, job_id: str, attempt: int, point: ResumePoint) -> None:
        # Its frames are stored (the sink wrote them just before): save where to go on from.
        saved = {**point.to_document(), "backend": self.backend_id}
        if not self.frames.save_resume_point(job_id, attempt, saved):
            raise JobCanceled("a later attempt has taken the job over")

    def _count_inferences(self, frames: int) -> None:
        self.metrics.frames_inferred.inc(frames)
        try:
            self.client.incrby(FRAMES_INFERRED_KEY, frames)
        except redis.RedisError as exc:
            log.debug("could not count inferences in Redis: %s", exc)

    def _stop_check(self, job_id: str, attempt: int) -> Callable[[], bool]:
        """The pipeline's check between batches; raises WorkerStopping when the worker stops."""
        checked = [time.monotonic()]

        def should_stop() -> bool:
            if self.stopping.is_set():
                raise WorkerStopping("the worker is stopping")
            now = time.monotonic()
            if now - checked[0] < _CANCEL_CHECK_S:
                return False
            checked[0] = now
            return not self.jobs.owns(job_id, attempt)

        return should_stop
