"""The jobs collection as the API sees it (asyncio, pymongo's AsyncMongoClient)."""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from posepipe.errors import JobNotFound, quoted
from posepipe.store.client import JOBS, mongo_errors
from posepipe.store.models import ACTIVE_STATUSES, FINISHED_STATUSES, JobStatus, utc_now

JobDocument = dict[str, Any]


class JobRepository:
    """Create, read, list, cancel and delete jobs."""

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._jobs = db[JOBS]

    async def create(self, doc: JobDocument) -> None:
        """Store a new job document."""
        with mongo_errors():
            await self._jobs.insert_one(doc)

    async def get(self, job_id: str) -> JobDocument:
        """The job with this id; JobNotFound if there is none."""
        with mongo_errors():
            doc = await self._jobs.find_one({"_id": job_id})
        if doc is None:
            raise JobNotFound(f"no job has the id {quoted(repr(job_id))}")
        return doc

    async def list(self, *, limit: int, offset: int) -> tuple[list[JobDocument], int]:
        """A page of jobs, newest first, and how many jobs there are in all."""
        with mongo_errors():
            total = await self._jobs.count_documents({})
            cursor = (
                self._jobs.find({})
                .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
                .skip(offset)
                .limit(limit)
            )
            items = [doc async for doc in cursor]
        return items, total

    async def cancel(self, job_id: str) -> JobDocument | None:
        """Mark a queued or running job canceled; None when it had already finished."""
        now = utc_now()
        with mongo_errors():
            return await self._jobs.find_one_and_update(
                {"_id": job_id, "status": {"$in": list(ACTIVE_STATUSES)}},
                {
                    "$set": {
                        "status": JobStatus.CANCELED.value,
                        "finished_at": now,
                        "error": {"code": "job_canceled", "message": "canceled on request"},
                    }
                },
                return_document=ReturnDocument.AFTER,
            )

    async def delete_finished(self, job_id: str) -> bool:
        """Delete the job document if the job has finished; False when it has not."""
        with mongo_errors():
            result = await self._jobs.delete_one(
                {"_id": job_id, "status": {"$in": list(FINISHED_STATUSES)}}
            )
        return result.deleted_count == 1

    async def delete_any(self, job_id: str) -> None:
        """Delete the job document whatever its status (undoing a job never queued)."""
        with mongo_errors():
            await self._jobs.delete_one({"_id": job_id})

    async def count_using_media(self, media_key: str) -> int:
        """How many jobs refer to this stored video file.

        By the file's key, not the video's content hash: the same bytes uploaded as .mp4 and
        .mov are two files, and each must go with its own last job.
        """
        with mongo_errors():
            return await self._jobs.count_documents({"video.media_key": media_key})

    async def count_by_status(self) -> dict[str, int]:
        """The number of jobs in each status (every status present, zeros included)."""
        counts = {status.value: 0 for status in JobStatus}
        with mongo_errors():
            for status in JobStatus:
                counts[status.value] = await self._jobs.count_documents({"status": status.value})
        return counts
