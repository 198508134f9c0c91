"""The worker's heartbeat in Redis, every POSE_HEARTBEAT_INTERVAL_S, for /api/ready and
/api/workers. It carries the GPU and memory readings too: the API relays them without
touching NVML or this process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import redis

from posepipe.jobs.workers import clear_heartbeat, write_heartbeat
from posepipe.worker.state import WorkerState

log = logging.getLogger(__name__)


class Heartbeat:
    """A daemon thread that keeps this worker's record fresh."""

    def __init__(
        self,
        client: redis.Redis,
        state: WorkerState,
        interval_s: float,
        read_gpu: Callable[[], dict[str, Any] | None],
        read_memory: Callable[[], dict[str, Any] | None] | None = None,
    ) -> None:
        self._client = client
        self._state = state
        self._read_gpu = read_gpu
        self._read_memory = read_memory or (lambda: None)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._failing = False

    def start(self) -> None:
        """Beat now and every interval after."""
        self._thread.start()

    def beat_now(self) -> None:
        """Send the record now (its state changed: the model is loaded), not at the next beat."""
        self._wake.set()

    def stop(self) -> None:
        """Stop beating and withdraw the record."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        try:
            clear_heartbeat(self._client, self._state.worker_id)
        except redis.RedisError as exc:
            log.info("could not withdraw the heartbeat: %s", exc)

    def _run(self) -> None:
        while True:
            try:
                record = self._state.heartbeat_record(
                    gpu=self._read_gpu(), memory=self._read_memory()
                )
                write_heartbeat(self._client, record, self._interval_s)
                if self._failing:
                    log.info("heartbeat back: Redis answers again")
                self._failing = False
            except redis.RedisError as exc:
                if not self._failing:
                    log.warning("heartbeat failed, Redis does not answer: %s", exc)
                self._failing = True
            self._wake.wait(self._interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
