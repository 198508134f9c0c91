"""`posepipe worker`: the pose-service process from start to stop.

Order matters: the health server and heartbeat start first (so a slow model load shows as
"starting", not as dead); the model is loaded and warmed; only then does the Dramatiq
Worker start consuming, in this same process (never a forking parent), with one job
thread and one message prefetched.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

import dramatiq
import redis
from pymongo.database import Database

from posepipe.config import Settings
from posepipe.errors import DependencyUnavailable, PosepipeError
from posepipe.jobs.actors import declare_process_video
from posepipe.jobs.attempts import AttemptLimit
from posepipe.jobs.broker import build_broker
from posepipe.jobs.keys import QUEUE
from posepipe.logs import configure_logging
from posepipe.pose.select import build_backend
from posepipe.store.client import ensure_indexes, sync_client
from posepipe.store.frames import FrameStore
from posepipe.store.job_updates import JobStore
from posepipe.store.media import LocalMediaStore
from posepipe.worker.health import HealthServer
from posepipe.worker.heartbeat import Heartbeat
from posepipe.worker.memory_guard import MemoryGuard
from posepipe.worker.runner import JobRunner
from posepipe.worker.state import WorkerState
from posepipe.worker.telemetry import WorkerMetrics, gpu_reading
from posepipe.worker.watchdog import Watchdog, exit_now

log = logging.getLogger(__name__)

_MONGO_RETRY_S = 3.0


def run_worker(settings: Settings, health_port: int, health_host: str | None = None) -> int:
    """Run pose-service until SIGTERM or SIGINT; returns the exit code."""
    configure_logging(
        "pose-service", settings.level_for("pose-service"), settings.log_format, settings.log_dir
    )
    stop = threading.Event()
    _on_signals(stop)
    state = WorkerState()
    metrics = WorkerMetrics(state, settings)
    health = HealthServer(
        health_host or settings.bind_address, health_port, state, metrics, settings
    )
    health.start()
    client = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30
    )
    memory = MemoryGuard(state, settings.pose_memory_warn_pct)
    memory.start()
    heartbeat = Heartbeat(
        client, state, settings.pose_heartbeat_interval_s, lambda: gpu_reading(settings),
        memory.reading,
    )
    heartbeat.start()

    try:
        chosen = build_backend(settings)
        state.backend = chosen.backend.name
        log.info("pose backend: %s (%s); loading", chosen.backend.name, chosen.reason)
        started = time.perf_counter()
        chosen.backend.load()
    except PosepipeError as exc:
        # Missing model files, no CUDA: nothing a restart would mend. Rather than crash-loop
        # with tracebacks, stay up and unready, and say why on /health, in the heartbeat
        # (so /api/ready and the System page show it) and in the log, until stopped.
        state.fatal = exc.message
        heartbeat.beat_now()
        log.error("the pose backend cannot start: %s", exc.message)
        stop.wait()
        memory.stop()
        heartbeat.stop()
        health.stop()
        return 1
    state.device = chosen.backend.device
    state.model_loaded = True
    heartbeat.beat_now()
    log.info("model loaded and warmed in %.1f s on %s", time.perf_counter() - started, state.device)

    db = sync_client(settings).get_default_database("posepipe")
    _wait_for_mongodb(db, stop)
    broker = build_broker(settings)
    jobs = JobStore(db)
    runner = JobRunner(
        settings=settings, backend=chosen.backend, jobs=jobs, frames=FrameStore(db),
        media=LocalMediaStore(settings.media_dir), client=client, state=state, metrics=metrics,
        memory=memory,
    )
    broker.add_middleware(
        AttemptLimit(client, max_attempts=settings.pose_max_attempts, on_give_up=runner.give_up)
    )
    declare_process_video(broker, runner, settings)
    watchdog = Watchdog(state, settings.pose_stall_timeout_s)
    watchdog.start()

    # Idle polling every 0.2 s at most (default 1 s): a queued job starts without delay.
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=1, worker_timeout=200)
    worker.queue_prefetch = 1  # hold no second job while this one runs
    if not stop.is_set():
        worker.start()
        log.info("pose-service ready: worker %s consumes queue %r", state.worker_id, QUEUE)
        stop.wait()
        log.info("stopping: waiting up to %g s for the job", settings.pose_shutdown_timeout_s)
        worker.stop(timeout=int(settings.pose_shutdown_timeout_s * 1000))
    watchdog.stop()
    memory.stop()
    heartbeat.stop()
    health.stop()
    if state.current_job is not None:
        # The job thread is still inside the pipeline: it cannot be interrupted safely.
        # Its message is unacked and comes back to another worker as the next attempt.
        log.warning("job %s left running; it will be redelivered", state.current_job)
        exit_now(0)
    chosen.backend.close()
    broker.close()
    log.info("pose-service stopped")
    return 0


def _wait_for_mongodb(db: Database[Any], stop: threading.Event) -> None:
    """Create the indexes, waiting for MongoDB if it is not up yet."""
    while not stop.is_set():
        try:
            ensure_indexes(db)
            return
        except DependencyUnavailable as exc:
            log.warning("waiting for MongoDB: %s", exc.message)
            stop.wait(_MONGO_RETRY_S)


def _on_signals(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            exit_now(1)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
