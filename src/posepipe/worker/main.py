"""`posepipe worker`: the pose-service process from start to stop.

Order matters: the worker takes its slot (`identity`: who it is across restarts) and puts
back at once the job its previous incarnation held; the health server and heartbeat start
(so a slow model load shows as "starting", not as dead); the model is loaded and warmed;
only then does the Dramatiq Worker start consuming, in this same process (never a forking
parent), with one job thread and one message prefetched. On SIGTERM/SIGINT a running job
stops after its next stored batch and goes back to the front of the queue.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
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
from posepipe.jobs.reclaim import reclaim_unacked, requeue_message
from posepipe.jobs.workers import clear_heartbeat, heartbeat_ttl_s
from posepipe.logs import bind, configure_logging
from posepipe.memory import PeakMemory
from posepipe.pose.backend import PoseBackend
from posepipe.pose.cpus import pose_processes
from posepipe.pose.pool import PosePool
from posepipe.pose.select import backend_factory, build_backend
from posepipe.store.client import ensure_indexes, sync_client
from posepipe.store.frames import FrameStore
from posepipe.store.job_updates import JobStore
from posepipe.store.media import LocalMediaStore
from posepipe.worker.health import HealthServer
from posepipe.worker.heartbeat import Heartbeat
from posepipe.worker.identity import WorkerSlot, acquire_slot, default_state_dir
from posepipe.worker.memory_guard import MemoryGuard
from posepipe.worker.process_tree import ProcessTreeMemory
from posepipe.worker.runner import JobRunner
from posepipe.worker.state import WorkerState, new_worker_id
from posepipe.worker.sweeper import StrandedJobSweeper
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
    state_dir = settings.pose_state_dir or default_state_dir()
    try:
        slot = acquire_slot(
            state_dir, settings.pose_worker_name or socket.gethostname(), scope=settings.redis_url
        )
    except OSError as exc:
        log.error("POSE_STATE_DIR: cannot keep this worker's slot file in %s (%s); give it a "
                  "writable local folder", state_dir, exc)
        return 2
    state = WorkerState(worker_id=new_worker_id(slot.name))
    metrics = WorkerMetrics(state, settings)
    health = HealthServer(
        health_host or settings.bind_address, health_port, state, metrics, settings
    )
    health.start()
    client = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30
    )
    pool: PosePool | None = None  # the pose processes, once started: counted from then on
    tree = ProcessTreeMemory(lambda: [] if pool is None else pool.pids)
    memory = MemoryGuard(
        state, settings.pose_memory_warn_pct, read_rss=tree.rss,
        peak=PeakMemory(read_rss=tree.rss, read_peak=tree.peak, reset_peak=tree.reset_peak),
    )
    memory.start()
    heartbeat = Heartbeat(
        client, state, settings.pose_heartbeat_interval_s, lambda: gpu_reading(settings),
        memory.reading,
    )
    heartbeat.start()
    # Before the model load (tens of seconds for hmr2): another worker may take it meanwhile.
    taken_back = _take_back(slot, client, state)

    try:
        chosen = build_backend(settings)
        state.backend = chosen.backend.name
        log.info("pose backend: %s (%s); loading", chosen.backend.name, chosen.reason)
        started = time.perf_counter()
        chosen.backend.load()
        pool = _pose_pool(settings, chosen.backend)
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
    log.info(
        "model loaded and warmed in %.1f s on %s, in %d pose process(es)",
        time.perf_counter() - started, state.device, 1 if pool is None else pool.size,
    )

    db = sync_client(settings).get_default_database("posepipe")
    _wait_for_mongodb(db, stop)
    broker = build_broker(settings)
    jobs = JobStore(db)
    runner = JobRunner(
        settings=settings, backend=chosen.backend, jobs=jobs, frames=FrameStore(db),
        media=LocalMediaStore(settings.media_dir), client=client, state=state, metrics=metrics,
        memory=memory,
        requeue_message=lambda message: requeue_message(client, broker.broker_id, message),
        pool=pool,
    )
    broker.add_middleware(
        AttemptLimit(client, max_attempts=settings.pose_max_attempts, on_give_up=runner.give_up)
    )
    declare_process_video(broker, runner, settings)
    watchdog = Watchdog(state, settings.pose_stall_timeout_s)
    watchdog.start()

    sweeper = StrandedJobSweeper(
        jobs=jobs, client=client, broker=broker, worker_id=state.worker_id,
        interval_s=settings.pose_sweep_interval_s,
        confirm_s=heartbeat_ttl_s(settings.pose_heartbeat_interval_s),
    )

    # Idle polling every 0.2 s at most (default 1 s): a queued job starts without delay.
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=1, worker_timeout=200)
    worker.queue_prefetch = 1  # hold no second job while this one runs
    while not taken_back and not stop.is_set():  # Redis was down at the start
        taken_back = _take_back(slot, client, state)
        if not taken_back:
            stop.wait(_MONGO_RETRY_S)
    if not stop.is_set():
        # What a successor needs to take this incarnation's job back, before it takes one.
        slot.record(worker_id=state.worker_id, broker_id=broker.broker_id, pid=os.getpid(),
                    started_at=state.started_at)
        worker.start()
        sweeper.start()
        log.info("pose-service ready: worker %s consumes queue %r", state.worker_id, QUEUE)
        stop.wait()
        log.info("stopping: a running job goes back to the queue after its next batch "
                 "(waiting up to %g s)", settings.pose_shutdown_timeout_s)
        deadline = time.monotonic() + settings.pose_shutdown_timeout_s
        sweeper.stop()
        _stop_fetching(worker, timeout_s=min(2.0, settings.pose_shutdown_timeout_s / 2))
        runner.request_stop()
        left_s = max(1.0, deadline - time.monotonic())
        worker.stop(timeout=int(left_s * 1000))
    watchdog.stop()
    memory.stop()
    heartbeat.stop()
    health.stop()
    if state.current_job is not None:
        # The job thread is still inside the pipeline: it cannot be interrupted safely.
        # Its message is unacked and comes back to another worker as the next attempt.
        log.warning("job %s left running; it will be redelivered", state.current_job)
        exit_now(0)
    if pool is not None:
        pool.close()
    chosen.backend.close()
    broker.close()
    log.info("pose-service stopped")
    return 0


def _take_back(slot: WorkerSlot, client: redis.Redis, state: WorkerState) -> bool:
    """Put the previous incarnation's unacked messages back; False if Redis did not answer."""
    previous = slot.previous or {}
    broker_id = previous.get("broker_id")
    if broker_id:
        try:
            jobs = reclaim_unacked(client, broker_id)
            if previous.get("worker_id"):
                clear_heartbeat(client, previous["worker_id"])  # it is dead: say so at once
        except redis.RedisError as exc:
            log.warning("could not take back the previous incarnation's job yet: %s", exc)
            return False
        for job_id in jobs:
            with bind(job_id=job_id):
                log.info(
                    "took back the job of this worker's previous incarnation %s (slot %s): "
                    "it goes on from its last stored batch", previous.get("worker_id"), slot.name,
                )
    # Holding the slot proves every earlier holder has exited: nothing is left to take back.
    slot.record(worker_id=state.worker_id, broker_id=None, pid=os.getpid())
    slot.previous = None
    return True


def _stop_fetching(worker: dramatiq.Worker, timeout_s: float) -> None:
    """Pause the consumers, so that a job handed back is not fetched again by this worker.

    The job runs on meanwhile; a consumer notices the pause at its next idle poll.
    """
    consumers = list(worker.consumers.values())
    for consumer in consumers:
        consumer.pause()
    deadline = time.monotonic() + timeout_s
    for consumer in consumers:
        consumer.paused_event.wait(timeout=max(0.0, deadline - time.monotonic()))


def _pose_pool(settings: Settings, backend: PoseBackend) -> PosePool | None:
    """The CPU backend's pose processes, started and loaded, when there are to be several.

    Kept for the worker's life, as the model is: a job starts without spawning anything.
    """
    processes, why = pose_processes(settings, backend)
    if processes < 2:
        return None
    log.info("starting %d pose processes (%s)", processes, why)
    pool = PosePool(backend_factory(settings, backend.name), processes)
    pool.ensure_ready()
    return pool


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
