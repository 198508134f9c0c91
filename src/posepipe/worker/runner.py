"""JobRunner: the body of the `process_video` actor, one job attempt at a time.

Outcomes, by error type:
- bad input (InvalidInput): failed at once, no retry;
- canceled (JobCanceled, or the job no longer ours): partial results removed;
- the worker is stopping (WorkerStopping, raised at a saved resume point): the job goes back
  to the front of the queue at once, that delivery not counted as an attempt;
- a device error (DeviceError, a CUDA error): the process exits; the message, never acked,
  is redelivered to a fresh process as the next attempt;
- anything else: back to queued and retried with backoff (Dramatiq's Retries), failed with
  the reason on the last attempt. Crashes count as attempts too (AttemptLimit).

Every attempt after the first goes on from the last stored batch (`posepipe.worker.poses`).
`attempt` below is the job's own attempt number (MongoDB's, the fencing token); `delivery`
is the queue's count of deliveries of the message, which decides when to give up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from dramatiq.middleware import CurrentMessage

from posepipe.config import Settings
from posepipe.errors import (
    DeviceError,
    InvalidInput,
    JobCanceled,
    PosepipeError,
    WorkerStopping,
)
from posepipe.jobs.keys import ATTEMPT_OPTION, HANDED_BACK_OPTION
from posepipe.jobs.progress import JobProgress, publish_status
from posepipe.logs import bind
from posepipe.memory import MemoryLimit, describe_peak
from posepipe.phalp.jobs import IMPORT_FIELD, is_import, run_import
from posepipe.pose.backend import PoseBackend
from posepipe.pose.pool import PosePool
from posepipe.skeletons import SKELETONS
from posepipe.store.frames import FrameStore
from posepipe.store.job_updates import JobStore
from posepipe.store.media import MediaStore, overlay_key
from posepipe.store.models import ACTIVE_STATUSES, JobStatus, OverlayState
from posepipe.video.probe import VideoInfo, probe_video
from posepipe.worker.memory_guard import MemoryGuard
from posepipe.worker.overlay import render_job_overlay
from posepipe.worker.poses import PosePass
from posepipe.worker.sink import MongoFrameSink
from posepipe.worker.state import WorkerState
from posepipe.worker.telemetry import WorkerMetrics
from posepipe.worker.watchdog import EXIT_DEVICE_ERROR, exit_now

log = logging.getLogger(__name__)

_DEVICE_ERROR_MARKERS = ("CUDA error", "CUBLAS_STATUS", "CUDNN_STATUS", "device-side assert")


def is_device_error(exc: BaseException) -> bool:
    """True for errors that leave the GPU context unusable for the rest of the process."""
    return isinstance(exc, DeviceError) or (
        isinstance(exc, RuntimeError) and any(m in str(exc) for m in _DEVICE_ERROR_MARKERS)
    )


class JobRunner:
    """Runs one delivery of a job through the pipeline, with everything it needs passed in."""

    def __init__(
        self,
        *,
        settings: Settings,
        backend: PoseBackend,
        jobs: JobStore,
        frames: FrameStore,
        media: MediaStore,
        client: redis.Redis,
        state: WorkerState,
        metrics: WorkerMetrics,
        memory: MemoryGuard | None = None,
        exit_process: Callable[[int], None] = exit_now,
        requeue_message: Callable[[Any], bool] | None = None,
        pool: PosePool | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.jobs = jobs
        self.frames = frames
        self.media = media
        self.client = client
        self.state = state
        self.metrics = metrics
        self.memory = memory or MemoryGuard(state, settings.pose_memory_warn_pct)
        self._exit = exit_process
        # Puts this process's in-flight message back on the queue (jobs.reclaim).
        self._requeue_message = requeue_message
        self._stopping = threading.Event()
        self._poses = PosePass(
            settings=settings, backend=backend, jobs=jobs, frames=frames, client=client,
            state=state, metrics=metrics, stopping=self._stopping, pool=pool,
        )

    def __call__(self, job_id: str) -> None:
        """The actor: process `job_id` as the delivery AttemptLimit numbered."""
        message = CurrentMessage.get_current_message()
        delivery = int(message.options.get(ATTEMPT_OPTION, 1)) if message is not None else 1
        with bind(job_id=job_id):
            self.run(job_id, delivery)

    def request_stop(self) -> None:
        """The worker is stopping: a running job goes back to the queue after its next batch."""
        self._stopping.set()

    def give_up(self, message: Any, attempts: int) -> None:
        """AttemptLimit's hook: the job was delivered too often; fail it with the reason."""
        job_id = str(message.args[0])
        with bind(job_id=job_id):
            doc = self.jobs.get(job_id)
            if doc is None:
                return
            if doc["status"] == JobStatus.SUCCEEDED and (
                doc.get("overlay_state") == OverlayState.PENDING
            ):
                # The poses are safe; only the overlay render kept stopping the worker. Say
                # so, or GET overlay.mp4 would answer "still being rendered" for ever.
                self.jobs.set_overlay(job_id, OverlayState.FAILED)
                log.error("overlay given up after %s: the worker stopped during each render",
                          _attempts(attempts))
                return
            if doc["status"] not in ACTIVE_STATUSES:
                return
            progress = doc.get("progress") or {}
            reason = (
                f"gave up after {_attempts(attempts)}: the worker stopped (crashed, was killed "
                f"or stalled) during each; last progress: frame {progress.get('frames_done', 0)}"
                f" of {progress.get('frames_total', 0)}"
            )
            if doc.get("error"):
                reason += f"; last error: {doc['error']['message']}"
            self.jobs.record_attempt(job_id, attempts)
            if self.jobs.fail(job_id, "gave_up", reason):
                # Failed for good: nothing will go on from its last stored batch.
                self.frames.forget_resume_point(job_id)
                publish_status(self.client, job_id, JobStatus.FAILED)
                self.metrics.jobs.labels("failed").inc()
                log.error("job failed: %s", reason)

    def run(self, job_id: str, delivery: int) -> None:
        """One attempt: mark it running, run the pipeline, record the outcome, then the overlay."""
        doc = self.jobs.start_attempt(job_id, self.state.worker_id)
        if doc is None:
            self._overlay_only(job_id)
            return
        attempt = int(doc["attempts"])
        log.info(
            "job started: attempt %d (delivery %d of at most %d), %s",
            attempt, delivery, self.settings.pose_max_attempts, doc["video"]["filename"],
        )
        publish_status(self.client, job_id, JobStatus.RUNNING)
        self.state.begin_job(job_id)
        self.memory.begin_job()
        try:
            info = self._attempt(doc, attempt, delivery)
            if info is not None:
                self._overlay(job_id, info)
                # The overlay is part of the job's work: its peak counts too.
                self._record_memory(job_id, attempt, final=True)
        finally:
            self.state.end_job()

    def _attempt(self, doc: dict[str, Any], attempt: int, delivery: int) -> VideoInfo | None:
        """The poses; the video's description when the job succeeded, else None."""
        job_id = doc["_id"]
        started = time.monotonic()
        try:
            return self._process(doc, attempt)
        except InvalidInput as exc:
            self._fail(job_id, attempt, exc.code, exc.message)
        except JobCanceled:
            self._after_cancel(job_id)
        except WorkerStopping:
            self._hand_back(job_id, attempt)
        except Exception as exc:
            if is_device_error(exc):
                log.critical("device error, exiting for a fresh process: %s", exc, exc_info=True)
                self.state.fatal = "device error"
                self._exit(EXIT_DEVICE_ERROR)
                raise
            self._after_error(job_id, attempt, delivery, exc)
        finally:
            self.metrics.job_seconds.observe(time.monotonic() - started)
        return None

    def _process(self, doc: dict[str, Any], attempt: int) -> VideoInfo:
        job_id = doc["_id"]
        info = probe_video(self.media.local_path(doc["video"]["media_key"]))
        if is_import(doc):  # PHALP results to convert (POST /api/imports): no backend runs
            summary: Any = self._import(doc, info, attempt)
        else:
            summary = self._poses.run(doc, info, attempt)
        self._record_memory(job_id, attempt, final=False)  # the overlay is still to come
        if not self.jobs.succeed(job_id, attempt, frames=summary.frames):
            raise JobCanceled("the job was canceled or taken over as it finished")
        self.frames.forget_resume_point(job_id)
        publish_status(self.client, job_id, JobStatus.SUCCEEDED)
        self.metrics.jobs.labels("succeeded").inc()
        log.info(
            "job succeeded: %d frames, %d tracks, %.1f fps; rendering the overlay",
            summary.frames, summary.tracks, summary.fps,
        )
        return info

    def _overlay(self, job_id: str, info: VideoInfo) -> None:
        """Render the overlay of a succeeded job into the media store."""
        staged = self.media.staging_path(".mp4")
        # The job's own skeleton: an import job's is openpose25+19 whatever this worker runs.
        skeleton = (self.jobs.result_header(job_id) or {}).get("skeleton") or {}
        known = SKELETONS.get(skeleton.get("name", ""))
        edges = known.edges if known is not None else self.backend.skeleton.edges
        ok = render_job_overlay(info, self.frames, job_id, edges, staged, touch=self.state.touch)
        if not ok:
            self.jobs.set_overlay(job_id, OverlayState.FAILED)
            return
        key = overlay_key(job_id)
        self.media.commit(staged, key)
        if not self.jobs.set_overlay(job_id, OverlayState.READY, key):
            log.info("job deleted while its overlay was rendered; overlay dropped")
            self.media.delete(key)
            return
        log.info("overlay ready")

    def _overlay_only(self, job_id: str) -> None:
        """A redelivered job that succeeded but whose overlay never finished: render it."""
        doc = self.jobs.get(job_id)
        if doc is None or doc.get("overlay_state") != OverlayState.PENDING:
            log.info("job is no longer queued or running (finished, canceled or deleted); skipped")
            return
        log.info("job succeeded before its worker stopped; rendering the overlay it lacks")
        self.state.begin_job(job_id)
        try:
            self._overlay(job_id, probe_video(self.media.local_path(doc["video"]["media_key"])))
        finally:
            self.state.end_job()

    def _import(self, doc: dict[str, Any], info: VideoInfo, attempt: int) -> Any:
        """Convert an import job's PHALP results into its frames (posepipe.phalp)."""
        job_id = doc["_id"]
        if not self.jobs.note_attempt(
            job_id, attempt, worker=self.state.worker_id, resumed_from=0, frames_total=info.frames
        ):
            raise JobCanceled("the job was canceled or taken over as it started")
        sink = MongoFrameSink(jobs=self.jobs, frames=self.frames, job_id=job_id, attempt=attempt)
        progress = JobProgress(
            jobs=self.jobs, client=self.client, job_id=job_id, attempt=attempt,
            interval_s=self.settings.pose_progress_interval_s, on_update=self.state.touch,
        )
        try:
            path = self.media.local_path(doc[IMPORT_FIELD]["results_key"])
            return run_import(doc, info, path, sink, progress)
        finally:
            self.metrics.frames.inc(sink.written)

    def _record_memory(self, job_id: str, attempt: int, *, final: bool) -> None:
        """Keep the attempt's peak memory on the job, before its status event goes out."""
        memory = self.memory.job_memory(final=final)
        try:
            self.jobs.set_memory(job_id, attempt, memory)
        except PosepipeError as exc:  # a figure lost must not change the job's outcome
            log.warning("could not record the job's peak memory: %s", exc.message)
        if final:
            limit = MemoryLimit(memory["limit_bytes"], memory["limit_source"])
            log.info(
                "job memory: %s",
                describe_peak(memory["peak_rss_bytes"], limit, memory["peak_gpu_bytes"]),
            )

    def _fail(self, job_id: str, attempt: int, code: str, message: str) -> None:
        self._record_memory(job_id, attempt, final=True)
        if self.jobs.fail(job_id, code, message, attempt=attempt):
            publish_status(self.client, job_id, JobStatus.FAILED)
            self.metrics.jobs.labels("failed").inc()
            log.warning("job failed: %s", message)
            self.frames.clear(job_id)

    def _after_cancel(self, job_id: str) -> None:
        doc = self.jobs.get(job_id)
        if doc is not None and doc["status"] != JobStatus.CANCELED:
            log.warning("job taken over by attempt %s; this attempt stops", doc.get("attempts"))
            return
        self.frames.clear(job_id)
        self.metrics.jobs.labels("canceled").inc()
        log.info("job canceled; partial results removed")

    def _hand_back(self, job_id: str, attempt: int) -> None:
        """Stopped at a saved resume point: queue the job again at once, for any worker."""
        self._record_memory(job_id, attempt, final=False)
        if not self.jobs.hand_back(job_id, attempt):
            self._after_cancel(job_id)
            return
        publish_status(self.client, job_id, JobStatus.QUEUED)
        message = CurrentMessage.get_current_message()
        requeued = False
        if message is not None and self._requeue_message is not None:
            message.options[HANDED_BACK_OPTION] = True
            try:
                requeued = self._requeue_message(message)
            except redis.RedisError as exc:
                log.warning("could not hand the message back: %s", exc)
        resume = self.frames.resume_point(job_id) or {}
        if requeued:
            log.info("worker stopping: job handed back at frame %s; any worker goes on from "
                     "there", resume.get("next_frame", 0))
        else:
            log.warning("worker stopping: job left at frame %s, but its message could not be "
                        "handed back; the stranded-job sweep sends it again",
                        resume.get("next_frame", 0))

    def _after_error(self, job_id: str, attempt: int, delivery: int, exc: Exception) -> None:
        code = exc.code if isinstance(exc, PosepipeError) else "processing_error"
        text = exc.message if isinstance(exc, PosepipeError) else f"{type(exc).__name__}: {exc}"
        if delivery >= self.settings.pose_max_attempts:
            log.error("attempt %d failed, the last one: %s", attempt, text, exc_info=True)
            self._fail(job_id, attempt, code, f"gave up after {_attempts(delivery)}: {text}")
            return
        log.warning("attempt %d failed, will retry: %s", attempt, text, exc_info=True)
        self._record_memory(job_id, attempt, final=False)
        if self.jobs.requeue(job_id, attempt, code, text):
            publish_status(self.client, job_id, JobStatus.QUEUED)
        raise exc


def _attempts(count: int) -> str:
    """`1 attempt`, `3 attempts`: the words a person reads in the job's error."""
    return f"{count} attempt" if count == 1 else f"{count} attempts"
