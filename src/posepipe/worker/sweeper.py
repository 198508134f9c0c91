"""Send again the accepted jobs whose queue message is gone, so that none is stranded.

MongoDB is the record of the jobs, Redis only carries the messages, and Redis can lose
them: restarted without persistence, or crashed within the second its AOF had not yet
written. A job that MongoDB says is queued or running, with no message in the broker
(neither waiting on the queue, nor delayed for a retry, nor fetched by a worker: a fetched
message keeps its body until it is acked) and no live worker running it, would wait for
ever. Each worker looks for such jobs when it starts and every POSE_SWEEP_INTERVAL_S.

A job must look stranded twice, a heartbeat lifetime apart, before it is sent: a job is
briefly without a message while the API creates it, and a live worker's heartbeat is missing
for a few seconds after Redis lost its data. Only one worker sends it (a SET NX marker);
a second message would make two attempts, which the attempt fencing would settle, but at
the cost of work.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from dramatiq import Broker

from posepipe.errors import DependencyUnavailable
from posepipe.jobs.keys import NAMESPACE, QUEUE, resent_key, worker_key
from posepipe.jobs.queue import enqueue_job
from posepipe.jobs.reclaim import job_id_of
from posepipe.logs import bind
from posepipe.store.job_updates import JobStore
from posepipe.store.models import JobStatus

log = logging.getLogger(__name__)

_MESSAGE_HASHES = (f"{NAMESPACE}:{QUEUE}.msgs", f"{NAMESPACE}:{QUEUE}.DQ.msgs")


class StrandedJobSweeper:
    """A daemon thread that finds stranded jobs and sends each once more."""

    def __init__(
        self,
        *,
        jobs: JobStore,
        client: redis.Redis,
        broker: Broker,
        worker_id: str,
        interval_s: float,
        confirm_s: float,
    ) -> None:
        self._jobs = jobs
        self._client = client
        self._broker = broker
        self._worker_id = worker_id
        self._interval_s = interval_s
        self._confirm_s = confirm_s  # how long a job must stay stranded before it is sent
        self._suspects: dict[str, float] = {}  # job id -> when it was first seen stranded
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sweeper", daemon=True)

    def start(self) -> None:
        """Sweep now and every interval after."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sweeping."""
        self._stop.set()
        self._thread.join(timeout=5)

    def sweep(self) -> list[str]:
        """One pass: the ids of the jobs sent again."""
        now = time.monotonic()
        stranded = self._stranded()
        self._suspects = {job: self._suspects.get(job, now) for job in stranded}
        sent = []
        for job_id, since in list(self._suspects.items()):
            if now - since < self._confirm_s:
                continue
            del self._suspects[job_id]
            marker = resent_key(job_id)
            if not self._client.set(marker, self._worker_id, nx=True, ex=self._marker_ttl_s):
                continue  # another worker sent it
            try:
                enqueue_job(self._broker, job_id)
            except DependencyUnavailable:
                self._client.delete(marker)  # not sent: let the next sweep try
                raise
            sent.append(job_id)
            with bind(job_id=job_id):
                log.warning(
                    "job was accepted but its queue message is gone (Redis lost it?); sent again"
                )
        return sent

    @property
    def _marker_ttl_s(self) -> int:
        return int(max(300.0, 4 * self._interval_s))

    def _stranded(self) -> set[str]:
        queued = self._jobs_with_messages()
        stranded = set()
        for doc in self._jobs.active():
            job_id = str(doc["_id"])
            if job_id in queued:
                continue
            holder = doc.get("worker")
            if doc["status"] == JobStatus.RUNNING and holder and self._client.exists(
                worker_key(holder)
            ):
                continue  # its worker is alive and runs it
            stranded.add(job_id)
        return stranded

    def _jobs_with_messages(self) -> set[str]:
        found = set()
        for name in _MESSAGE_HASHES:
            for body in self._client.hvals(name):  # type: ignore[union-attr]  # sync client
                job_id = job_id_of(body)
                if job_id is not None:
                    found.add(job_id)
        return found

    def _next_wait_s(self) -> float:
        # A suspect is checked again as soon as it can be confirmed.
        return min(self._interval_s, self._confirm_s) if self._suspects else self._interval_s

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except (redis.RedisError, DependencyUnavailable) as exc:
                log.info("stranded-job sweep skipped: %s", exc)
            except Exception:  # the sweep is a safety net: it must not take the worker down
                log.exception("stranded-job sweep failed")
            self._stop.wait(self._next_wait_s())
