"""The jobs collection as the worker changes it (synchronous: the actor thread is)."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database

from posepipe.store.client import JOBS, RESULTS, mongo_errors
from posepipe.store.models import (
    ACTIVE_STATUSES,
    JobStatus,
    OverlayState,
    error_document,
    utc_now,
)

JobDocument = dict[str, Any]


class JobStore:
    """Every write is conditional on the job still being this attempt's to write.

    An attempt's updates match `attempts == attempt` and status `running`, so a worker that
    was wrongly declared dead, or a job canceled meanwhile, never overwrites the outcome.
    `attempts` only ever grows (each start adds one, in MongoDB), so it is a fencing token
    even when the queue's own delivery count was lost with Redis's data.
    """

    def __init__(self, db: Database[Any]) -> None:
        self._jobs = db[JOBS]
        self._results = db[RESULTS]

    def active(self) -> list[JobDocument]:
        """Every queued or running job: its id, status and worker."""
        with mongo_errors():
            return list(
                self._jobs.find(
                    {"status": {"$in": list(ACTIVE_STATUSES)}}, {"status": 1, "worker": 1}
                )
            )

    def get(self, job_id: str) -> JobDocument | None:
        """The job document, or None when it was deleted."""
        with mongo_errors():
            return self._jobs.find_one({"_id": job_id})

    def start_attempt(self, job_id: str, worker: str) -> JobDocument | None:
        """Take the job as its next attempt (the document's new `attempts` says which).

        None when it is no longer active. An earlier attempt still running somewhere loses
        the job here: its next conditional write fails and it stops.
        """
        with mongo_errors():
            return self._jobs.find_one_and_update(
                {"_id": job_id, "status": {"$in": list(ACTIVE_STATUSES)}},
                {
                    "$set": {
                        "status": JobStatus.RUNNING.value,
                        "started_at": utc_now(),
                        "worker": worker,
                    },
                    "$inc": {"attempts": 1},
                },
                return_document=ReturnDocument.AFTER,
            )

    def note_attempt(
        self, job_id: str, attempt: int, *, worker: str, resumed_from: int, frames_total: int
    ) -> bool:
        """Add the attempt to the job's history and set its progress where it starts."""
        entry = {
            "attempt": attempt,
            "worker": worker,
            "started_at": utc_now(),
            "resumed_from": resumed_from,
            "frames_total": frames_total,
        }
        update = {"$set": {"progress.frames_done": resumed_from}, "$push": {"attempt_log": entry}}
        with mongo_errors():
            result = self._jobs.update_one(
                {"_id": job_id, "status": JobStatus.RUNNING.value, "attempts": attempt}, update
            )
        return result.matched_count == 1

    def hand_back(self, job_id: str, attempt: int) -> bool:
        """The worker is stopping at a saved resume point: the job is queued again."""
        return self._update_running(job_id, attempt, {"status": JobStatus.QUEUED.value})

    def record_attempt(self, job_id: str, attempt: int) -> None:
        """Note a delivery on a job that will not run (it is given up on)."""
        with mongo_errors():
            self._jobs.update_one({"_id": job_id}, {"$max": {"attempts": attempt}})

    def set_result_header(self, job_id: str, attempt: int, header: dict[str, Any]) -> None:
        """Keep the result's header (backend, skeleton, video); the backend also on the job."""
        if self._update_running(job_id, attempt, {"backend": header["backend"]}):
            with mongo_errors():
                self._results.replace_one({"_id": job_id}, {**header, "_id": job_id}, upsert=True)

    def result_header(self, job_id: str) -> dict[str, Any] | None:
        """The stored header of the job's result (see codec.header_to_document), or None."""
        with mongo_errors():
            return self._results.find_one({"_id": job_id}, {"_id": 0})

    def set_progress(self, job_id: str, attempt: int, done: int, total: int) -> bool:
        """Record how far the attempt has got; False when it no longer owns the job."""
        return self._update_running(
            job_id, attempt, {"progress.frames_done": done, "progress.frames_total": total}
        )

    def succeed(self, job_id: str, attempt: int, *, frames: int) -> bool:
        """Mark the job succeeded, its overlay pending; False when the attempt lost the job."""
        return self._update_running(
            job_id,
            attempt,
            {
                "status": JobStatus.SUCCEEDED.value,
                "finished_at": utc_now(),
                "error": None,
                "progress.frames_done": frames,
                "progress.frames_total": frames,
                "overlay_state": OverlayState.PENDING.value,
            },
        )

    def set_memory(self, job_id: str, attempt: int, memory: dict[str, Any]) -> bool:
        """Keep the attempt's peak memory on the job, whatever its status; False when the job
        is gone or another attempt has it."""
        with mongo_errors():
            result = self._jobs.update_one(
                {"_id": job_id, "attempts": attempt}, {"$set": {"memory": memory}}
            )
        return result.matched_count == 1

    def set_overlay(self, job_id: str, state: OverlayState, key: str | None = None) -> bool:
        """Record the overlay's outcome on a succeeded job; False when the job is gone."""
        with mongo_errors():
            result = self._jobs.update_one(
                {"_id": job_id, "status": JobStatus.SUCCEEDED.value},
                {"$set": {"overlay_state": state.value, "overlay_key": key}},
            )
        return result.matched_count == 1

    def fail(self, job_id: str, code: str, message: str, *, attempt: int | None = None) -> bool:
        """Mark an active job failed with a reason; False when it had already finished."""
        query: dict[str, Any] = {"_id": job_id, "status": {"$in": list(ACTIVE_STATUSES)}}
        if attempt is not None:
            query["attempts"] = attempt
        with mongo_errors():
            result = self._jobs.update_one(
                query,
                {
                    "$set": {
                        "status": JobStatus.FAILED.value,
                        "finished_at": utc_now(),
                        "error": error_document(code, message),
                    }
                },
            )
        return result.modified_count == 1

    def requeue(self, job_id: str, attempt: int, code: str, message: str) -> bool:
        """Put the job back to queued after an error that a retry may fix."""
        return self._update_running(
            job_id,
            attempt,
            {"status": JobStatus.QUEUED.value, "error": error_document(code, message)},
        )

    def owns(self, job_id: str, attempt: int) -> bool:
        """True while the job is running as this attempt (not canceled, deleted or taken over)."""
        with mongo_errors():
            doc = self._jobs.find_one(
                {"_id": job_id, "status": JobStatus.RUNNING.value, "attempts": attempt},
                {"_id": 1},
            )
        return doc is not None

    def _update_running(self, job_id: str, attempt: int, fields: dict[str, Any]) -> bool:
        with mongo_errors():
            result = self._jobs.update_one(
                {"_id": job_id, "status": JobStatus.RUNNING.value, "attempts": attempt},
                {"$set": fields},
            )
        return result.matched_count == 1
