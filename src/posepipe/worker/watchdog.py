"""Exit the process when a job stops making progress, so the restart policy heals it.

Dramatiq's heartbeat is per process, and its TimeLimit cannot interrupt a C call: a
wedged GPU driver or a hung decode would hold the job (and the worker) forever. After
POSE_STALL_TIMEOUT_S without progress the process exits; the message was never acked,
so it is redelivered (as the next attempt) about a minute later.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from posepipe.logs import bind
from posepipe.worker.state import WorkerState

log = logging.getLogger(__name__)

EXIT_STALLED = 70
EXIT_DEVICE_ERROR = 71


def exit_now(code: int) -> None:
    """Flush the logs and leave at once: no cleanup that could hang on a broken device."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(code)


class Watchdog:
    """A daemon thread that checks the current job's progress clock once a second."""

    def __init__(
        self,
        state: WorkerState,
        stall_timeout_s: float,
        *,
        exit_process: Callable[[int], None] = exit_now,
        check_s: float = 1.0,
    ) -> None:
        self._state = state
        self._stall_timeout_s = stall_timeout_s
        self._exit = exit_process
        self._check_s = check_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._check_s):
            stalled = self._state.stalled_for()
            job = self._state.current_job
            if job is not None and stalled > self._stall_timeout_s:
                with bind(job_id=job):
                    log.critical(
                        "no progress for %.0f s (POSE_STALL_TIMEOUT_S=%g): exiting so that a "
                        "fresh process takes the job", stalled, self._stall_timeout_s,
                    )
                self._state.fatal = "stalled"
                self._exit(EXIT_STALLED)
                return
